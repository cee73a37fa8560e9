"""Posting from a scheduled job: fenced by the job's lease, and at most once per dedupe key.

The order of a post is: fencing check, then the dedupe claim, then the publish. The claim is
the commit point: exactly one replica wins each key (``SET NX`` in Redis), and only a replica
whose fencing token was current a moment before may try. So a stale holder (one that lost the
lease while it was busy) is refused before it can take a key from its successor, and a key
claimed by anyone is never published a second time. The window left open is the one round
trip between the check and the claim; the :class:`~bot.core.ports.Publisher` keeps even a publish
in that window from posting twice, since it updates the key's existing posts in place.

Episodes (:meth:`Announcer.begin` / :meth:`Announcer.end`) follow the same order with an
:class:`~bot.features.scheduler.ports.EpisodeStore` in place of the claim: opening the episode
is the commit point of its post, and closing it (which exactly one replica does) is the commit
point of the update that says it is over.
"""

from __future__ import annotations

import logging

from bot.core.model import Reply
from bot.core.ports import DedupeStore, Publisher
from bot.features.scheduler.ports import EpisodeStore, Run

log = logging.getLogger(__name__)

#: How long a claimed key is remembered. Longer than any finding stays in a scan's window.
REMEMBER_SECONDS = 14 * 86400


class Announcer:
    """A job's way out to the subscribed channels."""

    def __init__(
        self,
        publisher: Publisher,
        dedupe: DedupeStore,
        *,
        episodes: EpisodeStore | None = None,
        remember_seconds: int = REMEMBER_SECONDS,
    ) -> None:
        self._publisher = publisher
        self._dedupe = dedupe
        self._episodes = episodes
        self._remember = remember_seconds

    @property
    def tracks_episodes(self) -> bool:
        """Whether :meth:`begin` and :meth:`end` can be used (an episode store was given)."""
        return self._episodes is not None

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

    async def begin(
        self,
        run: Run,
        episode: str,
        key: str,
        reply: Reply,
        *,
        severity: str,
        target: str | None = None,
    ) -> bool:
        """Publish ``reply`` under the Publisher ``key`` if this replica still holds the job
        and ``episode`` is not open yet (opening it); True when it was published. A post
        is never repeated while its episode stays open. Raises like :meth:`announce`."""
        episodes = self._episode_store()
        await run.ensure_held()
        if not await episodes.open(f"scheduler:{episode}", key, self._remember):
            return False
        channels = await self._publisher.publish(key, reply, severity=severity, target=target)
        log.info("job %s began episode %s as %s in %d channel(s)", run.job, episode, key, channels)
        return True

    async def end(
        self,
        run: Run,
        episode: str,
        reply: Reply,
        *,
        severity: str,
        target: str | None = None,
    ) -> bool:
        """Close ``episode`` if it is open and update its post with ``reply``; True when this
        replica ended it. The next :meth:`begin` of the same episode posts anew."""
        episodes = self._episode_store()
        await run.ensure_held()
        key = await episodes.close(f"scheduler:{episode}")
        if key is None:
            return False
        channels = await self._publisher.publish(key, reply, severity=severity, target=target)
        log.info("job %s ended episode %s (%s, %d channel(s))", run.job, episode, key, channels)
        return True

    def _episode_store(self) -> EpisodeStore:
        if self._episodes is None:
            raise RuntimeError("this announcer was built without an episode store")
        return self._episodes
