"""Fan-out of notifications to subscribed channels on every platform: the
:class:`bot.core.ports.Publisher` of the bot.

For each key (an alert group's incident, a finding, a digest) each subscribed channel gets
one post, once across replicas: the first publisher to *claim* the (key, channel) pair in the
shared :class:`~bot.features.alerts.ports.PostStore` posts and records the platform's message id;
everyone else, then and later, edits that message instead. Content is hashed, so
re-publishing an unchanged reply (Alertmanager's repeat notifications, a duplicate delivery
to another replica) edits nothing.

A channel whose platform is not enabled on this replica is skipped. A post the platform
refuses is logged and released, so the next publish of the key tries again. When the store
itself is down the publish raises :class:`~bot.core.errors.DependencyError` (the webhook then
answers 503 and Alertmanager retries) rather than post what it could not record.

Once the platform has returned a message id the claim is never released: recording that id
is retried (:data:`RECORD_RETRY_DELAYS`) and shielded from the publish's cancellation, since
a released (or unrecorded) claim makes a later publish post the alert a second time.

Each post, edit, failure and skip is reported to the telemetry port, by platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.core.errors import DependencyError, SmartCloudOpsError
from bot.core.model import Reply
from bot.core.ports import ChannelPoster, ChannelRef, PostedRef
from bot.features.alerts.model import Audience
from bot.features.alerts.ports import PostStore, PostTelemetry, SubscriptionStore, Uncounted

log = logging.getLogger(__name__)

#: A claim with no recorded post after this long belongs to a replica that died mid-post.
STALE_CLAIM = timedelta(minutes=2)
#: How long to wait for another replica's first post before editing it.
WAIT_FOR_POST_SECONDS = 10.0
#: Pauses between attempts to record a message id the platform returned (then it gives up:
#: the claim goes stale after STALE_CLAIM and the alert is posted again).
RECORD_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
_POLL_SECONDS = 0.2

Clock = Callable[[], datetime]
_T = TypeVar("_T")


def utc_now() -> datetime:
    return datetime.now(UTC)


def digest_of(reply: Reply) -> str:
    """A hash of everything a reply shows (not its correlation id)."""
    shown = (
        reply.title,
        reply.text,
        reply.fields,
        reply.table,
        reply.code,
        tuple(hashlib.sha256(c.png).hexdigest() for c in reply.charts),
        reply.choices,
        reply.menus,
        reply.forms,
        reply.severity,
        reply.footer,
    )
    return hashlib.sha256(repr(shown).encode("utf-8")).hexdigest()


class ChannelPublisher:
    """Posts to the channels subscribed to a notification and edits those posts later."""

    def __init__(
        self,
        subscriptions: SubscriptionStore,
        posts: PostStore,
        posters: Mapping[str, ChannelPoster],
        *,
        clock: Clock = utc_now,
        wait_for_post: float = WAIT_FOR_POST_SECONDS,
        record_retry_delays: Sequence[float] = RECORD_RETRY_DELAYS,
        telemetry: PostTelemetry | None = None,
    ) -> None:
        self._subscriptions = subscriptions
        self._posts = posts
        self._posters = posters
        self._clock = clock
        self._wait_for_post = wait_for_post
        self._record_retry_delays = tuple(record_retry_delays)
        self._recording: set[asyncio.Task[None]] = set()
        self._telemetry = telemetry or Uncounted()

    async def publish(
        self, key: str, reply: Reply, *, severity: str, target: str | None = None
    ) -> int:
        """:meth:`bot.core.ports.Publisher.publish`: channels whose filters match ``severity``
        and ``target``."""
        return await self.publish_to(key, reply, Audience.of(severity, [target] if target else []))

    async def publish_to(self, key: str, reply: Reply, audience: Audience) -> int:
        """Post or update ``key`` in every channel subscribed to ``audience``; how many
        channels were posted to or edited."""
        subscriptions = await self._subscriptions.subscriptions()
        channels = _unique(s.channel for s in subscriptions if s.matches(audience))
        return await self._each(key, channels, lambda channel: self._deliver(key, channel, reply))

    async def refresh(self, key: str, reply: Reply) -> int:
        """Edit the posts already made for ``key`` (no new ones), e.g. to show who
        acknowledged an alert."""
        await self._settle_recordings()
        posts = await self._posts.posts(key)
        by_channel = {p.channel: p for p in posts}
        return await self._each(
            key,
            list(by_channel),
            lambda channel: self._update(
                key, channel, by_channel[channel].posted, by_channel[channel].digest, reply
            ),
        )

    async def _each(
        self,
        key: str,
        channels: list[ChannelRef],
        work: Callable[[ChannelRef], Awaitable[bool]],
    ) -> int:
        results = await asyncio.gather(*(work(c) for c in channels), return_exceptions=True)
        done, store_down = 0, None
        for channel, result in zip(channels, results, strict=True):
            if isinstance(result, DependencyError):
                store_down = result
            elif isinstance(result, SmartCloudOpsError):
                log.warning("could not publish %s to %s: %s", key, _where(channel), result)
            elif isinstance(result, BaseException):
                log.error("publishing %s to %s failed", key, _where(channel), exc_info=result)
            elif result:
                done += 1
        if store_down is not None:
            raise store_down
        return done

    async def _deliver(self, key: str, channel: ChannelRef, reply: Reply) -> bool:
        poster = self._posters.get(channel.platform)
        if poster is None:
            self._telemetry.post_result(channel.platform, "skipped")
            return False
        now = self._clock()
        claim = await self._posts.claim_post(key, channel, now, now - STALE_CLAIM)
        if claim.won:
            await self._first_post(poster, key, channel, reply)
            return True
        posted, digest = claim.posted, claim.digest
        if posted is None:
            found = await self._await_post(key, channel)
            if found is None:
                log.warning("%s in %s: another replica's post never landed", key, _where(channel))
                return False
            posted, digest = found
        return await self._update(key, channel, posted, digest, reply)

    async def _settle_recordings(self) -> None:
        """Let this replica's posts that are still being recorded land first, so an edit
        right after a post (Acknowledge clicked at once) finds them."""
        if self._recording:
            await asyncio.wait(set(self._recording), timeout=self._wait_for_post)

    async def _first_post(
        self, poster: ChannelPoster, key: str, channel: ChannelRef, reply: Reply
    ) -> None:
        """Post ``reply`` under this replica's claim. Only a failed (or interrupted)
        ``post`` releases the claim; a message id, once returned, is recorded even if this
        publish is cancelled meanwhile."""
        try:
            posted = await self._counted(channel.platform, "posted", poster.post(channel, reply))
        except BaseException:
            with contextlib.suppress(Exception):
                await self._posts.release_post(key, channel)
            raise
        task = asyncio.create_task(self._record(key, channel, posted, digest_of(reply)))
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)
        await asyncio.shield(task)

    async def _record(self, key: str, channel: ChannelRef, posted: PostedRef, digest: str) -> None:
        """Record a post that exists, retrying a failing store; never release its claim."""
        for delay in self._record_retry_delays:
            try:
                await self._posts.record_post(key, channel, posted, digest, self._clock())
            except Exception as exc:
                log.warning("recording the post of %s in %s failed (%s); retrying",
                            key, _where(channel), exc)  # fmt: skip
                await asyncio.sleep(delay)
            else:
                return
        try:
            await self._posts.record_post(key, channel, posted, digest, self._clock())
        except Exception:
            log.exception(
                "%s was posted in %s as %s but could not be recorded; it will be posted "
                "again once the claim is stale", key, _where(channel), posted.message_id,
            )  # fmt: skip
            raise

    async def _update(
        self, key: str, channel: ChannelRef, posted: PostedRef, digest: str, reply: Reply
    ) -> bool:
        new_digest = digest_of(reply)
        poster = self._posters.get(posted.platform)
        if poster is None:
            self._telemetry.post_result(posted.platform, "skipped")
            return False
        if new_digest == digest:
            return False
        await self._counted(posted.platform, "updated", poster.update(posted, reply))
        await self._posts.set_digest(key, channel, new_digest, self._clock())
        return True

    async def _counted(self, platform: str, result: str, call: Awaitable[_T]) -> _T:
        """Await a platform call, reporting ``result`` or, if it raised, ``failed``."""
        try:
            done = await call
        except Exception:
            self._telemetry.post_result(platform, "failed")
            raise
        self._telemetry.post_result(platform, result)
        return done

    async def _await_post(self, key: str, channel: ChannelRef) -> tuple[PostedRef, str] | None:
        """The post another replica is making right now, once it has recorded it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_for_post
        while loop.time() < deadline:
            await asyncio.sleep(_POLL_SECONDS)
            for post in await self._posts.posts(key):
                if post.channel == channel:
                    return post.posted, post.digest
        return None


def _unique(channels: Iterable[ChannelRef]) -> list[ChannelRef]:
    return list(dict.fromkeys(channels))


def _where(channel: ChannelRef) -> str:
    thread = f"/{channel.thread_id}" if channel.thread_id else ""
    return f"{channel.platform}:{channel.channel_id}{thread}"
