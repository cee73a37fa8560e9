"""Intent parser throughput (messages per second over a mixed corpus) and accuracy.

The corpus mixes every training utterance (free text for all 13 intents, a quarter of it out
of scope), terse grammar commands, raw PromQL, follow-ups parsed against a conversation
history, and injection attempts, so the number covers every path of ``IntentParser.parse``.
It also reports the one-off construction cost (loading the shipped classifier), per-message
latency, accuracy on the held-out and blind sets in ``tests/unit/data`` and a 5-fold
cross-validation of the whole parser on the training utterances (each fold's model never saw
its test fold).

    .venv/bin/python bench/parser_bench.py            # print the results
    .venv/bin/python bench/parser_bench.py --write    # and update bench/RESULTS_PARSER.md
    .venv/bin/python bench/parser_bench.py --speed    # throughput only (no accuracy)

Throughput is also given per CPU second of this process (``time.process_time``), which a
busy machine inflates far less than the wall clock. The parser keeps the readings of up to
1024 texts (``IntentParser``, "kept readings"); the corpus is larger than that and parsed in
the same order each round, so a round finds none of its texts kept except repeats within
1024 messages: the number of parses answered from a kept reading is reported with it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from intents.evaluation import Score, load_set, score
from intents.model import Turn
from intents.parser import IntentParser
from ml.intent_classifier import IntentClassifier, build_parser
from ml.intent_training import Utterance, load_utterances, train

RESULTS = Path(__file__).with_name("RESULTS_PARSER.md")
DATA = Path(__file__).parent.parent / "tests" / "unit" / "data"
SETS = (
    ("held-out (partly tuned on)", DATA / "intents_heldout.yaml"),
    ("blind 2 (tuned on since its first score)", DATA / "intents_blind2.yaml"),
    ("blind 3 (scored once, never tuned on)", DATA / "intents_blind3.yaml"),
)
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
FOLDS = 5
COMMAND = ".venv/bin/python bench/parser_bench.py --write"

TERSE = [
    "cpu web-1 2h",
    "memory db-primary 1d",
    "status",
    "status web-2",
    "alerts critical",
    "silence NodeDown for 45m",
    "scale search to 3",
    "restart checkout-api",
    "rollback payments",
    "approve 12",
    "deny 12",
    "subscribe critical",
    "unsubscribe",
    "help",
    "help alerts",
    "<@U123> latency payments 90m",
    "<at>SmartCloudOps</at> disk web-1",
]
PROMQL = [
    "promql up",
    "promql sum(rate(http_requests_total[5m])) by (job)",
    'promql `rate(node_cpu_seconds_total{mode!="idle"}[5m])` over the last 2h',
]
FOLLOWUPS = ["and memory?", "what about the last 3 hours", "same for checkout-api", "now disk"]
INJECTIONS = ["restart foo; rm -rf /", "restart $(id)", "scale <!channel> to 3", "cpu of `id`"]
HISTORY = (Turn("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}, 0.0),)


@dataclass(frozen=True, slots=True)
class Accuracy:
    sets: tuple[tuple[str, Score], ...]
    cv_utterances: int
    cv_intent: float


@dataclass(frozen=True, slots=True)
class Result:
    messages: int
    seconds: float
    construct_seconds: float
    latencies_ms: list[float]
    accuracy: Accuracy | None
    cpu_seconds: float = float("nan")
    kept_hits: int = 0

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    @property
    def per_cpu_second(self) -> float:
        return self.messages / self.cpu_seconds


def corpus() -> list[tuple[str, tuple[Turn, ...]]]:
    """Every message of the mixed corpus with the history it is parsed against."""
    texts = [u.text for u in load_utterances()] + TERSE + PROMQL + INJECTIONS
    return [(t, ()) for t in texts] + [(t, HISTORY) for t in FOLLOWUPS]


def set_scores(parser: IntentParser) -> tuple[tuple[str, Score], ...]:
    """The parser's score on each evaluation set in ``tests/unit/data``."""
    return tuple((name, score(parser, load_set(path))) for name, path in SETS)


