"""Which targets are up, and which alerts fire: "what's down?", "is web-1 up?", "how long has
web-2 been down?", "critical alerts on db-primary".

A down target is shown with when it went down and for how long, so "how long has web-2 been
down?" is answered by the same reply as "is web-2 up?". Alerts come from the configured
:class:`~bot.features.metrics.ports.AlertSource` (Alertmanager when set, else the metrics source's
rules).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bot.core.formatting import format_ago, format_when
from bot.core.model import Reply, Severity
from bot.core.registry import Request
from bot.features.metrics.ports import Alert, AlertSource, MetricsSource, TargetHealth
from bot.features.metrics.tables import alert_table, down_table, plural
from bot.features.metrics.targets import (
    TargetDirectory,
    matches_target,
    strip_port,
    target_names,
    unknown_target,
)


class StatusQueries:
    """Answers ``status`` and ``alerts_list``; ``clock`` is the source's notion of now."""

    def __init__(
        self,
        source: MetricsSource,
        alerts: AlertSource,
        directory: TargetDirectory,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._alerts = alerts
        self._directory = directory
        self._clock = clock
        self._footer = f"Source: {source.description}"
        self._alerts_footer = f"Source: {alerts.description}"

    async def status(self, request: Request) -> Reply:
        every = await self._source.targets()
        wanted = request.intent.slots.get("target")
        targets = every if wanted is None else self.health_of(str(wanted), every)
        down = [t for t in targets if not t.up]
        if not down:
            text = (
                f"All {len(targets)} targets are up."
                if wanted is None
                else f"{wanted} is up ({plural(len(targets), 'target')})."
            )
            return Reply(title="Status", text=text, severity=Severity.SUCCESS, footer=self._footer)
        return Reply(
            title="Status",
            text=self._down_text(down, len(targets)),
            table=down_table(down),
            severity=Severity.CRITICAL,
            footer=self._footer,
        )

    def _down_text(self, down: list[TargetHealth], total: int) -> str:
        head = f"{plural(len(down), 'target')} down, {total - len(down)} of {total} up."
        now = self._clock()
        since = [
            f"{strip_port(t.name)} has been down since {format_when(t.down_since, now)} "
            f"({format_ago(t.down_since, now)})."
            for t in down
            if t.down_since is not None
        ]
        return "\n".join([head, *since[:3]])

    def health_of(self, name: str, every: list[TargetHealth]) -> list[TargetHealth]:
        """The scrape targets of the target called ``name``; an unknown name is refused with
        the closest known names."""
        labels = self._source.target_labels
        found = [t for t in every if matches_target(_health_labels(t), name, labels)]
        if not found:
            known = {n for t in every for n in target_names(_health_labels(t), labels)}
            raise unknown_target(name, {n for n in known if n == strip_port(n)})
        return found

    async def alerts_list(self, request: Request) -> Reply:
        slots = request.intent.slots
        severity = str(slots["severity"]).lower() if "severity" in slots else None
        target = str(slots["target"]) if "target" in slots else None
        if target is not None:
            target = (await self._directory.resolve(target)).name
        firing, pending = await self.firing(severity, target)
        note = f" ({plural(pending, 'alert')} pending)" if pending else ""
        if not firing:
            scope = " ".join(p for p in (severity, "alerts", f"on {target}" if target else "") if p)
            return Reply(
                title="Alerts",
                text=f"No {scope} are firing.{note}",
                severity=Severity.SUCCESS,
                footer=self._alerts_footer,
            )
        critical = any(a.severity == "critical" for a in firing)
        return Reply(
            title="Alerts",
            text=f"{plural(len(firing), 'alert')} firing{note}.",
            table=alert_table(firing, self._clock(), self._source.target_labels),
            severity=Severity.CRITICAL if critical else Severity.WARNING,
            footer=self._alerts_footer,
        )

    async def firing(self, severity: str | None, target: str | None) -> tuple[list[Alert], int]:
        """The alerts firing now (filtered), and how many more are pending."""
        labels = self._source.target_labels
        alerts = [a for a in await self._alerts.alerts() if _wanted(a, severity, target, labels)]
        pending = sum(1 for a in alerts if a.state == "pending")
        return [a for a in alerts if a.state == "firing"], pending


def _health_labels(target: TargetHealth) -> dict[str, str]:
    return {**target.labels, "instance": target.name, "job": target.job}


def _wanted(
    alert: Alert, severity: str | None, target: str | None, target_labels: Sequence[str]
) -> bool:
    if severity is not None and alert.severity.lower() != severity:
        return False
    return target is None or matches_target(alert.labels, target, target_labels)
