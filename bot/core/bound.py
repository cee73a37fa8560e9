"""A bound on the calls in flight to one backend, so that when the bot is the bottleneck it
says so, instead of letting callers queue invisibly and blaming the backend for the wait.

A caller waits at most ``wait`` seconds for a free slot, then gets
:class:`~bot.core.errors.Overloaded`. A backend's own timeout belongs inside the slot: it
measures the backend, not the queue in front of it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.core.errors import BUSY_MESSAGE, Overloaded


class ConcurrencyLimit:
    """At most ``size`` holders of :meth:`slot` at once, served first come, first served."""

    def __init__(
        self, dependency: str, size: int, *, wait: float, busy_message: str = BUSY_MESSAGE
    ) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        if wait < 0:
            raise ValueError("wait must not be negative")
        self.dependency = dependency
        self.size = size
        self.wait = wait
        self.busy_message = busy_message
        self._slots = asyncio.Semaphore(size)
        self._in_use = 0
        self._waiting = 0

    @property
    def in_use(self) -> int:
        """Slots held right now."""
        return self._in_use

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot right now."""
        return self._waiting

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block; :class:`Overloaded` (carrying ``busy_message``) when
        none is free within ``wait``."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    async def acquire(self) -> None:
        """Take a slot (give it back with :meth:`release`); :class:`Overloaded` when none is
        free within ``wait``. A free slot is taken at once, without arming a timeout."""
        if self._slots.locked():
            self._waiting += 1
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can lose an acquired permit.
                async with asyncio.timeout(self.wait):
                    await self._slots.acquire()
            except TimeoutError:
                raise Overloaded(self.dependency, self.busy_message) from None
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()  # free, and nobody queued before us: no wait
        self._in_use += 1

    def release(self) -> None:
        """Give back a slot taken with :meth:`acquire`."""
        self._in_use -= 1
        self._slots.release()