def cross_validated(utterances: list[Utterance]) -> float:
    """Parser accuracy when each utterance is judged by a model trained without it (strided
    folds, so every fold holds every intent)."""
    ordered = sorted(utterances, key=lambda u: (u.intent, u.text))
    correct = 0
    for fold in range(FOLDS):
        fitting = [u for i, u in enumerate(ordered) if i % FOLDS != fold]
        parser = IntentParser(IntentClassifier(train(fitting)))
        test = [u for i, u in enumerate(ordered) if i % FOLDS == fold]
        correct += sum(parser.parse(u.text).name == u.intent for u in test)
    return correct / len(ordered)


def run(rounds: int, *, accuracy: bool = True) -> Result:
    start = time.perf_counter()
    parser = build_parser()
    construct = time.perf_counter() - start
    messages = corpus()
    for text, history in messages:
        parser.parse(text, history)
    hits = getattr(parser, "kept_hits", 0)  # 0 for a parser without kept readings
    latencies: list[float] = []
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(rounds):
        for text, history in messages:
            t0 = time.perf_counter()
            parser.parse(text, history)
            latencies.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu
    hits = getattr(parser, "kept_hits", 0) - hits
    scores = None
    if accuracy:
        utterances = load_utterances()
        scores = Accuracy(set_scores(parser), len(utterances), cross_validated(utterances))
    return Result(len(messages) * rounds, total, construct, latencies, scores, cpu, hits)


def report(result: Result) -> str:
    lat = sorted(result.latencies_ms)
    p99 = lat[int(len(lat) * 0.99) - 1]
    cpu = platform.processor() or platform.machine()
    acc = result.accuracy
    speed = [
        f"| throughput | {result.per_second:,.0f} messages/s |",
        f"| throughput per CPU second | {result.per_cpu_second:,.0f} messages/s |",
        f"| median latency | {statistics.median(lat):.3f} ms |",
        f"| p99 latency | {p99:.3f} ms |",
        f"| max latency | {lat[-1]:.3f} ms |",
        f"| parses answered from a kept reading | {result.kept_hits} of {result.messages} |",
        f"| construction (load the shipped classifier) | {result.construct_seconds:.2f} s |",
    ]
    if acc is None:
        return "\n".join(["| measure | value |", "|---|---|", *speed])
    return "\n".join(
        [
            f"Command: `{COMMAND}`",
            "",
            f"Machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "(a shared two-core VM; its speed varies between sessions: compare runs in a row).",
            "",
            "Corpus: every training utterance, terse commands, raw PromQL, follow-ups with",
            f"history and injection attempts: {result.messages // max(1, len(corpus()))} rounds "
            f"of {len(corpus())} messages.",
            "",
            "| measure | value |",
            "|---|---|",
            *speed,
            "",
            "| set | cases | intent | exact slots (where listed) | out of scope -> unknown |",
            "|---|---|---|---|---|",
            *(_row(name, result) for name, result in acc.sets),
            "",
            f"{FOLDS}-fold cross-validation on the {acc.cv_utterances} training utterances: "
            f"{acc.cv_intent:.1%} intent accuracy.",
        ]
    )


def _row(name: str, s: Score) -> str:
    return (
        f"| {name} | {s.cases} | {s.intent_ok}/{s.cases} = {s.intent_accuracy:.1%} "
        f"| {s.slots_ok}/{s.slot_cases} = {s.slot_accuracy:.1%} "
        f"| {s.unknown_ok}/{s.unknown_cases} = {s.unknown_recall:.1%} |"
    )


def update(path: Path, block: str) -> None:
    """Replace the generated block of ``path`` (between the markers), keeping the notes."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{block}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str]) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=5)
    args.add_argument("--write", action="store_true", help=f"rewrite {RESULTS.name}")
    args.add_argument("--speed", action="store_true", help="throughput only, no accuracy")
    options = args.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    text = report(run(options.rounds, accuracy=not options.speed))
    print(text)
    if options.write:
        update(RESULTS, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
