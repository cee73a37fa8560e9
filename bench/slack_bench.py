"""Slash-command throughput: the bot's Slack answer path against a bare Bolt app.

Both servers run as subprocesses against the same local fake Slack (``slack_load.py``): the
bot is ``python -m bot.app.cli serve`` on the embedded defaults (demo metrics, in-memory
stores), the baseline ``slack_baseline_app.py`` (Bolt ``AsyncApp`` that acks and posts one
line to ``response_url``). ``--concurrency`` workers each send a signed ``/ops <text>``, wait
for the acknowledgement and for the answer at the ``response_url``, and send the next; a
round is ``--requests`` commands. Rounds alternate between the servers (ours first in odd
rounds, the baseline first in even ones), after ``--warmup`` commands to each.

Reported per round and as the median of rounds: req/s (commands acked *and* answered per
second), ack p50/p99 (request sent -> HTTP answer), answer p50/p99 (sent -> answer at the
response_url), and ours/baseline.

Also per round: the server's CPU time per command (user + system, from ``/proc``), which
a busy machine inflates far less than the rates; and the 1-minute load average before and
after the run.

``--varied`` asks a different status question each time instead of ``--text``: "is web-1 up
right now?", "quick q: any targets down?", ... (templates x targets x openers x endings,
2940 texts in a fixed shuffled order, every one a ``status`` question like the default
"what's down?", so the handler's work stays the same), so a per-text cache of the server's
(the parser keeps 1024 readings) cannot answer them.

``--compiled`` runs our server from a copy of this tree whose parser is compiled with mypyc,
as the image (``Dockerfile``) builds it (``slack_load.compiled_copy``; needs the ``dev`` extra
and a C compiler).

    python bench/slack_bench.py [--rounds 6] [--requests 3000] [--concurrency 50]
        [--text "what's down?" | --varied] [--only ours] [--compiled]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from slack_load import (
    ROOT,
    Client,
    FakeSlack,
    Sample,
    Server,
    compiled_copy,
    percentile,
    start_server,
)

TARGETS = ("web-1", "web-2", "db-primary", "cache-1", "checkout-api", "payments", "search")
QUESTIONS = (
    "is {t} up?", "status of {t}", "{t} status", "is {t} reachable?", "is {t} online?",
    "status {t}", "is {t} running?", "is {t} alive?",
    "show status of {t}", "what's down?", "anything down?", "which targets are down",
    "is everything up?", "what is down?", "are all targets up?", "any targets down?",
)  # fmt: skip
OPENERS = ("", "hi bot, ", "quick q: ", "hey ", "bot, ", "ok so ", "yo ")
ENDINGS = ("", " right now", " pls", " please", " now", " currently")


def varied_texts(seed: int = 14) -> list[str]:
    """Every status question the templates make, in a fixed shuffled order."""
    texts = {
        f"{opener}{question.format(t=target)}{ending}"
        for question in QUESTIONS
        for target in TARGETS
        for opener in OPENERS
        for ending in ENDINGS
    }
    ordered = sorted(texts)
    random.Random(seed).shuffle(ordered)
    return ordered


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return os.getloadavg()[0]


@dataclass
class Round:
    kind: str
    requests: int
    seconds: float
    samples: list[Sample]
    cpu: float = float("nan")

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per command."""
        return self.cpu / self.requests * 1000

    @property
    def ok(self) -> int:
        return sum(1 for s in self.samples if s.answer is not None)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def acks(self) -> list[float]:
        return [s.ack for s in self.samples if s.ack is not None]

    def answers(self) -> list[float]:
        return [s.answer for s in self.samples if s.answer is not None]

    def line(self) -> str:
        acks, answers = self.acks(), self.answers()
        return (
            f"{self.kind:5s} {self.rate:7.1f} req/s  ok {self.ok}/{self.requests}  "
            f"ack p50 {percentile(acks, 0.5) * 1000:6.1f}"
            f" p99 {percentile(acks, 0.99) * 1000:6.1f} ms"
            f"  answer p50 {percentile(answers, 0.5) * 1000:6.1f}"
            f" p99 {percentile(answers, 0.99) * 1000:6.1f} ms  cpu {self.cpu_ms:.3f} ms/cmd"
        )


