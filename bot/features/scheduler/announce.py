"""Posting from a scheduled job: fenced by the job's lease, and at most once per dedupe key.

The order of a post is: fencing check, then the dedupe claim, then the publish. The claim is
the commit point: exactly one replica wins each key (``SET NX`` in Redis), and only a replica
whose fencing token was current a moment before may try. So a stale holder (one that lost the
lease while it was busy) is refused before it can take a key from its successor, and a key
claimed by anyone is never published a second time. The window left open is the one round
trip between the check and the claim; the :class:`~bot.ports.Publisher` keeps even a publish
in that window from posting twice, since it updates the key's existing posts in place.
"""

from __future__ import annotations

import logging

from bot.core.model import Reply
from bot.core.ports import DedupeStore, Publisher
from bot.features.scheduler.ports import Run

log = logging.getLogger(__name__)

#: How long a claimed key is remembered. Longer than any finding stays in a scan's window.
REMEMBER_SECONDS = 14 * 86400


class Announcer:
    """A job's way out to the subscribed channels."""

    def __init__(
        self, publisher: Publisher, dedupe: DedupeStore, *, remember_seconds: int = REMEMBER_SECONDS
    ) -> None:
        self._publisher = publisher
        self._dedupe = dedupe
        self._remember = remember_seconds

    async def announce(
        self,
        run: Run,
        key: str,
        reply: Reply,
        *,
        once: str,
        severity: str,
        target: str | None = None,
    ) -> bool:
        """Publish ``reply`` under the Publisher ``key`` if this replica still holds the job
        and nobody has claimed ``once`` before; True when it was published.

        Raises :class:`~bot.core.coordination.LeaseLost` for a replica that no longer holds
        the job (nothing claimed, nothing posted) and :class:`~bot.core.errors.DependencyError`
        when the dedupe store is down (fail closed: nothing posted, the next run retries).
        """
        await run.ensure_held()
        if not await self._dedupe.claim(f"scheduler:{once}", self._remember):
            return False
        channels = await self._publisher.publish(key, reply, severity=severity, target=target)
        log.info("job %s published %s to %d channel(s)", run.job, key, channels)
        return True
