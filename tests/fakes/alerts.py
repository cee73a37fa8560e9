"""Fakes for the alert side: a chat platform's poster that records every post and edit, and
an in-memory Alertmanager silences API with the same contract as the real client."""

from __future__ import annotations

import asyncio
import functools
import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bot.core.dispatcher import Dispatcher
from bot.core.errors import AdapterError, NotFoundError
from bot.core.model import IncomingMessage, Reply
from bot.core.ports import ChannelPoster, ChannelRef, IntentParserPort, PostedRef
from bot.core.registry import HandlerSpec, Registry
from bot.core.telemetry import Telemetry
from bot.features.alerts.alerting import Alerting
from bot.features.alerts.handlers import alert_specs
from bot.features.alerts.model import Silence, SilenceDraft
from bot.features.alerts.notifier import AlertNotifier
from bot.features.alerts.ports import SilenceBackend
from bot.features.alerts.publisher import ChannelPublisher
from bot.features.alerts.silences import SilenceService
from bot.features.alerts.subscriptions import SubscriptionService
from bot.features.help.handlers import help_specs
from bot.features.metrics.ports import Alert
from bot.features.remediation.policy import Policy, load_policy
from storage.memory import InMemoryContextStore
from storage.sql.alert_store import SqlAlertStore

T = TypeVar("T")
WEBHOOK_TOKEN = "test-webhook-token"
DATA = Path(__file__).resolve().parents[1] / "data" / "alertmanager"


@dataclass(frozen=True)
class Post:
    channel: ChannelRef
    reply: Reply
    ref: PostedRef


@dataclass(frozen=True)
class Edit:
    ref: PostedRef
    reply: Reply


@dataclass
class RecordingPoster:
    """A :class:`bot.core.ports.ChannelPoster` for a fake platform. ``fail_next`` posts raise
    :class:`AdapterError`; ``delay`` slows every post (to overlap concurrent publishers);
    ``gone`` channels raise :class:`NotFoundError`."""

    platform: str = "chat"
    delay: float = 0.0
    fail_next: int = 0
    gone: set[str] = field(default_factory=set)
    posts: list[Post] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def post(self, channel: ChannelRef, reply: Reply) -> PostedRef:
        if self.delay:
            await asyncio.sleep(self.delay)
        if channel.channel_id in self.gone:
            raise NotFoundError(f"no channel {channel.channel_id}")
        if self.fail_next:
            self.fail_next -= 1
            raise AdapterError("the platform is down")
        ref = PostedRef(
            self.platform,
            channel.channel_id,
            f"m{next(self._ids)}",
            channel.thread_id,
            channel.team_id,
        )
        await self._record(Post(channel, reply, ref))
        return ref

    async def update(self, posted: PostedRef, reply: Reply) -> None:
        if posted.channel_id in self.gone:
            raise NotFoundError(f"no channel {posted.channel_id}")
        await self._record(Edit(posted, reply))

    def posts_in(self, channel_id: str) -> list[Post]:
        return [p for p in self.posts if p.channel.channel_id == channel_id]

    def latest(self, ref: PostedRef) -> Reply:
        """What ``ref`` shows now: its last edit, else the post itself."""
        for edit in reversed(self.edits):
            if edit.ref == ref:
                return edit.reply
        return next(p.reply for p in self.posts if p.ref == ref)

    async def wait_until(
        self, ready: Callable[[], object], result: Callable[[], T], within: float = 10.0
    ) -> T:
        """``result()`` once ``ready()`` is true; fails the test after ``within`` seconds."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: bool(ready()))
        return result()

    async def wait_for_posts(self, count: int = 1, within: float = 10.0) -> list[Post]:
        """The posts once there are at least ``count``."""
        return await self.wait_until(lambda: len(self.posts) >= count, lambda: self.posts, within)

    async def wait_for_edits(self, count: int = 1, within: float = 10.0) -> list[Edit]:
        """The edits once there are at least ``count``."""
        return await self.wait_until(lambda: len(self.edits) >= count, lambda: self.edits, within)

    async def _record(self, entry: Post | Edit) -> None:
        async with self._changed:
            if isinstance(entry, Post):
                self.posts.append(entry)
            else:
                self.edits.append(entry)
            self._changed.notify_all()


@dataclass
class MemorySilences:
    """Alertmanager's silences and alerts in memory
    (:class:`bot.features.alerts.ports.SilenceBackend`)."""

    description: str = "Alertmanager"
    held_alerts: list[Alert] = field(default_factory=list)
    silences: dict[str, Silence] = field(default_factory=dict)
    drafts: list[SilenceDraft] = field(default_factory=list)

    async def create_silence(self, draft: SilenceDraft) -> str:
        silence_id = str(uuid.uuid4())
        self.drafts.append(draft)
        self.silences[silence_id] = Silence(
            silence_id, draft.matchers, draft.starts_at, draft.ends_at,
            draft.created_by, draft.comment, "active",
        )  # fmt: skip
        return silence_id

    async def list_silences(self) -> list[Silence]:
        return list(self.silences.values())

    async def expire_silence(self, silence_id: str) -> None:
        silence = self.silences.get(silence_id)
        if silence is None:
            raise NotFoundError(f"Alertmanager does not know it: silence {silence_id} not found")
        self.silences[silence_id] = Silence(
            silence.id, silence.matchers, silence.starts_at, silence.ends_at,
            silence.created_by, silence.comment, "expired",
        )  # fmt: skip

    async def alerts(self) -> list[Alert]:
        return list(self.held_alerts)


@functools.cache
def alert_parser() -> IntentParserPort:
    """The bot's own parser (loaded once per session)."""
    from bot.app.parsing import build_parser

    return build_parser()


