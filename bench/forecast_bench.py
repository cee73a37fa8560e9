"""Benchmark of the forecaster (``ml/forecast``): threshold-crossing times and band coverage.

    python bench/forecast_bench.py DATA_ROOT [DATA_ROOT ...] [--param MODULE.NAME=VALUE ...]

Each DATA_ROOT is a NAB-layout corpus (``<root>/data/<category>/<file>.csv`` with
``timestamp,value``), read in place. For every file, forecast origins are placed every 12 h
from 2 days after its first sample to 1 day before its last; the model sees up to 7 days
before the origin and the next 24 h are hidden.

A window has a *clear trend* when a least-squares line through the 24 h before and the 24 h
after the origin explains at least half of their variance (R^2 >= 0.5). This rule looks at
the data only, never at the forecaster. For each trending window, thresholds are put a
quarter, half and three quarters of the way from the current level (median of the last hour
before the origin) to the level at the end of the hidden day (median of its last hour); the
actual crossing is the first time the hidden part, smoothed by a centred 1-hour running
median, reaches the threshold. The forecaster is asked ``crossing(fit(visible), threshold,
horizon=7 days, direction)`` and its ``likely`` time compared with the actual one. A naive
baseline (least-squares line through the visible window, and through its last 24 h) answers
the same questions.

Band coverage is the share of hidden raw samples inside the forecast's 80 % band, over all
windows and over the trending ones. The demo part forecasts db-primary's disk from the demo
fleet (``adapters.metrics.demo_model``) and compares with its true time of reaching 100 %.
``--param`` overrides a module constant of ``ml.forecast`` for a tuning run, e.g.
``--param regime.F_CRITICAL=10``.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from adapters.metrics.demo_model import INCIDENTS, anchor, build_fleet, metric_values
from ml.anomaly.detect_cli import read_series_csv
from ml.forecast import (
    DAY,
    CrossingStatus,
    Direction,
    FittedModel,
    ForecastInputError,
    crossing,
    fit,
    forecast,
)

FloatArray = npt.NDArray[np.float64]
HOUR = 3600.0
HISTORY, MIN_HISTORY, HIDDEN, EVERY = 7 * DAY, 2 * DAY, DAY, 12 * HOUR
ASK_HORIZON = 7 * DAY
MIN_R2 = 0.5
FRACTIONS = (0.25, 0.5, 0.75)
SMOOTH = HOUR


@dataclass(frozen=True)
class Window:
    name: str
    origin: float
    t_vis: FloatArray
    y_vis: FloatArray
    t_hid: FloatArray
    y_hid: FloatArray


@dataclass(frozen=True)
class Target:
    threshold: float
    direction: Direction
    actual: float
    lead: float


@dataclass
class Tally:
    """Everything counted over one corpus."""

    files: int = 0
    windows: int = 0
    trending: int = 0
    refused: int = 0
    inside_all: list[int] = field(default_factory=lambda: [0, 0])
    inside_trend: list[int] = field(default_factory=lambda: [0, 0])
    outcomes: dict[str, list[tuple[str, float, float, bool]]] = field(default_factory=dict)

    def add(self, method: str, status: str, error: float, lead: float, in_range: bool) -> None:
        self.outcomes.setdefault(method, []).append((status, error, lead, in_range))


def load(path: Path) -> tuple[FloatArray, FloatArray]:
    series = read_series_csv(path)
    t, y = np.asarray(series.timestamps), np.asarray(series.values)
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    keep = np.concatenate(([True], np.diff(t) > 0))
    return t[keep], y[keep]


def windows(name: str, t: FloatArray, y: FloatArray) -> Iterator[Window]:
    origin = t[0] + MIN_HISTORY
    while origin + HIDDEN <= t[-1]:
        vis = (t > origin - HISTORY) & (t <= origin)
        hid = (t > origin) & (t <= origin + HIDDEN)
        yield Window(name, origin, t[vis], y[vis], t[hid], y[hid])
        origin += EVERY


def is_trending(w: Window) -> bool:
    """R^2 of one line through the 24 h either side of the origin (the selection rule)."""
    tt = np.concatenate((w.t_vis[w.t_vis > w.origin - HIDDEN], w.t_hid))
    yy = np.concatenate((w.y_vis[w.t_vis > w.origin - HIDDEN], w.y_hid))
    ok = np.isfinite(yy)
    if ok.sum() < 24 or np.ptp(yy[ok]) == 0:
        return False
    coef = np.polyfit(tt[ok] - w.origin, yy[ok], 1)
    resid = yy[ok] - np.polyval(coef, tt[ok] - w.origin)
    return bool(1 - resid.var() / yy[ok].var() >= MIN_R2)


def running_median(t: FloatArray, y: FloatArray) -> FloatArray:
    step = float(np.median(np.diff(t)))
    k = max(3, round(SMOOTH / step)) | 1
    if len(y) < k:
        return y
    padded = np.pad(y, k // 2, mode="edge")
    return np.asarray(np.nanmedian(sliding_window_view(padded, k), axis=1), dtype=np.float64)


def targets(w: Window) -> list[Target]:
    ok_v, ok_h = np.isfinite(w.y_vis), np.isfinite(w.y_hid)
    t_v, y_v, t_h, y_h = w.t_vis[ok_v], w.y_vis[ok_v], w.t_hid[ok_h], w.y_hid[ok_h]
    if len(y_h) < 6 or len(y_v) < 6:
        return []
    now = float(np.median(y_v[t_v > max(w.origin - SMOOTH, t_v[-3] - 1)]))
    end = float(np.median(y_h[t_h > min(w.origin + HIDDEN - SMOOTH, t_h[-3] - 1)]))
    sign = 1.0 if end > now else -1.0
    smooth = running_median(t_h, y_h)
    found = []
    for fraction in FRACTIONS:
        threshold = now + fraction * (end - now)
        hits = np.flatnonzero(sign * (smooth - threshold) >= 0)
        if len(hits):
            actual = float(t_h[hits[0]])
            direction = Direction.ABOVE if sign > 0 else Direction.BELOW
            found.append(Target(threshold, direction, actual, actual - w.origin))
    return found


def line_crossing(t: FloatArray, y: FloatArray, origin: float, target: Target) -> float | None:
    """The naive answer: when a least-squares line through ``(t, y)`` reaches the threshold."""
    ok = np.isfinite(y)
    slope, level = np.polyfit(t[ok] - origin, y[ok], 1)
    if slope == 0:
        return None
    when = origin + (target.threshold - level) / slope
    return when if origin < when <= origin + ASK_HORIZON else None


def score_window(w: Window, tally: Tally) -> None:
    tally.windows += 1
    try:
        model = fit(w.t_vis, w.y_vis)
    except ForecastInputError:
        tally.refused += 1
        return
    path = forecast(model, HIDDEN, float(np.median(np.diff(w.t_vis))))
    lower = np.interp(w.t_hid, path.timestamps, path.lower)
    upper = np.interp(w.t_hid, path.timestamps, path.upper)
    ok = np.isfinite(w.y_hid)
    inside = int(((w.y_hid >= lower) & (w.y_hid <= upper) & ok).sum())
    trending = is_trending(w)
    for bucket in [tally.inside_all] + ([tally.inside_trend] if trending else []):
        bucket[0] += inside
        bucket[1] += int(ok.sum())
    if trending:
        tally.trending += 1
        for target in targets(w):
            judge_target(w, model, target, tally)


def judge_target(w: Window, model: FittedModel, target: Target, tally: Tally) -> None:
    answer = crossing(model, target.threshold, ASK_HORIZON, target.direction)
    if answer.status is CrossingStatus.CROSSES and answer.likely is not None:
        latest = answer.latest if answer.latest is not None else answer.horizon_end
        in_range = answer.earliest is not None and answer.earliest <= target.actual <= latest
        error = abs(answer.likely - target.actual)
        tally.add("forecaster", "crosses", error, target.lead, in_range)
    else:
        tally.add("forecaster", answer.status.value, np.nan, target.lead, False)
    recent = w.t_vis > w.origin - DAY
    for method, (tt, yy) in {
        "line, visible window": (w.t_vis, w.y_vis),
        "line, last 24 h": (w.t_vis[recent], w.y_vis[recent]),
    }.items():
        when = line_crossing(tt, yy, w.origin, target)
        status = "crosses" if when is not None else "not_at_current_rate"
        error = abs(when - target.actual) if when is not None else np.nan
        tally.add(method, status, error, target.lead, False)


def run_corpus(root: Path) -> Tally:
    data = root / "data" if (root / "data").is_dir() else root
    tally = Tally()
    for path in sorted(data.glob("*/*.csv")):
        t, y = load(path)
        tally.files += 1
        for w in windows(path.relative_to(data).as_posix(), t, y):
            score_window(w, tally)
    return tally


def report(root: Path, tally: Tally) -> None:
    print(f"\n## {root}\n")
    print(
        f"{tally.files} files, {tally.windows} windows ({tally.refused} refused by the "
        f"forecaster), {tally.trending} with a clear trend"
    )
    for label, (inside, total) in (
        ("all windows", tally.inside_all),
        ("trending windows", tally.inside_trend),
    ):
        share = inside / total if total else float("nan")
        print(f"80 % band coverage of the hidden 24 h, {label}: {share:.3f} ({total} samples)")
    print(
        "\n| method | targets | crosses | 'not at current rate' | already past | "
        "median abs err (h) | mean abs err (h) | median err / lead | in [earliest, latest] |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for method, rows in tally.outcomes.items():
        print(summary_row(method, rows))


def summary_row(method: str, rows: list[tuple[str, float, float, bool]]) -> str:
    n = len(rows)
    status = [r[0] for r in rows]
    errors = np.array([r[1] for r in rows if r[0] == "crosses"]) / HOUR
    relative = np.array([r[1] / r[2] for r in rows if r[0] == "crosses"])
    in_range = sum(r[3] for r in rows if r[0] == "crosses")
    crosses = status.count("crosses")
    misses = status.count("not_at_current_rate")
    already = status.count("already")
    med = float(np.median(errors)) if len(errors) else float("nan")
    mean = float(errors.mean()) if len(errors) else float("nan")
    rel = float(np.median(relative)) if len(relative) else float("nan")
    range_text = f"{in_range / crosses:.0%}" if method == "forecaster" and crosses else "-"
    return (
        f"| {method} | {n} | {crosses} | {misses} ({misses / n:.0%}) | {already} | "
        f"{med:.2f} | {mean:.2f} | {rel:.2f} | {range_text} |"
    )


def demo_truth(seed: int, now: float) -> float:
    """When the demo's db-primary disk first reaches 100 %, from the model's own parts.

    The disk is ``base + noise(t)`` plus the fill incident's ramp. The noise is read from the
    same public function with "now" pushed far enough ahead that the fill has not started
    yet at the times asked; the ramp is the incident's slope since its start.
    """
    fill = next(i for i in INCIDENTS if i.target == "db-primary" and i.metric == "disk")
    db = next(t for t in build_fleet(seed) if t.name == "db-primary")
    grid = now + np.arange(0.0, 4 * DAY, 10.0)
    later = grid[-1] - fill.start + 2 * HOUR
    base_and_noise = metric_values(seed, db, "disk", grid, later)
    ramp = fill.slope * np.clip(grid - (anchor(now) + fill.start), 0.0, None) / HOUR
    return float(grid[np.flatnonzero(base_and_noise + ramp >= 100.0)[0]])


def run_demo() -> None:
    print("\n## demo: db-primary disk reaching 100 %\n")
    print("| history | runs | median abs err (h) | max abs err (h) | truth in [earliest, latest] |")
    print("|---|---:|---:|---:|---:|")
    nows = [1_760_000_000.0 + k * 7_919.0 for k in range(5)]
    for days in (1, 2, 3, 7):
        errors, inside = [], 0
        for seed in range(4):
            for now in nows:
                errors.append(demo_error(seed, now, days))
                inside += errors[-1][1]
        abs_err = np.array([e[0] for e in errors]) / HOUR
        print(
            f"| {days} d at 5 min | {len(errors)} | {np.median(abs_err):.2f} | "
            f"{abs_err.max():.2f} | {inside}/{len(errors)} |"
        )


def demo_error(seed: int, now: float, days: int) -> tuple[float, bool]:
    db = next(t for t in build_fleet(seed) if t.name == "db-primary")
    t = np.arange(now - days * DAY, now + 1.0, 300.0)
    model = fit(t, metric_values(seed, db, "disk", t, now))
    answer = crossing(model, 100.0, ASK_HORIZON)
    truth = demo_truth(seed, now)
    assert answer.likely is not None
    assert answer.earliest is not None
    latest = answer.latest if answer.latest is not None else answer.horizon_end
    return abs(answer.likely - truth), answer.earliest <= truth <= latest


def cost() -> None:
    rng = np.random.default_rng(0)
    t = 1_760_000_000.0 + 300.0 * np.arange(2016)
    y = 50 + 0.01 * np.arange(2016) + 5 * np.sin(2 * np.pi * t / DAY) + rng.normal(0, 1, 2016)
    runs = []
    for _ in range(50):
        start = time.perf_counter()
        model = fit(t, y)
        forecast(model, 7 * DAY)
        crossing(model, 100.0, 7 * DAY)
        runs.append(time.perf_counter() - start)
    print(
        f"\ncost: fit + 7-day forecast + crossing on 7 days at 5 min (2016 samples): median "
        f"{np.median(runs) * 1000:.1f} ms, max {max(runs) * 1000:.1f} ms over 50 runs"
    )


def apply_params(params: list[str]) -> None:
    for item in params:
        name, value = item.split("=", 1)
        module, constant = name.rsplit(".", 1)
        target = importlib.import_module(f"ml.forecast.{module}")
        if not hasattr(target, constant):
            raise SystemExit(f"error: ml.forecast.{module} has no {constant}")
        setattr(target, constant, type(getattr(target, constant))(value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roots", type=Path, nargs="+", help="NAB-layout data roots")
    parser.add_argument("--param", action="append", default=[], help="MODULE.NAME=VALUE")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo and cost parts")
    args = parser.parse_args(argv)
    print("command: python " + shlex.join(["bench/forecast_bench.py", *(argv or sys.argv[1:])]))
    apply_params(args.param)
    for root in args.roots:
        report(root, run_corpus(root))
    if not args.no_demo:
        run_demo()
        cost()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
