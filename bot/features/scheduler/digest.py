"""The daily digest: what fired, what was silenced and what was done, posted once a day.

Its data comes through three small ports, each optional, so the digest works with whatever
the deployment has:

* :class:`AlertHistory` (alerts that fired in the window and whether they resolved, e.g. the
  groups the Alertmanager webhook recorded, see :mod:`.digest_sources`). Without it the
  digest says no history is kept and lists what fires *now* instead, from
  :class:`~bot.features.metrics.ports.AlertSource` (Alertmanager's API when configured, else the
  metrics source:
  Prometheus rules or the demo's). An empty history is checked against what fires now too,
  so alerts that never reached the webhook are not hidden behind "no alerts";
* :class:`SilenceHistory` (silences in effect during the window, e.g. Alertmanager's, see
  :mod:`.digest_sources`). Without it the digest says silences are not tracked;
* :class:`ActionHistory` (the remediation audit log;
:class:`bot.features.remediation.RemediationService`
  fits it as is). Without it the digest says actions are not tracked.

A source that fails is reported in its section ("could not be read") and never stops the
digest. The post's key is ``digest:<day>`` (UTC date of the firing), claimed once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot.core.errors import DependencyError
from bot.core.formatting import format_clock, format_duration, shorten
from bot.core.model import Field, Reply, Severity
from bot.features.metrics.ports import Alert, AlertSource
from bot.features.metrics.targets import strip_port
from bot.features.remediation.model import AuditEvent, AuditKind, AuditQuery
from bot.features.scheduler.announce import Announcer
from bot.features.scheduler.config import DailyDigestConfig
from bot.features.scheduler.ports import Run

log = logging.getLogger(__name__)

NAME = "daily_digest"
MAX_LINES = 10
_TARGET_LABELS = ("instance", "service", "job", "target")
_SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}
_DONE_KINDS = (AuditKind.EXECUTED, AuditKind.FAILED)


@dataclass(frozen=True, slots=True)
class SilenceNote:
    """A silence as the digest shows it. ``matchers`` is already readable
    (``alertname=HighLatency, instance=web-1``)."""

    id: str
    matchers: str
    created_by: str
    comment: str
    starts_at: float
    ends_at: float


@dataclass(frozen=True, slots=True)
class FiredAlert:
    """One firing of an alert, as it stood at the end of the digest's window: ``resolved``
    says whether it had stopped by then, ``resolved_at`` when (None if unknown)."""

    name: str
    severity: str
    labels: Mapping[str, str]
    starts_at: float
    resolved: bool = False
    resolved_at: float | None = None


class AlertHistory(Protocol):
    """Alerts firing at some time between ``start`` and ``end`` (unix s), one entry per
    firing, each as it stood at ``end`` (still firing or resolved)."""

    async def fired_between(self, start: float, end: float) -> Sequence[FiredAlert]: ...


class SilenceHistory(Protocol):
    """Silences in effect at some time between ``start`` and ``end`` (unix s)."""

    async def silences_between(self, start: float, end: float) -> Sequence[SilenceNote]: ...


class ActionHistory(Protocol):
    """The remediation audit log, newest first."""

    async def history(self, query: AuditQuery) -> list[AuditEvent]: ...


@dataclass(frozen=True, slots=True)
class DigestSources:
    """Where the digest reads from; ``None`` means "not tracked in this deployment"."""

    description: str
    """The metrics source, named in the footer ("demo data", "Prometheus")."""
    firing_now: AlertSource
    alerts: AlertHistory | None = None
    silences: SilenceHistory | None = None
    actions: ActionHistory | None = None


@dataclass(frozen=True, slots=True)
class _Section:
    heading: str
    lines: tuple[str, ...]
    count: str


class DailyDigest:
    """The ``daily_digest`` job (see the module doc)."""

    name = NAME

    def __init__(
        self,
        config: DailyDigestConfig,
        sources: DigestSources,
        announcer: Announcer,
    ) -> None:
        self._config = config
        self._sources = sources
        self._announcer = announcer

    async def run(self, run: Run) -> None:
        reply = await self.compose(run.due)
        key = f"digest:{_day(run.due)}"
        await self._announcer.announce(
            run, key, reply, once=key, severity=self._config.severity, target=None
        )

    async def compose(self, end: float) -> Reply:
        """The digest of the window ending at ``end``."""
        start = end - self._config.window
        sections = (
            await self._fired(start, end),
            await self._silenced(start, end),
            await self._done(start, end),
        )
        text = "\n\n".join("\n".join((s.heading, *s.lines)) for s in sections)
        return Reply(
            title=f"Daily digest · {_day(end)}",
            text=text,
            fields=tuple(
                Field(label, s.count)
                for label, s in zip(("Fired", "Silenced", "Done"), sections, strict=True)
            ),
            severity=Severity.INFO,
            footer=(
                f"Last {format_duration(self._config.window)} to {format_clock(end)} · "
                f"Source: {self._sources.description}"
            ),
        )

    async def _fired(self, start: float, end: float) -> _Section:
        history = self._sources.alerts
        if history is None:
            return await self._firing_now()
        try:
            alerts = await history.fired_between(start, end)
        except DependencyError as exc:
            log.warning("digest: cannot read the alert history: %s", exc)
            return _Section("What fired: the alert history could not be read.", (), "?")
        if not alerts:
            return await self._none_recorded()
        count = str(len(alerts))
        return _Section(f"What fired ({count}):", _alert_lines(alerts, recorded=True), count)

    async def _none_recorded(self) -> _Section:
        """An empty history, checked against what fires now: alerts the history never saw
        (Prometheus rules without Alertmanager, or Alertmanager not sending to the webhook)
        are still shown rather than hidden behind "no alerts"."""
        try:
            alerts = await self._current_firing()
        except DependencyError as exc:
            log.warning("digest: cannot read current alerts: %s", exc)
            alerts = []
        if not alerts:
            return _Section("What fired: no alerts.", (), "0")
        note = f"What fired: none recorded by the alert webhook, yet firing now ({len(alerts)}):"
        return _Section(note, _alert_lines(alerts, recorded=False), "0")

    async def _firing_now(self) -> _Section:
        """The fallback without an alert history: what the metrics source says fires now."""
        note = "What fired: no alert history is kept (Alertmanager webhook not set up)"
        try:
            alerts = await self._current_firing()
        except DependencyError as exc:
            log.warning("digest: cannot read current alerts: %s", exc)
            return _Section(f"{note}, and current alerts could not be read.", (), "n/a")
        if not alerts:
            return _Section(f"{note}; nothing is firing now.", (), "n/a")
        lines = _alert_lines(alerts, recorded=False)
        return _Section(f"{note}; firing now ({len(alerts)}):", lines, "n/a")

    async def _current_firing(self) -> list[FiredAlert]:
        current = self._sources.firing_now
        return [_still_firing(a) for a in await current.alerts() if a.state == "firing"]

    async def _silenced(self, start: float, end: float) -> _Section:
        history = self._sources.silences
        if history is None:
            return _Section("What was silenced: not tracked (Alertmanager not configured).", (),
                            "n/a")  # fmt: skip
        try:
            silences = await history.silences_between(start, end)
        except DependencyError as exc:
            log.warning("digest: cannot read the silences: %s", exc)
            return _Section("What was silenced: the silences could not be read.", (), "?")
        if not silences:
            return _Section("What was silenced: nothing.", (), "0")
        ordered = sorted(silences, key=lambda s: s.starts_at)
        lines = [_silence_line(s, end) for s in ordered]
        return _Section(f"What was silenced ({len(silences)}):", _capped(lines), str(len(lines)))

    async def _done(self, start: float, end: float) -> _Section:
        actions = self._sources.actions
        if actions is None:
            return _Section("What was done: remediation actions are not tracked here.", (), "n/a")
        # Every scope: the digest and its channel are the operator's own configuration.
        query = AuditQuery(since=datetime.fromtimestamp(start, tz=UTC), kinds=_DONE_KINDS,
                           limit=200, scope=None)  # fmt: skip
        try:
            events = await actions.history(query)
        except DependencyError as exc:
            log.warning("digest: cannot read the audit log: %s", exc)
            return _Section("What was done: the audit log could not be read.", (), "?")
        done = sorted((e for e in events if e.at.timestamp() <= end), key=lambda e: e.at)
        if not done:
            return _Section("What was done: no remediation actions ran.", (), "0")
        lines = [_action_line(e) for e in done]
        return _Section(f"What was done ({len(done)}):", _capped(lines), str(len(done)))


def _still_firing(alert: Alert) -> FiredAlert:
    return FiredAlert(alert.name, alert.severity, alert.labels, alert.starts_at)


def _alert_lines(alerts: Sequence[FiredAlert], *, recorded: bool) -> tuple[str, ...]:
    """One line per (alert, target, severity), most severe and most frequent first.

    ``recorded`` lines (from the history) say when it first fired and whether it resolved
    (only when every firing of the line did); the others say since when it fires now.
    """
    firings: dict[tuple[str, str | None, str], list[FiredAlert]] = {}
    for alert in sorted(alerts, key=lambda a: a.starts_at):
        firings.setdefault((alert.name, _target(alert), alert.severity), []).append(alert)
    ordered = sorted(
        firings,
        key=lambda k: (_SEVERITY_RANK.get(k[2], 9), -len(firings[k]), firings[k][0].starts_at),
    )
    lines = []
    for name, target, severity in ordered:
        group = firings[name, target, severity]
        where = f" on {target}" if target else ""
        times = f" ×{len(group)}" if len(group) > 1 else ""
        first = _clock(group[0].starts_at)
        when = f"first at {first}, {_outcome(group)}" if recorded else f"since {first}"
        lines.append(f"• {name}{where} ({severity}){times}, {when}")
    return _capped(lines)


def _outcome(firings: Sequence[FiredAlert]) -> str:
    """``still firing``, or ``resolved`` (at the last resolution, when every time is known)."""
    if not all(f.resolved for f in firings):
        return "still firing"
    ends = [f.resolved_at for f in firings]
    known = [end for end in ends if end is not None]
    return f"resolved at {_clock(max(known))}" if len(known) == len(ends) else "resolved"


def _silence_line(silence: SilenceNote, end: float) -> str:
    until = "expired" if silence.ends_at <= end else f"until {_clock(silence.ends_at)}"
    comment = f": “{shorten(silence.comment, 80)}”" if silence.comment else ""
    return f"• {silence.matchers} by {silence.created_by}, {until}{comment}"


def _action_line(event: AuditEvent) -> str:
    outcome = "done" if event.kind is AuditKind.EXECUTED else "failed"
    detail = f" ({shorten(event.detail, 80)})" if event.detail else ""
    at = _clock(event.at.timestamp())
    return f"• {at} {event.action} {event.target} by {event.actor_name}: {outcome}{detail}"


def _capped(lines: Sequence[str]) -> tuple[str, ...]:
    if len(lines) <= MAX_LINES:
        return tuple(lines)
    return (*lines[: MAX_LINES - 1], f"• and {len(lines) - MAX_LINES + 1} more")


def _target(alert: FiredAlert) -> str | None:
    for label in _TARGET_LABELS:
        value = alert.labels.get(label)
        if value:
            return strip_port(value) if label == "instance" else value
    return None


def _clock(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%b %d %H:%M UTC")


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%d")
