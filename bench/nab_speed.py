"""What the detector costs the bot: query latency over a fleet of one-day series.

The bot asks about many series at once (``AnomalyService.find``), usually again a minute
later with every window moved on by one row. Three latencies over 100 synthetic one-day
series at 1-minute steps (1440 rows each), for two fleets:

* busy - every series has a daily rhythm and one spike: the detector has less than a day to
  learn the rhythm from, so it also flags a few stretches of it, and every series has spans
  to explain (a worst case for the explanations);
* quiet - noise around a level, a spike in one series in twenty (closer to a real fleet).

And per fleet:

* cold - nothing cached: every series fitted and scored;
* repeated - the same question again: states and scores come from the caches;
* a minute later - each window moved on by one row: one new row per series is scored
  incrementally from the cached state.

Each is the best of ``repeats`` runs on fresh services: the machine is shared, and the best
run is the one least disturbed by other work (the median is printed too). Run on its own
with ``python bench/nab_speed.py``; ``nab_bench.py`` runs it last.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass

import numpy as np

from bot.features.metrics.ports import Series
from ml.anomaly import AnomalyService, StateCache

QUERIES = ("cold (fit + score)", "repeated (cached)", "a minute later (1 new row each)")


@dataclass(frozen=True)
class Latency:
    """Per query of :data:`QUERIES`, the wall and CPU seconds of every repeat (CPU time of
    all the process's threads: less disturbed by other work on the machine than the wall
    clock), and the findings of the cold query."""

    wall: tuple[list[float], ...]
    cpu: tuple[list[float], ...]
    findings: int


def synthetic_day(
    rng: np.random.Generator, n: int = 1441, rhythm: float = 20.0, spike: bool = True
) -> Series:
    """Noise around 50 with a daily rhythm of amplitude ``rhythm`` and maybe one spike,
    1-minute steps (one row more than a day)."""
    t = 1_700_000_000.0 + 60.0 * np.arange(n)
    values = 50 + rhythm * np.sin(2 * np.pi * np.arange(n) / (n - 1)) + rng.normal(0, 2, n)
    if spike:
        values[rng.integers(n // 2, n)] += 30
    return Series({}, tuple(t.tolist()), tuple(values.tolist()))


def fleet(kind: str, n_series: int = 100) -> list[tuple[str, Series]]:
    """The ``busy`` or ``quiet`` fleet of the module docstring."""
    rng = np.random.default_rng(7)
    if kind == "busy":
        return [(f"series-{i}", synthetic_day(rng)) for i in range(n_series)]
    return [
        (f"series-{i}", synthetic_day(rng, rhythm=0.0, spike=i % 20 == 0)) for i in range(n_series)
    ]


def day_window(series: Series, start: int, rows: int = 1440) -> Series:
    cut = slice(start, start + rows)
    return Series(series.labels, series.timestamps[cut], series.values[cut])


async def _once(
    batch: list[tuple[str, Series]], later: list[tuple[str, Series]]
) -> tuple[list[tuple[float, float]], int]:
    service = AnomalyService(cache=StateCache(capacity=4 * len(batch)))
    times, findings = [], 0
    for query in (batch, batch, later):
        wall, cpu = time.perf_counter(), time.process_time()
        found = await service.find(query)
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
        findings = findings or len(found)
    return times, findings


def measure(kind: str = "busy", n_series: int = 100, repeats: int = 7) -> Latency:
    """Run the three queries on the ``kind`` fleet ``repeats`` times on fresh services."""
    days = fleet(kind, n_series)
    batch = [(name, day_window(s, 0)) for name, s in days]
    later = [(name, day_window(s, 1)) for name, s in days]
    runs = [asyncio.run(_once(batch, later)) for _ in range(repeats)]
    wall = tuple([times[q][0] for times, _ in runs] for q in range(len(QUERIES)))
    cpu = tuple([times[q][1] for times, _ in runs] for q in range(len(QUERIES)))
    return Latency(wall, cpu, runs[0][1])


def describe(latency: Latency, n_series: int = 100) -> str:
    """One line per query, in milliseconds."""
    lines = []
    for label, wall, cpu in zip(QUERIES, latency.wall, latency.cpu, strict=True):
        best = min(wall)
        lines.append(
            f"  {label:<32} wall best {best * 1000:6.1f} ms, median "
            f"{statistics.median(wall) * 1000:6.1f} ms; CPU best {min(cpu) * 1000:6.1f} ms "
            f"({best * 1000 / n_series:.2f} ms/series)"
        )
    lines.append(f"  findings in the cold query: {latency.findings}")
    return "\n".join(lines)


def report() -> str:
    """Both fleets, as printed by ``nab_bench.py``, after the load average of the machine
    (the wall times are only comparable at a similar load)."""
    out = ["load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())]
    for kind in ("busy", "quiet"):
        out.append(f"{kind} fleet, 100 series x 1440 rows (1-minute steps, one day):")
        out.append(describe(measure(kind)))
    return "\n".join(out)


if __name__ == "__main__":
    print(report())
