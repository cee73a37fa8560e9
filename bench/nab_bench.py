"""NAB benchmark of the anomaly detector, at the fixed alert threshold.

    python bench/nab_bench.py DATA_ROOT --scorer PATH/nab_score.py [--out DIR] [--threshold T]

Scores every ``DATA_ROOT/data/<category>/<file>.csv`` with :meth:`Detector.score_online`
(fully causal, same parameters for every file), writes ``<out>/<category>/<file>.csv`` with
``timestamp,value,anomaly_score``, scores them with the given NAB scorer at the fixed
threshold (default: :data:`ALERT_THRESHOLD`, the one the bot alerts with) and prints the
Standard / Reward-low-FP / Reward-low-FN scores, windows hit and false-positive rows. The
scorer's best-threshold sweep is printed too, for reference only.

Cost: points per second over the whole data root (scoring only, no file I/O), and the
latency of one query over 100 synthetic one-day series at 1-minute resolution (1440 points
each) through :class:`AnomalyService`: cold (fitting and scoring every series), repeated (the
same question again: cached states and scores) and a minute later (each window moved on by
one row, so one new row per series is scored incrementally).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import shlex
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from bot.features.metrics.ports import Series
from ml.anomaly import ALERT_THRESHOLD, AnomalyService, Detector, StateCache
from ml.anomaly.detect_cli import DetectInputError, read_series_csv

PROFILES = (
    ("standard", "Standard"),
    ("reward_low_FP_rate", "Reward-low-FP"),
    ("reward_low_FN_rate", "Reward-low-FN"),
)


def load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("nab_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot import scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def data_files(root: Path) -> list[Path]:
    data = root / "data" if (root / "data").is_dir() else root
    return sorted(data.glob("*/*.csv"))


def score_all(root: Path, out: Path) -> tuple[dict[str, np.ndarray], int, float]:
    """Score every file; returns scores by ``category/file.csv``, points and seconds."""
    detector = Detector()
    data = root / "data" if (root / "data").is_dir() else root
    scores: dict[str, np.ndarray] = {}
    points, seconds = 0, 0.0
    for path in data_files(root):
        rel = path.relative_to(data).as_posix()
        series = read_series_csv(path)
        t0 = time.perf_counter()
        result = detector.score_online(series.timestamps, series.values)
        seconds += time.perf_counter() - t0
        points += len(series.values)
        scores[rel] = result.scores
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(("timestamp", "value", "anomaly_score"))
            for t, v, s in zip(
                series.timestamp_text, series.value_text, result.scores, strict=True
            ):
                writer.writerow((t, v, f"{s:.6f}"))
    return scores, points, seconds


def synthetic_day(rng: np.random.Generator, n: int = 1441) -> Series:
    """A noisy daily rhythm with one spike, 1-minute steps (one row more than a day)."""
    t = 1_700_000_000.0 + 60.0 * np.arange(n)
    rhythm = 50 + 20 * np.sin(2 * np.pi * np.arange(n) / (n - 1))
    values = rhythm + rng.normal(0, 2, n)
    values[rng.integers(n // 2, n)] += 30
    return Series({}, tuple(t.tolist()), tuple(values.tolist()))


def day_window(series: Series, start: int, rows: int = 1440) -> Series:
    cut = slice(start, start + rows)
    return Series(series.labels, series.timestamps[cut], series.values[cut])


async def latency(n_series: int = 100) -> tuple[float, float, float, int]:
    """Seconds for ``find`` over ``n_series`` one-day series (1440 rows each): cold (fit and
    score everything), warm (the same question again) and a minute later (the same series,
    window moved on by one row: one new row per series)."""
    rng = np.random.default_rng(7)
    days = [(f"series-{i}", synthetic_day(rng)) for i in range(n_series)]
    batch = [(name, day_window(s, 0)) for name, s in days]
    later = [(name, day_window(s, 1)) for name, s in days]
    service = AnomalyService(cache=StateCache(capacity=4 * n_series))
    t0 = time.perf_counter()
    findings = await service.find(batch)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    await service.find(batch)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    await service.find(later)
    moved = time.perf_counter() - t0
    return cold, warm, moved, len(findings)


def report(results: dict[str, Any], threshold: float) -> None:
    print(f"\nNAB at fixed threshold {threshold:g}:")
    print(
        f"{'profile':<15}{'score':>8}{'windows hit':>14}{'FP rows':>9}   (sweep: best score @thr)"
    )
    for key, label in PROFILES:
        fixed, best = results[key]["fixed"], results[key]["best"]
        hit = f"{fixed['windows_hit']}/{fixed['windows_hit'] + fixed['windows_missed']}"
        print(
            f"{label:<15}{fixed['normalized']:>8.2f}{hit:>14}{fixed['fp_rows']:>9}"
            f"   ({best['normalized']:.2f} @ {best['threshold']:.6g})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_root", type=Path, help="NAB-format root (data/, labels/)")
    parser.add_argument("--scorer", type=Path, required=True, help="path to nab_score.py")
    parser.add_argument("--out", type=Path, default=Path("bench/out/nab"))
    parser.add_argument("--threshold", type=float, default=ALERT_THRESHOLD)
    args = parser.parse_args(argv)
    print("command: python " + shlex.join(["bench/nab_bench.py", *(argv or sys.argv[1:])]))
    scorer = load_scorer(args.scorer)
    try:
        scores, points, seconds = score_all(args.data_root, args.out)
    except DetectInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    corpus = scorer.load_corpus(str(args.data_root))
    results = scorer.evaluate(corpus, scores, thresholds=args.threshold)
    report(results, args.threshold)
    print(
        f"\nscored {len(scores)} files, {points} points in {seconds:.2f} s: "
        f"{points / seconds:,.0f} points/s (1 process)"
    )
    cold, warm, moved, found = asyncio.run(latency())
    print(
        f"100 series x 1440 points (1-min, one day): cold query {cold * 1000:.0f} ms "
        f"({cold * 10:.2f} ms/series, fit + score), repeated query {warm * 1000:.0f} ms "
        f"({warm * 10:.2f} ms/series, cached), a minute later {moved * 1000:.0f} ms "
        f"({moved * 10:.2f} ms/series, 1 new row each); {found} findings"
    )
    print(f"detector output written under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
