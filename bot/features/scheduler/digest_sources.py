"""Digest sources over the alert side's ports (:mod:`bot.features.alerts`), for the composition
root."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from bot.core.errors import InvalidInput
from bot.features.alerts.group import AlertGroup, GroupAlert
from bot.features.alerts.payload import parse_notification
from bot.features.alerts.ports import GroupHistory, SilenceBackend
from bot.features.scheduler.digest import FiredAlert, SilenceNote

log = logging.getLogger(__name__)

_Identity = tuple[str, tuple[tuple[str, str], ...], float]


class RecordedAlerts:
    """:class:`bot.features.scheduler.digest.AlertHistory` from the groups the Alertmanager webhook
    recorded (:class:`~bot.features.alerts.ports.GroupHistory`, the alert store).

    Each stored group holds its latest notification: every alert of the group with its own
    ``startsAt`` and, once resolved, ``endsAt``. An alert counts when it was firing at some
    time in the window. What this cannot see: an earlier incident of a group that resolved
    and fired again since (its alerts are gone from the latest notification once
    Alertmanager stops resending them), and anything Alertmanager never sent to the
    webhook. An alert in several groups (several routes to the webhook) counts once.
    """

    def __init__(self, groups: GroupHistory) -> None:
        self._groups = groups

    async def fired_between(self, start: float, end: float) -> Sequence[FiredAlert]:
        records = await self._groups.groups_since(datetime.fromtimestamp(start, tz=UTC))
        fired: dict[_Identity, FiredAlert] = {}
        for alert in _alerts_of(r.snapshot for r in records):
            entry = _fired(alert, start, end)
            if entry is None:
                continue
            key = (entry.name, tuple(sorted(entry.labels.items())), entry.starts_at)
            if key not in fired or entry.resolved:
                fired[key] = entry
        return sorted(fired.values(), key=lambda f: f.starts_at)


def _alerts_of(snapshots: Iterable[str]) -> Iterable[GroupAlert]:
    for snapshot in snapshots:
        try:
            group = AlertGroup.from_notification(parse_notification(snapshot))
        except InvalidInput as exc:
            log.warning("digest: skipping an unreadable stored alert group: %s", exc)
            continue
        yield from group.alerts


def _fired(alert: GroupAlert, start: float, end: float) -> FiredAlert | None:
    """The alert as it stood at ``end``, if it was firing at some time in the window."""
    if alert.starts_at is None or alert.starts_at.timestamp() > end:
        return None
    resolved_at = alert.ends_at.timestamp() if alert.ends_at else None
    resolved = alert.status != "firing" and (resolved_at is None or resolved_at <= end)
    if resolved and resolved_at is not None and resolved_at < start:
        return None
    return FiredAlert(
        name=alert.name,
        severity=alert.severity,
        labels=alert.labels,
        starts_at=alert.starts_at.timestamp(),
        resolved=resolved,
        resolved_at=resolved_at if resolved else None,
    )


class AlertmanagerSilences:
    """:class:`bot.features.scheduler.digest.SilenceHistory` from Alertmanager's silences API: every
    silence in effect at some time in the window (Alertmanager keeps expired silences for a
    while, five days by default, so a daily window is covered)."""

    def __init__(self, backend: SilenceBackend) -> None:
        self._backend = backend

    async def silences_between(self, start: float, end: float) -> Sequence[SilenceNote]:
        return [
            SilenceNote(
                id=s.id,
                matchers=", ".join(m.describe() for m in s.matchers),
                created_by=s.created_by,
                comment=s.comment,
                starts_at=s.starts_at.timestamp(),
                ends_at=s.ends_at.timestamp(),
            )
            for s in await self._backend.list_silences()
            if s.starts_at.timestamp() <= end and s.ends_at.timestamp() >= start
        ]
