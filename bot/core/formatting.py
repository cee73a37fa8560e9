"""Numbers, units and durations as people read them on a phone ("42.1 %", "1.2 MB/s", "2h 10m").

Units are the catalog's (see :mod:`bot.features.metrics.catalog`): ``percent``, ``seconds``,
``bytes_per_second``,
``per_second`` and ``""`` for a plain number (raw PromQL answers).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bot.core.model import Table

PERCENT = "percent"
SECONDS = "seconds"
BYTES_PER_SECOND = "bytes_per_second"
PER_SECOND = "per_second"

_BYTE_PREFIXES = ((1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s"), (1.0, "B/s"))
_DURATION_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def format_number(value: float) -> str:
    """A plain number with about four significant digits; whole numbers without decimals."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4g}"


def format_value(value: float, unit: str) -> str:
    """``value`` in ``unit``, scaled to a readable prefix ("120 ms", "3.4 MB/s")."""
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else format_number(value)
    if unit == PERCENT:
        return f"{_short(value)} %"
    if unit == SECONDS:
        return f"{_short(value * 1000)} ms" if abs(value) < 1 else f"{_short(value)} s"
    if unit == BYTES_PER_SECOND:
        factor, label = _byte_scale(abs(value))
        return f"{_short(value / factor)} {label}"
    if unit == PER_SECOND:
        return f"{_short(value)} req/s"
    return format_number(value)


def axis_scale(values: list[float], unit: str) -> tuple[float, str]:
    """Divisor and axis label so a chart's y axis reads in one sensible unit."""
    finite = [abs(v) for v in values if math.isfinite(v)]
    peak = max(finite, default=0.0)
    if unit == PERCENT:
        return 1.0, "%"
    if unit == SECONDS:
        return (0.001, "ms") if peak < 1 else (1.0, "s")
    if unit == BYTES_PER_SECOND:
        return _byte_scale(peak)
    if unit == PER_SECOND:
        return 1.0, "req/s"
    return 1.0, ""


def format_duration(seconds: float) -> str:
    """At most two units, largest first: ``90`` -> "1m 30s", ``93600`` -> "1d 2h"."""
    remaining = max(0, round(seconds))
    if remaining == 0:
        return "0s"
    parts: list[str] = []
    for suffix, size in _DURATION_UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{suffix}")
        if len(parts) == 2:
            break
    return " ".join(parts)


def format_ago(timestamp: float, now: float) -> str:
    """How long ago ``timestamp`` was, to the minute ("just now", "25m ago", "2h 10m ago")."""
    elapsed = now - timestamp
    if elapsed < 60:
        return "just now"
    return f"{format_duration(elapsed - elapsed % 60)} ago"


def format_clock(timestamp: float) -> str:
    """A UTC wall-clock time ("14:05 UTC")."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%H:%M UTC")


def format_when(timestamp: float, now: float) -> str:
    """A UTC moment as short as it can be unambiguous next to ``now``: "14:05 UTC" today,
    "Tue 14:05 UTC" this week, "2026-11-20 14:05 UTC" before that."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    today = datetime.fromtimestamp(now, tz=UTC).date()
    if moment.date() == today:
        return moment.strftime("%H:%M UTC")
    if 0 < (today - moment.date()).days < 7:
        return moment.strftime("%a %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def format_between(start: float, end: float, now: float) -> str:
    """A window of two UTC moments, each as :func:`format_when` shows it, except that an end
    on another day than the start always names its day: "Mon 00:00 UTC to Tue 00:00 UTC"
    for yesterday, never "Mon 00:00 UTC to 00:00 UTC", which reads as no time at all."""
    first, last = format_when(start, now), format_when(end, now)
    ends = datetime.fromtimestamp(end, tz=UTC)
    today = datetime.fromtimestamp(now, tz=UTC).date()
    if ends.date() == today != datetime.fromtimestamp(start, tz=UTC).date():
        last = ends.strftime("%a %H:%M UTC")
    return f"{first} to {last}"


def value_range(low: float, high: float, unit: str) -> str:
    """``139-151 ms``: the unit once when both ends share it; one value when they are equal."""
    a, b = format_value(low, unit), format_value(high, unit)
    if a == b:
        return a
    a_number, _, a_unit = a.partition(" ")
    b_number, _, b_unit = b.partition(" ")
    if a_unit == b_unit and a_unit:
        return f"{a_number}-{b_number} {a_unit}"
    return f"{a} to {b}" if a_unit or b_unit else f"{a}-{b}"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _short(value: float) -> str:
    magnitude = abs(value)
    if magnitude < 0.01 and value != 0:
        return f"{value:.2g}"
    decimals = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _byte_scale(peak: float) -> tuple[float, str]:
    for factor, label in _BYTE_PREFIXES:
        if peak >= factor:
            return factor, label
    return 1.0, "B/s"


def render_table(table: Table) -> str:
    """A monospace table, columns padded to their widest cell."""
    rows = [table.columns, *table.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(table.columns))]
    out = [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    ]
    out.insert(1, "  " + "  ".join("-" * w for w in widths))
    return "\n".join(out)
