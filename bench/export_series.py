"""Export series from a Prometheus as NAB-layout CSV files, to measure the detector or the
forecaster on your own data (``bench/nab_bench.py``, ``bench/forecast_bench.py``,
``smartcloudops detect``).

    python bench/export_series.py PROMQL --prometheus URL --out DIR [--hours 168] [--step 60]

Each series the expression returns becomes ``DIR/<name>.csv`` with the header
``timestamp,value`` (UTC, ``YYYY-MM-DD HH:MM:SS``, as in NAB), named from its labels.

This is a one-shot, blocking command-line tool, so it uses prometheus-api-client (a
synchronous ``requests`` client, installed with ``pip install -e '.[tools]'``). The bot itself
talks to Prometheus through aiohttp on its event loop and never imports it.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def series_name(labels: Mapping[str, str], taken: set[str]) -> str:
    """A file name from the labels (``__name__`` first, then the rest in order), unique
    among ``taken``."""
    parts = [labels.get("__name__", "series")]
    parts += [f"{k}-{v}" for k, v in sorted(labels.items()) if k != "__name__"]
    base = _UNSAFE.sub("_", "_".join(parts)).strip("._") or "series"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def rows(values: Sequence[Sequence[Any]]) -> list[tuple[str, str]]:
    """Prometheus ``[unix, "value"]`` pairs as NAB rows; NaN and infinite samples are kept
    as Prometheus wrote them (``smartcloudops detect`` documents how it treats them)."""
    return [
        (datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d %H:%M:%S"), str(value))
        for ts, value in values
    ]


def export(
    prometheus: str, expr: str, out: Path, *, hours: float, step: int, now: datetime | None = None
) -> list[Path]:
    """Query ``expr`` over the last ``hours`` at ``step`` seconds and write one CSV per series."""
    from prometheus_api_client import PrometheusConnect

    client = PrometheusConnect(url=prometheus, disable_ssl=False, timeout=60)
    end = now or datetime.now(UTC)
    result = client.custom_query_range(
        expr, start_time=end - timedelta(hours=hours), end_time=end, step=str(step)
    )
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    written = []
    for series in result:
        path = out / f"{series_name(series.get('metric', {}), taken)}.csv"
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(("timestamp", "value"))
            writer.writerows(rows(series.get("values", [])))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("expr", metavar="PROMQL")
    parser.add_argument("--prometheus", required=True, metavar="URL")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument("--hours", type=float, default=168.0)
    parser.add_argument("--step", type=int, default=60, help="seconds between samples")
    args = parser.parse_args(argv)
    try:
        written = export(args.prometheus, args.expr, args.out, hours=args.hours, step=args.step)
    except Exception as exc:  # a one-shot tool: say what failed, in one line
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if not written:
        print("the expression returned no series", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
