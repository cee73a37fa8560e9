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

#: No sweep before this many keys are held (a sweep of a small dict is not worth its cost).
FIRST_SWEEP = 1024


class ExpiringMap(Generic[V]):
    """Values by key, each kept until ``ttl_seconds`` after it was put (by ``clock``; an
    infinite ttl keeps it until the ``limit`` pushes it out). With ``limit``, at most that many
    are kept, the oldest put forgotten first."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, limit: int | None = None
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        self._clock = clock
        self._limit = limit
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._sweep_at = FIRST_SWEEP

    def __len__(self) -> int:
        """Keys stored, expired ones not yet swept included."""
        return len(self._items)

    def get(self, key: str) -> V | None:
        """The live value of ``key``, or None."""
        held = self._items.get(key)
        return held[1] if held is not None and held[0] > self._clock() else None

    def put(self, key: str, value: V, ttl_seconds: float) -> None:
        """Keep ``value`` under ``key`` for ``ttl_seconds`` from now, as the newest."""
        now = self._clock()
        self._items[key] = (now + ttl_seconds, value)
        self._items.move_to_end(key)
        if self._limit is not None:
            while len(self._items) > self._limit:
                self._items.popitem(last=False)
        if len(self._items) >= self._sweep_at:
            self._sweep(now)

    def pop(self, key: str) -> V | None:
        """Forget ``key``; its value if it was still live, else None."""
        held = self._items.pop(key, None)
        return held[1] if held is not None and held[0] > self._clock() else None

    def _sweep(self, now: float) -> None:
        self._items = OrderedDict((k, held) for k, held in self._items.items() if held[0] > now)
        self._sweep_at = max(FIRST_SWEEP, 2 * len(self._items))


class ExpiringKeys:
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
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        self._clock = clock
        self._limit = limit
        self._expiries: OrderedDict[str, float] = OrderedDict()
        self._sweep_at = FIRST_SWEEP

    def __len__(self) -> int:
        """Keys stored, expired ones not yet swept included."""
        return len(self._expiries)

    def holds(self, key: str) -> bool:
        expiry = self._expiries.get(key)
        return expiry is not None and expiry > self._clock()

    def add(self, key: str, ttl_seconds: float) -> None:
        """Hold ``key`` for ``ttl_seconds`` from now (a held key is renewed, as the newest)."""
        now = self._clock()
        self._expiries[key] = now + ttl_seconds
        self._expiries.move_to_end(key)
        if self._limit is not None:
            while len(self._expiries) > self._limit:
                self._expiries.popitem(last=False)
        if len(self._expiries) >= self._sweep_at:
            self._expiries = OrderedDict((k, e) for k, e in self._expiries.items() if e > now)
            self._sweep_at = max(FIRST_SWEEP, 2 * len(self._expiries))

    def claim(self, key: str, ttl_seconds: float) -> bool:
        """Hold ``key`` unless it is held already; True when this call took it."""
        if self.holds(key):
            return False
        self.add(key, ttl_seconds)
        return True
