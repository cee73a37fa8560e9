"""Small tables for metric answers: PromQL samples, series summaries, down targets, alerts.

Each fits a phone: few columns, long text cut (scrape errors from the front, because Go puts
the cause last), rows in the order a reader wants (highest value, worst severity first).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.core.formatting import format_ago, format_number, format_value, shorten
from bot.core.model import Table
from bot.features.metrics.lookup import describe_labels
from bot.features.metrics.ports import Alert, Sample, TargetHealth
from bot.features.metrics.summary import SeriesSummary
from bot.features.metrics.targets import target_names

MAX_LABEL_COLUMNS = 3
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def sample_table(samples: Sequence[Sample], target_labels: Sequence[str], limit: int) -> Table:
    """The ``limit`` highest samples: one column per telling label, then the value."""
    shown = sorted(samples, key=_sample_order)[:limit]
    columns = label_columns([s.labels for s in shown], target_labels)
    if not columns:
        pairs = tuple((describe_labels(s.labels), format_number(s.value)) for s in shown)
        return Table(("series", "value"), pairs)
    rows = tuple((*(s.labels.get(c, "") for c in columns), format_number(s.value)) for s in shown)
    return Table((*columns, "value"), rows)


def label_columns(
    label_sets: Sequence[Mapping[str, str]], target_labels: Sequence[str]
) -> list[str]:
    """The labels worth a column: those that tell rows apart, target labels first (max 3).
    A single row shows its labels (all but the metric name)."""
    names = {k for labels in label_sets for k in labels}
    varying = [n for n in names if len({labels.get(n, "") for labels in label_sets}) > 1]
    chosen = varying if len(label_sets) > 1 else [n for n in names if n != "__name__"]
    order = {label: i for i, label in enumerate(target_labels)}
    return sorted(chosen, key=lambda n: (order.get(n, len(order)), n))[:MAX_LABEL_COLUMNS]


def summary_table(
    summaries: Sequence[SeriesSummary],
    unit: str,
    first: str,
    *,
    as_of: float = math.inf,
    stale_after: float = math.inf,
) -> Table:
    """One row per series: name, now, avg, max, trend (``first`` names the first column).

    A series whose latest sample is older than ``stale_after`` seconds at ``as_of`` shows
    that sample with its age ("15 % (20m ago)"), so a dead target is not read as current.
    """
    rows = tuple(
        (
            shorten(s.name, 40),
            _latest(s, unit, as_of, stale_after),
            format_value(s.average, unit),
            format_value(s.maximum, unit),
            s.trend.describe(),
        )
        for s in summaries
    )
    return Table((first, "now", "avg", "max", "trend"), rows)


def down_table(targets: Sequence[TargetHealth]) -> Table:
    """The targets that are down, with the end of their last scrape error."""
    rows = tuple(
        (t.name, t.job, scrape_cause(t.last_error or "no error reported")) for t in targets
    )
    return Table(("down", "job", "last error"), rows)


def alert_table(alerts: Sequence[Alert], now: float, target_labels: Sequence[str]) -> Table:
    """Alerts worst first, then oldest first: severity, name, target, since, summary."""
    ordered = sorted(alerts, key=lambda a: (SEVERITY_ORDER.get(a.severity, 3), a.starts_at))
    rows = tuple(_alert_row(a, now, target_labels) for a in ordered)
    return Table(("severity", "alert", "target", "since", "summary"), rows)


def scrape_cause(error: str, limit: int = 70) -> str:
    """The end of a scrape error, where its cause is ("…: connect: connection refused")."""
    flat = " ".join(error.split())
    if len(flat) <= limit:
        return flat
    tail = flat[-(limit - 1) :]
    return "…" + (tail.split(" ", 1)[1] if " " in tail else tail)


def plural(count: int, noun: str) -> str:
    """``1 target``, ``2 targets``."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _latest(summary: SeriesSummary, unit: str, as_of: float, stale_after: float) -> str:
    value = format_value(summary.now, unit)
    if as_of - summary.now_at > stale_after:
        return f"{value} ({format_ago(summary.now_at, as_of)})"
    return value


def _sample_order(sample: Sample) -> tuple[int, float, str]:
    missing = math.isnan(sample.value)
    return (1 if missing else 0, 0.0 if missing else -sample.value, describe_labels(sample.labels))


def _alert_row(alert: Alert, now: float, target_labels: Sequence[str]) -> tuple[str, ...]:
    names = target_names(alert.labels, target_labels)
    since = format_ago(alert.starts_at, now) if math.isfinite(alert.starts_at) else "?"
    summary = shorten(alert.summary or "-", 80)
    return (alert.severity or "-", alert.name, names[0] if names else "-", since, summary)
