"""NAB-style benchmark of the anomaly detector on NAB DEV and CMD, at the fixed threshold.

    python bench/nab_bench.py --nab NAB_ROOT --cmd CMD_ROOT --scorer PATH/nab_score.py
        [--out DIR] [--threshold T] [--procs N] [--loco] [--skip-speed]

Scores every ``<root>/data/<category>/<file>.csv`` of each corpus with
:meth:`Detector.score_online` (fully causal, default parameters for every file), writes
``<out>/<corpus>/<category>/<file>.csv`` (``timestamp,value,anomaly_score``) and evaluates
them with the given NAB scorer at one fixed threshold (default :data:`ALERT_THRESHOLD`, the
one the bot alerts with). Prints per corpus the three NAB profiles, windows hit and
false-positive rows, and per category the raw Standard score next to the best of NAB's
reference detectors (``bench/nab_references.json``). ``--loco`` adds the
leave-one-category-out table (``nab_loco.py``; about 81 scoring runs); the latency of the
bot's fleet query (``nab_speed.py``) comes last. The report is also written to
``<out>/report.txt``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nab_loco
import nab_speed
from nab_corpus import (
    PROFILES,
    Evaluation,
    evaluate_by_category,
    load_corpus,
    load_scorer,
    score_corpora,
    write_scores,
)

from ml.anomaly import ALERT_THRESHOLD, DETECTOR_NAME, DETECTOR_VERSION, DetectorParams

REFERENCES = Path(__file__).with_name("nab_references.json")


@dataclass
class Report:
    """Lines printed as they come and kept for ``report.txt``."""

    lines: list[str] = field(default_factory=list)

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


def best_references(corpus: str) -> dict[str, tuple[float, str]]:
    """Best raw Standard per category over the reference detectors, and which one it is."""
    detectors = json.loads(REFERENCES.read_text(encoding="utf-8"))[corpus]["detectors"]
    best: dict[str, tuple[float, str]] = {}
    for name, row in detectors.items():
        for category, raw in row.items():
            if category != "ALL" and (category not in best or raw > best[category][0]):
                best[category] = (raw, name)
    return best


def corpus_table(say: Report, corpus: str, evals: dict[str, Evaluation]) -> list[float]:
    """Totals and the per-category table; returns the gaps to the best reference."""
    total = evals["ALL"]
    scores = "  ".join(f"{p} {total.tallies[p].normalised:.2f}" for p in PROFILES)
    say(
        f"\n{corpus.upper()}: {scores}  (windows hit {total.hits}/{total.windows}, "
        f"FP rows {total.fp_rows})"
    )
    say(
        f"  {'category':<36}{'hit':>8}{'FP':>5}{'Std raw':>9}{'lowFP':>8}{'lowFN':>8}"
        f"{'best ref':>9}  {'(detector)':<27}{'gap':>7}"
    )
    gaps = []
    refs = best_references(corpus)
    for category, e in evals.items():
        if category == "ALL":
            continue
        raw = [e.tallies[p].raw for p in PROFILES]
        ref, who = refs.get(category, (float("nan"), "-"))
        gaps.append(raw[0] - ref)
        say(
            f"  {category[:36]:<36}{f'{e.hits}/{e.windows}':>8}{e.fp_rows:>5}{raw[0]:>9.2f}"
            f"{raw[1]:>8.2f}{raw[2]:>8.2f}{ref:>9.2f}  {who[:27]:<27}{raw[0] - ref:>7.2f}"
        )
    return gaps


def loco_table(say: Report, store: nab_loco.Store) -> None:
    folds = nab_loco.loco(store)
    refs = {c: best_references(c) for c in store[next(iter(store))]}
    say("\nLeave-one-category-out (configuration chosen on the other 13 categories):")
    say(f"  {'held out':<40}{'chosen':<52}{'raw':>7}{'default':>9}{'ref':>8}{'gap':>7}")
    gaps = []
    for f in folds:
        ref = refs[f.corpus][f.category][0]
        gaps.append(f.raw - ref)
        say(
            f"  {f'{f.corpus}/{f.category}'[:40]:<40}{f.chosen:<52}{f.raw:>7.2f}"
            f"{f.raw_at_defaults:>9.2f}{ref:>8.2f}{f.raw - ref:>7.2f}"
        )
    say(
        f"  held-out gap to the best reference: mean {sum(gaps) / len(gaps):+.2f}, "
        f"worst {min(gaps):+.2f}"
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nab", type=Path, help="NAB root (data/, labels/)")
    parser.add_argument("--cmd", type=Path, help="CMD root, same layout")
    parser.add_argument("--scorer", type=Path, required=True, help="path to nab_score.py")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--threshold", type=float, default=ALERT_THRESHOLD)
    parser.add_argument("--procs", type=int, default=2, help="scoring processes (default 2)")
    parser.add_argument("--loco", action="store_true", help="add the LOCO table (slow)")
    parser.add_argument("--skip-speed", action="store_true", help="no latency measurement")
    args = parser.parse_args(argv)
    if args.nab is None and args.cmd is None:
        parser.error("give --nab and/or --cmd")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    say = Report()
    say("command: python " + shlex.join(["bench/nab_bench.py", *(argv or sys.argv[1:])]))
    say(f"detector {DETECTOR_NAME} v{DETECTOR_VERSION}, fixed threshold {args.threshold:g}")
    scorer = load_scorer(args.scorer)
    roots = {name: root for name, root in (("nab", args.nab), ("cmd", args.cmd)) if root}
    corpora = {name: load_corpus(scorer, root) for name, root in roots.items()}
    t0 = time.perf_counter()
    scores = score_corpora(roots, DetectorParams(), args.procs)
    seconds = time.perf_counter() - t0
    points = sum(len(s) for s in scores.values())
    gaps = []
    for name, root in roots.items():
        write_scores(root, name, scores, args.out / name)
        mine = {rel: s for (c, rel), s in scores.items() if c == name}
        gaps += corpus_table(
            say, name, evaluate_by_category(scorer, corpora[name], mine, args.threshold)
        )
    say(f"\nworst category gap to the best reference: {min(gaps):+.2f} raw Standard")
    say(
        f"scored {len(scores)} files, {points:,} points in {seconds:.2f} s wall on "
        f"{args.procs} process(es): {points / seconds:,.0f} points/s"
    )
    if args.loco:
        say(f"\nLOCO grid: {nab_loco.GRID}")
        store = nab_loco.run_grid(scorer, roots, corpora, args.threshold, args.procs, say)
        loco_table(say, store)
    if not args.skip_speed:
        say("\nfleet queries (AnomalyService.find):")
        say(nab_speed.report())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.txt").write_text("\n".join(say.lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
