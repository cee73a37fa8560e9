"""How a scheduled scan's finding reads when posted to a channel.

One finding, one short post: which series, how far it went against what the detector expected,
since when, and whether it still goes on (the post is updated in place when it ends). Built
only from the finding and the catalog's units, so it reads the same on every platform.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.formatting import format_ago, format_duration, format_value
from bot.core.model import Field, Reply, Severity
from bot.features.anomaly.ports import Finding
from bot.features.metrics.catalog import METRIC_INFO

SEVERITIES = {"critical": Severity.CRITICAL, "warning": Severity.WARNING, "info": Severity.INFO}


def series_label(target: str, metric: str) -> str:
    """``checkout-api latency p95``, ``web-1 CPU``."""
    title = METRIC_INFO[metric].title
    return f"{target} {title if title.isupper() else title[0].lower() + title[1:]}"


def describe_finding(finding: Finding, target: str, metric: str, *, now: float, step: float) -> str:
    """``checkout-api latency p95 rose to 912 ms (expected 139 ms to 151 ms) at 11:27 UTC
    (25m ago), still going.``"""
    unit = METRIC_INFO[metric].unit
    verb = "rose to" if finding.deviation >= 0 else "fell to"
    expected = (
        f"expected {format_value(finding.expected_low, unit)} to "
        f"{format_value(finding.expected_high, unit)}"
    )
    began = f"{_clock(finding.start)} ({format_ago(finding.start, now)})"
    head = f"{series_label(target, metric)} {verb} {format_value(finding.peak_value, unit)} "
    if finding.ongoing:
        return f"{head}({expected}) at {began}, still going."
    lasted = format_duration(max(finding.end - finding.start, step))
    return (
        f"{head}({expected}) at {began} for {lasted}; back to normal since {_clock(finding.end)}."
    )


def finding_reply(
    finding: Finding,
    target: str,
    metric: str,
    *,
    now: float,
    step: float,
    severity: str,
    source: str,
) -> Reply:
    """The post for ``finding``; a finding that is over is shown as INFO whatever ``severity``
    its subscriptions were matched with."""
    label = series_label(target, metric)
    return Reply(
        title=f"Unusual {label}" + ("" if finding.ongoing else " (over)"),
        text=describe_finding(finding, target, metric, now=now, step=step),
        fields=(Field("Score", f"{finding.peak_score:.2f}"), Field("Target", target)),
        severity=SEVERITIES[severity] if finding.ongoing else Severity.INFO,
        footer=f"Source: {source} · scheduled anomaly scan",
    )


def _clock(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%H:%M UTC")
