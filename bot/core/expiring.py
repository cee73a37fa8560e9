"""Keys that each hold for their own time to live, in one process, with O(1) upkeep.

The Responder remembers the deliveries it has claimed and the in-memory dedupe store the
claims themselves. Both used to drop expired keys by rebuilding their whole dict on every
new key once 10 000 were held: under steady traffic with every claim still live (a slash
command's claim lives 15 minutes, so 10 000 is 11 commands a second) each new key then cost
a copy of all the others. Here an expired key is only ever *ignored* at once; the dict is
swept when it has doubled since the last sweep, so each key pays for its own removal once,
and a ``limit`` forgets the oldest keys first (``OrderedDict.popitem``, O(1)).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")
E = TypeVar("E")

#: No sweep before this many keys are held (a sweep of a small dict is not worth its cost).
FIRST_SWEEP = 1024


class _Expiring(Generic[E]):
    """Entries by key in the order they were stored, each carrying its own expiry: the upkeep
    (newest last, the ``limit``, the sweep once the dict has doubled) that both kinds below
    share. A subclass says where an entry keeps its expiry."""

    def __init__(self, clock: Callable[[], float], limit: int | None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        self._clock = clock
        self._limit = limit
        self._entries: OrderedDict[str, E] = OrderedDict()
        self._sweep_at = FIRST_SWEEP

    def __len__(self) -> int:
        """Keys stored, expired ones not yet swept included."""
        return len(self._entries)

    @staticmethod
    def _expiry(entry: E) -> float:
        raise NotImplementedError

    def _live(self, entry: E | None) -> E | None:
        return entry if entry is not None and self._expiry(entry) > self._clock() else None

    def _store(self, key: str, entry: E, now: float) -> None:
        """Keep ``entry`` under ``key`` as the newest, then enforce the limit and sweep."""
        self._entries[key] = entry
        self._entries.move_to_end(key)
        if self._limit is not None:
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        if len(self._entries) >= self._sweep_at:
            expiry = self._expiry
            self._entries = OrderedDict((k, e) for k, e in self._entries.items() if expiry(e) > now)
            self._sweep_at = max(FIRST_SWEEP, 2 * len(self._entries))


class ExpiringMap(_Expiring[tuple[float, V]]):
    """Values by key, each kept until ``ttl_seconds`` after it was put (by ``clock``; an
    infinite ttl keeps it until the ``limit`` pushes it out). With ``limit``, at most that many
    are kept, the oldest put forgotten first."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, limit: int | None = None
    ) -> None:
        super().__init__(clock, limit)

    @staticmethod
    def _expiry(entry: tuple[float, V]) -> float:
        return entry[0]

    def get(self, key: str) -> V | None:
        """The live value of ``key``, or None."""
        held = self._live(self._entries.get(key))
        return None if held is None else held[1]

    def put(self, key: str, value: V, ttl_seconds: float) -> None:
        """Keep ``value`` under ``key`` for ``ttl_seconds`` from now, as the newest."""
        now = self._clock()
        self._store(key, (now + ttl_seconds, value), now)

    def pop(self, key: str) -> V | None:
        """Forget ``key``; its value if it was still live, else None."""
        held = self._live(self._entries.pop(key, None))
        return None if held is None else held[1]


class ExpiringKeys(_Expiring[float]):
    """A set of keys, each held until ``ttl_seconds`` after it was added (by ``clock``).
    With ``limit``, at most that many keys are kept, the oldest added forgotten first.

    Each key holds only its expiry (a float), not an :class:`ExpiringMap` entry's
    ``(expiry, value)`` tuple: 56 bytes less a key (measured with tracemalloc, ~90 instead of
    ~146 bytes besides the key string), and a dedupe store holds one key per delivery for an
    hour.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, limit: int | None = None
    ) -> None:
        super().__init__(clock, limit)

    @staticmethod
    def _expiry(entry: float) -> float:
        return entry

    def holds(self, key: str) -> bool:
        return self._live(self._entries.get(key)) is not None

    def add(self, key: str, ttl_seconds: float) -> None:
        """Hold ``key`` for ``ttl_seconds`` from now (a held key is renewed, as the newest)."""
        now = self._clock()
        self._store(key, now + ttl_seconds, now)

    def claim(self, key: str, ttl_seconds: float) -> bool:
        """Hold ``key`` unless it is held already; True when this call took it."""
        if self.holds(key):
            return False
        self.add(key, ttl_seconds)
        return True
