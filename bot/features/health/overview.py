"""What needs attention across the fleet, worst first: the core of the open questions
("anything odd?", "is everything ok?").

One look gathers what is down (the metrics source's scrape health), what fires (the alert
source) and what will be full soon (the capacity metrics forecast :data:`NEAR_TERM_SECONDS`
ahead, :mod:`bot.features.forecast.outlook`), and ranks it:

1. down targets (the alerts firing on them folded into their line: one fact, one line);
2. critical alerts;
3. limits already reached or most likely reached within the near term, soonest first;
4. other alerts.

Only the first :data:`MAX_ITEMS` are listed, the rest counted, so the answer fits a phone.
A down target always leads: it is never summed up as "nothing stood out".
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import DependencyError
from bot.core.formatting import format_ago, format_when
from bot.core.model import Severity
from bot.features.forecast.outlook import LimitOutlook, forecast_outlooks, span_text
from bot.features.forecast.ports import Forecaster
from bot.features.metrics.ports import Alert, AlertSource, MetricsSource, TargetHealth
from bot.features.metrics.tables import SEVERITY_ORDER, plural
from bot.features.metrics.targets import TargetDirectory, matches_target, strip_port, target_names

log = logging.getLogger(__name__)

#: How far ahead "will be full soon" looks.
NEAR_TERM_SECONDS = 2 * 86400.0
#: Items listed in one answer; the rest are counted.
MAX_ITEMS = 5


@dataclass(frozen=True, slots=True)
class Attention:
    """One thing that needs attention: its rank (0 is worst), its line and its severity."""

    rank: int
    text: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class Overview:
    """The fleet at one moment (see the module doc). ``alerts_error`` says why alerts could
    not be read; ``forecast`` whether the near-term forecasts were looked at."""

    now: float
    targets: tuple[TargetHealth, ...]
    firing: tuple[Alert, ...]
    outlooks: tuple[LimitOutlook, ...]
    target_labels: tuple[str, ...]
    alerts_error: str | None = None
    forecast: bool = False

    @property
    def down(self) -> list[TargetHealth]:
        return [t for t in self.targets if not t.up]

    def items(self) -> list[Attention]:
        """Everything that needs attention, worst first."""
        down = self.down
        folded: set[int] = set()
        items: list[Attention] = []
        for target in down:
            on_it = [a for a in self.firing if self._on(a, target)]
            folded.update(id(a) for a in on_it)
            items.append(Attention(0, down_line(target, self.now, on_it), Severity.CRITICAL))
        for outlook in self.outlooks:
            items.append(Attention(2, outlook.headline(self.now), Severity.WARNING))
        for alert in sorted(self.firing, key=lambda a: (_severity(a), a.starts_at)):
            if id(alert) not in folded:
                items.append(self._alert_item(alert))
        return sorted(items, key=lambda item: item.rank)

    def severity(self) -> Severity:
        """The worst item's severity (SUCCESS when nothing needs attention)."""
        order = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)
        found = {item.severity for item in self.items()}
        return next((s for s in order if s in found), Severity.SUCCESS)

    def lines(self, limit: int = MAX_ITEMS) -> list[str]:
        """``• ...`` per item (at most ``limit``), then how many more and where to see them."""
        items = self.items()
        lines = [f"• {item.text}" for item in items[:limit]]
        if len(items) > limit:
            lines.append(f"…and {len(items) - limit} more: `alerts` and `status` list them.")
        if self.alerts_error:
            lines.append(f"Could not read the alerts: {self.alerts_error}")
        return lines

    def checked(self) -> str:
        """``up/down of 7 targets, firing alerts, disk and memory 2 days ahead``."""
        parts = [f"up/down of {plural(len(self.targets), 'target')}"]
        if self.alerts_error is None:
            parts.append("firing alerts")
        if self.forecast:
            parts.append(f"disk and memory {span_text(NEAR_TERM_SECONDS)} ahead")
        return ", ".join(parts)

    def _on(self, alert: Alert, target: TargetHealth) -> bool:
        return matches_target(alert.labels, strip_port(target.name), self.target_labels)

    def _alert_item(self, alert: Alert) -> Attention:
        names = target_names(alert.labels, self.target_labels)
        where = f" on {names[0]}" if names else ""
        since = (
            f" since {format_when(alert.starts_at, self.now)}"
            if math.isfinite(alert.starts_at)
            else ""
        )
        text = f"{alert.name} ({alert.severity or 'no severity'}){where}{since}"
        if alert.severity == "critical":
            return Attention(1, text, Severity.CRITICAL)
        if alert.severity == "warning":
            return Attention(3, text, Severity.WARNING)
        return Attention(4, text, Severity.INFO)


async def look(
    source: MetricsSource,
    directory: TargetDirectory,
    *,
    now: float,
    alerts: AlertSource | None = None,
    forecaster: Forecaster | None = None,
) -> Overview:
    """The fleet now: targets, firing alerts (when an alert source is given) and limits
    reached within :data:`NEAR_TERM_SECONDS` (when a forecaster is given)."""
    targets, (firing, alerts_error), outlooks = await asyncio.gather(
        source.targets(), _firing(alerts), _soon(source, directory, forecaster, now)
    )
    return Overview(
        now,
        tuple(targets),
        tuple(firing),
        tuple(outlooks),
        tuple(source.target_labels),
        alerts_error,
        forecaster is not None,
    )


def down_targets(
    targets: Sequence[TargetHealth], name: str, labels: Sequence[str]
) -> list[TargetHealth]:
    """The scrape targets of the target called ``name`` that are down."""
    return [t for t in targets if not t.up and matches_target(_labels(t), name, labels)]


def down_line(target: TargetHealth, now: float, alerts: Sequence[Alert] = ()) -> str:
    """``web-2 down since 14:17 UTC (20m ago): connection refused; InstanceDown firing``."""
    text = f"{strip_port(target.name)} down"
    if target.down_since is not None:
        text += (
            f" since {format_when(target.down_since, now)} ({format_ago(target.down_since, now)})"
        )
    if target.last_error:
        text += f": {target.last_error.rsplit(': ', 1)[-1].strip()}"
    if alerts:
        names = ", ".join(dict.fromkeys(a.name for a in alerts))
        text += f"; {names} firing"
    return text


async def _firing(alerts: AlertSource | None) -> tuple[list[Alert], str | None]:
    if alerts is None:
        return [], None
    try:
        found = await alerts.alerts()
    except DependencyError as exc:
        log.warning("overview: alerts unavailable: %s", exc)
        return [], exc.message
    return [a for a in found if a.state == "firing"], None


async def _soon(
    source: MetricsSource,
    directory: TargetDirectory,
    forecaster: Forecaster | None,
    now: float,
) -> list[LimitOutlook]:
    if forecaster is None:
        return []
    outlooks = await forecast_outlooks(
        source, directory, forecaster, now=now, horizon=NEAR_TERM_SECONDS
    )
    return [o for o in outlooks if o.within(NEAR_TERM_SECONDS, now)]


def _labels(target: TargetHealth) -> dict[str, str]:
    return {**target.labels, "instance": target.name, "job": target.job}


def _severity(alert: Alert) -> int:
    return SEVERITY_ORDER.get(alert.severity, 3)
