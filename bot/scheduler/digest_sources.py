"""Digest sources over the alert side's ports (:mod:`bot.alerts`), for the composition root."""

from __future__ import annotations

from collections.abc import Sequence

from bot.alerts.ports import SilenceBackend
from bot.scheduler.digest import SilenceNote


class AlertmanagerSilences:
    """:class:`bot.scheduler.digest.SilenceHistory` from Alertmanager's silences API: every
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