async def run_round(
    client: Client, server: Server, texts: Iterator[str], requests: int, concurrency: int
) -> Round:
    samples: list[Sample] = []
    remaining = iter(range(requests))

    async def worker() -> None:
        for _ in remaining:
            samples.append(await client.command(next(texts)))

    cpu = cpu_seconds(server.process.pid)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(server.process.pid) - cpu
    return Round(server.name, requests, seconds, samples, cpu)


async def bench(args: argparse.Namespace) -> list[Round]:
    fake = FakeSlack()
    await fake.start()
    log_dir = Path(tempfile.mkdtemp(prefix="slack-bench-"))
    kinds = [args.only] if args.only else ["ours", "bolt"]
    servers: dict[str, Server] = {}
    rounds: list[Round] = []
    root = ROOT
    if args.compiled:
        print("compiling the parser (mypyc) into a copy of the tree...", flush=True)
        root = compiled_copy(Path(tempfile.mkdtemp(prefix="slack-bench-compiled-")))
    try:
        for kind in kinds:
            prefix = args.prefix.split() if args.prefix and kind == "ours" else ()
            servers[kind] = await start_server(kind, fake, log_dir, prefix, root=root)
        clients = {k: Client(fake, s.url) for k, s in servers.items()}
        for client in clients.values():
            await client.__aenter__()
        texts = {
            kind: itertools.cycle(varied_texts() if args.varied else [args.text]) for kind in kinds
        }
        for kind, client in clients.items():
            warm = await run_round(
                client, servers[kind], texts[kind], args.warmup, args.concurrency
            )
            print(f"warm-up {warm.line()}", flush=True)
        for number in range(args.rounds):
            order = kinds if number % 2 == 0 else kinds[::-1]
            for kind in order:
                result = await run_round(
                    clients[kind], servers[kind], texts[kind], args.requests, args.concurrency
                )
                rounds.append(result)
                print(f"round {number + 1} {result.line()}", flush=True)
        for client in clients.values():
            await client.__aexit__()
    finally:
        for server in servers.values():
            server.stop()
        await fake.close()
    print(f"server logs: {log_dir}; busy answers: {fake.busy}")
    return rounds


def summary(rounds: list[Round], args: argparse.Namespace) -> str:
    text = (
        f"{len(varied_texts())} varied status questions (`--varied`)"
        if args.varied
        else f"Text `{args.text}`"
    )
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs ({_cpu()}), "
        f"Python {platform.python_version()}; load average {args.load_before:.2f} before, "
        f"{load_average():.2f} after",
        f"{text}, {args.requests} commands a round at concurrency {args.concurrency}, "
        f"{args.rounds} rounds (alternating), {args.warmup} warm-up commands each; our "
        f"parser {'compiled with mypyc (`--compiled`)' if args.compiled else 'pure Python'}.",
        "",
        "| server | req/s (median of rounds) | rounds req/s | ack p50 ms | ack p99 ms "
        "| answer p50 ms | answer p99 ms | failed | server CPU ms/command (median) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    medians: dict[str, float] = {}
    for kind in ("ours", "bolt"):
        mine = [r for r in rounds if r.kind == kind]
        if not mine:
            continue
        medians[kind] = statistics.median(r.rate for r in mine)
        acks = [a for r in mine for a in r.acks()]
        answers = [a for r in mine for a in r.answers()]
        failed = sum(r.requests - r.ok for r in mine)
        lines.append(
            f"| {kind} | {medians[kind]:.0f} | {', '.join(f'{r.rate:.0f}' for r in mine)} "
            f"| {percentile(acks, 0.5) * 1000:.1f} | {percentile(acks, 0.99) * 1000:.1f} "
            f"| {percentile(answers, 0.5) * 1000:.1f} | {percentile(answers, 0.99) * 1000:.1f} "
            f"| {failed} | {statistics.median(r.cpu_ms for r in mine):.3f} |"
        )
    if len(medians) == 2:
        lines += ["", f"ours / bolt = {medians['ours'] / medians['bolt']:.2f}x"]
    return "\n".join(lines) + "\n"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--text", default="what's down?")
    parser.add_argument("--varied", action="store_true", help="varied status questions")
    parser.add_argument("--only", choices=("ours", "bolt"))
    parser.add_argument("--prefix", help="put before our server's command (a profiler)")
    parser.add_argument(
        "--compiled", action="store_true", help="our parser compiled with mypyc, as in the image"
    )
    args = parser.parse_args()
    args.load_before = load_average()
    print(f"load average {args.load_before:.2f}", flush=True)
    rounds = asyncio.run(bench(args))
    print()
    print(summary(rounds, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
