"""The in-process context store: the embedded default when no ``REDIS_URL`` is set.

It keeps the same observable behaviour as :class:`storage.redis_context.RedisContextStore`
(both pass one contract suite): turns are stored serialised, exactly as Redis holds them, so a
caller that mutates a turn's slots after ``append`` cannot change what was remembered, and
whatever the JSON round trip drops (non-scalar slots) is dropped here too.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import MappingProxyType

from bot.core.model import ConversationKey
from intents.model import Turn

log = logging.getLogger(__name__)

Clock = Callable[[], float]


def encode_turn(turn: Turn) -> str:
    """The stored form of a turn (shared with the Redis store)."""
    return json.dumps(turn.to_json(), separators=(",", ":"), sort_keys=True)


def decode_turns(
    raw_entries: Iterable[str | bytes], *, not_before: float, where: str
) -> list[Turn]:
    """Decode stored entries, oldest first, dropping turns older than ``not_before``.

    A corrupt entry (not JSON, not an object, missing fields) is logged and skipped: one bad
    entry must never cost the user an answer.
    """
    turns: list[Turn] = []
    for raw in raw_entries:
        try:
            turn = _decoded(raw)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("skipping a corrupt context entry in %s: %s", where, type(exc).__name__)
            continue
        if turn.at >= not_before:
            turns.append(turn)
    return turns


DECODED_TURNS = 1024
"""How many decoded turns are kept, by their stored form, most recently read last: every
message reads its conversation's last turns, and decoding ten JSON turns cost ~45 us of each
message. Whatever the stores hold, this costs at most ~0.5 MiB."""


@functools.lru_cache(maxsize=DECODED_TURNS)
def _decoded(raw: str | bytes) -> Turn:
    """The turn stored as ``raw``, shared by every reader of it: its slots are read-only."""
    turn = Turn.from_json(json.loads(raw))
    return replace(turn, slots=MappingProxyType(dict(turn.slots)))


@dataclass(slots=True)
class _Conversation:
    """A conversation's encoded turns, oldest first, at most ``max_turns`` of them.

    A tuple rebuilt on each append, not a ``deque(maxlen=...)``: a deque allocates a
    760-byte block even for one turn, and most conversations (a thread with one mention) never
    have a second (tracemalloc: a one-turn conversation ~440 instead of ~1150 bytes).
    """

    entries: tuple[str, ...]
    touched: float


class InMemoryContextStore:
    """A :class:`bot.core.ports.ContextStore` in a dict, for one process.

    Each conversation keeps at most ``max_turns`` turns; a turn older than ``ttl_seconds``
    (by the injectable ``clock``) is never returned, and a conversation nobody appended to for
    ``ttl_seconds`` is dropped. At most ``max_conversations`` are kept (least recently
    appended go first), so a long-running console or test server cannot grow without bound.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float = 3600.0,
        max_turns: int = 10,
        max_conversations: int = 10_000,
        clock: Clock = time.time,
    ) -> None:
        if ttl_seconds <= 0 or max_turns < 1 or max_conversations < 1:
            raise ValueError("ttl_seconds, max_turns and max_conversations must be positive")
        self._ttl = ttl_seconds
        self._max_turns = max_turns
        self._max_conversations = max_conversations
        self._clock = clock
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()

    async def recent(self, key: ConversationKey, limit: int = 10) -> list[Turn]:
        if limit <= 0:
            return []
        now = self._clock()
        self._drop_expired(now)
        conversation = self._conversations.get(key.as_string())
        if conversation is None:
            return []
        newest = conversation.entries[-limit:]
        return decode_turns(newest, not_before=now - self._ttl, where="memory")

    async def append(self, key: ConversationKey, turn: Turn) -> None:
        now = self._clock()
        name = key.as_string()
        conversation = self._conversations.pop(name, None)
        earlier = conversation.entries if conversation is not None else ()
        self._conversations[name] = _Conversation(
            (*earlier, encode_turn(turn))[-self._max_turns :], now
        )
        self._drop_expired(now)
        while len(self._conversations) > self._max_conversations:
            self._conversations.popitem(last=False)

    async def clear(self, key: ConversationKey) -> None:
        self._conversations.pop(key.as_string(), None)

    async def ping(self) -> None:
        """Always answers: the store lives in this process."""

    async def aclose(self) -> None:
        self._conversations.clear()

    def _drop_expired(self, now: float) -> None:
        """Drop conversations idle for longer than the TTL (oldest-touched are at the front)."""
        while self._conversations:
            oldest = next(iter(self._conversations.values()))
            if now - oldest.touched < self._ttl:
                return
            self._conversations.popitem(last=False)
