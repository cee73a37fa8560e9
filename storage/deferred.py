"""A store that is opened when it is first used, not when the bot starts.

A console session on the embedded defaults keeps its audit log and alert posts in throw-away
SQLite files. Opening them means importing SQLAlchemy and Alembic and migrating two new files:
most of the start-up of ``smartcloudops chat -c help``, which never touches them
(``bench/RESULTS_STARTUP.md``). :func:`open_on_first_use` hands out a stand-in instead, which
opens the real store at the first method call; a session that never needs it never pays.

Stores with data that must outlive the process (``DATABASE_URL``, a policy that can run
actions, a chat platform) are still opened at start-up, so a bad database fails then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any


class Deferred:
    """Stands in for the store ``opener`` yields.

    Until the store is open, every public attribute is taken for an async method: calling it
    opens the store (once, under a lock) and calls the store's method of that name. Once open,
    every attribute is the store's own. The stores deferred here (:mod:`storage.sql`) have
    only async methods apart from ``engine``, which is there once the store has been used.
    """

    def __init__(self, opener: Callable[[], contextlib.AbstractAsyncContextManager[Any]]) -> None:
        self._opener = opener
        self._store: Any = None
        self._lock = asyncio.Lock()
        self._stack = contextlib.AsyncExitStack()

    @property
    def is_open(self) -> bool:
        return self._store is not None

    async def opened(self) -> Any:
        """The real store, opening it on the first call."""
        async with self._lock:
            if self._store is None:
                self._store = await self._stack.enter_async_context(self._opener())
        return self._store

    async def aclose(self) -> None:
        """Close the store if it was opened."""
        await self._stack.aclose()

    def __getattr__(self, name: str) -> Any:
        if self._store is not None:
            return getattr(self._store, name)
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            method: Callable[..., Awaitable[Any]] = getattr(await self.opened(), name)
            return await method(*args, **kwargs)

        return call


@contextlib.asynccontextmanager
async def open_on_first_use(
    opener: Callable[[], contextlib.AbstractAsyncContextManager[Any]],
) -> AsyncIterator[Deferred]:
    """A :class:`Deferred` for ``opener``'s store, closed (if it was opened) on exit."""
    deferred = Deferred(opener)
    try:
        yield deferred
    finally:
        await deferred.aclose()