def recorded(name: str) -> bytes:
    """A webhook notification recorded from a real Alertmanager (``tests/data/alertmanager``)."""
    return (DATA / name).read_bytes()


def alerting_over(
    store: SqlAlertStore,
    posters: Mapping[str, ChannelPoster],
    feed: SilenceBackend | None = None,
    *,
    target_labels: tuple[str, ...] = ("instance", "job", "service"),
) -> Alerting:
    """The alert side over ``store`` as :func:`adapters.alertmanager.wiring.open_alerting`
    builds it, with any silences backend (or none: Alertmanager not configured)."""
    publisher = ChannelPublisher(store, store, posters, wait_for_post=5.0)
    notifier = AlertNotifier(store, publisher, target_labels=target_labels)
    return Alerting(
        publisher=publisher,
        notifier=notifier,
        subscriptions=SubscriptionService(store, posters),
        silences=SilenceService(feed, target_labels=target_labels),
        feed=feed,
    )


def on_call(*principals: str, allow_dm: bool = False) -> Policy:
    """A policy whose one role, ``oncall`` (``principals``, e.g. ``chat:U0ANA``), may
    silence, subscribe and acknowledge; nobody else may."""
    return load_policy({
        "roles": {"oncall": {"users": list(principals)}},
        "alerts": {"silence": ["oncall"], "subscribe": ["oncall"],
                   "acknowledge": ["oncall"], "allow_dm": allow_dm},
    })  # fmt: skip


def alert_dispatcher(alerting: Alerting, *extra: HandlerSpec, policy: Policy) -> Dispatcher:
    """A real dispatcher over the bot's parser with the alert handlers (plus ``extra``),
    authorised by ``policy`` (see :func:`on_call`)."""
    registry = Registry([*alert_specs(alerting, policy), *extra])
    for spec in help_specs(registry):
        registry.register(spec)
    return Dispatcher(alert_parser(), InMemoryContextStore(), registry, Telemetry())


def said(platform: str, channel: str, user: str, name: str, text: str,
         thread: str | None = None) -> IncomingMessage:  # fmt: skip
    return IncomingMessage(platform, "T1", channel, user, name, text, thread_id=thread)
