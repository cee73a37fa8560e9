"""The kernel's ports: how the core talks to what every feature shares, as small async
protocols. Conversation memory (:class:`ContextStore`), "have we done this already?" across
replicas (:class:`DedupeStore`), posting without being asked (:class:`ChannelPoster`,
:class:`Publisher`) and the parser (:class:`IntentParserPort`). Each feature keeps its own
ports next to it (``bot/features/*/ports.py``); implementations live in ``storage/``,
``adapters/`` and ``ml/`` and are wired together in :mod:`bot.app.services`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.core.model import ConversationKey, Reply
from intents.model import Intent, Turn

# --------------------------------------------------------------------------- context


class ContextStore(Protocol):
    """Remembers recent turns per conversation so follow-ups ("and memory?") resolve.

    Contract: ``recent`` returns at most ``limit`` turns, oldest first, only those younger
    than the store's TTL; ``append`` keeps a bounded history and refreshes the TTL. Both raise
    :class:`bot.core.errors.DependencyError` when the backend is unreachable (the caller then
    answers without context). ``ping`` raises the same when the backend is down.
    """

    async def recent(self, key: ConversationKey, limit: int = 10) -> list[Turn]: ...

    async def append(self, key: ConversationKey, turn: Turn) -> None: ...

    async def clear(self, key: ConversationKey) -> None: ...

    async def ping(self) -> None: ...


class AnswerStore(Protocol):
    """Keeps each person's last private answer in a conversation for ``share``
    (:mod:`bot.core.sharing`), shared by every replica when it is backed by Redis.

    Contract: ``keep`` replaces the answer under ``key`` and forgets it after ``ttl_seconds``;
    ``take`` returns it and forgets it in one step (of two concurrent takes, one gets it), or
    None when there is none or it expired. Both raise :class:`bot.core.errors.DependencyError`
    when the backend is unreachable.
    """

    async def keep(self, key: str, reply: Reply, ttl_seconds: float) -> None: ...

    async def take(self, key: str) -> Reply | None: ...


# --------------------------------------------------------------------------- coordination


class DedupeStore(Protocol):
    """Shared "have we done this already?" across replicas (Redis ``SET NX EX``; in memory for
    one process). Used for platform retries, duplicate deliveries and alert posts."""

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        """True for the first caller of ``key`` within ``ttl_seconds``; False for every other.

        Raises :class:`bot.core.errors.DependencyError` when the backend is down (callers that
        must not double-post should then fail closed)."""
        ...


@runtime_checkable
class LocalDedupeStore(DedupeStore, Protocol):
    """A :class:`DedupeStore` in this process (the embedded default), which can tell at once,
    without I/O, whether a key is claimed: the Responder asks it instead of keeping its own
    copy of every key it claimed there."""

    def holds(self, key: str) -> bool:
        """True while ``key`` is claimed (its TTL not yet over)."""
        ...


# --------------------------------------------------------------------------- parsing


class IntentParserPort(Protocol):
    """Turns text plus the conversation so far into an intent (see :mod:`intents.parser`)."""

    def parse(
        self, text: str, history: Sequence[Turn] = (), now: float | None = None
    ) -> Intent: ...


# --------------------------------------------------------------------------- proactive posts


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A place to post to without being asked (alerts, findings, digests), by immutable ids."""

    platform: str
    team_id: str
    channel_id: str
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class PostedRef:
    """A message the bot posted, so it can be updated in place later (survives restarts when
    stored). ``team_id`` is the workspace it was posted in, for platforms where one process
    serves several (Slack in OAuth mode edits with that workspace's token)."""

    platform: str
    channel_id: str
    message_id: str
    thread_id: str | None = None
    team_id: str = ""


class ChannelPoster(Protocol):
    """Proactive posting on one platform (each adapter provides one).

    ``post`` raises :class:`bot.core.errors.NotFoundError` for a channel the bot cannot post to
    (e.g. a Teams conversation the bot has never been in) and
    :class:`bot.core.errors.AdapterError` when the platform fails; never drops silently.
    """

    platform: str

    async def post(self, channel: ChannelRef, reply: Reply) -> PostedRef: ...

    async def update(self, posted: PostedRef, reply: Reply) -> None: ...


class Publisher(Protocol):
    """Posts a notification to every channel subscribed to it, on every platform.

    ``key`` identifies the thing being posted (an Alertmanager group, an anomaly finding,
    a digest): the first ``publish`` of a key posts it once per subscribed channel (once
    across replicas), later publishes of the same key update those posts in place.
    ``severity`` and ``target`` select the subscriptions whose filters match.
    """

    async def publish(
        self, key: str, reply: Reply, *, severity: str, target: str | None = None
    ) -> int:
        """Number of channels posted to or updated."""
        ...
