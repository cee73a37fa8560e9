"""A value built at its first use rather than at start-up (see bench/RESULTS_STARTUP.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Later(Generic[T]):
    """A value ``build`` makes at the first :meth:`get`, once: concurrent first callers wait
    for the one build, and a build that fails is tried again by the next caller."""

    def __init__(self, build: Callable[[], Awaitable[T]]) -> None:
        self._build = build
        self._lock = asyncio.Lock()
        self._value: T | None = None

    async def get(self) -> T:
        if self._value is not None:  # built: no lock on every later call
            return self._value
        async with self._lock:
            if self._value is None:
                self._value = await self._build()
        return self._value
