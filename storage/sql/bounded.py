"""A time bound on every call of a SQL store, kept even when the database hangs.

Driver-level timeouts (libpq's ``connect_timeout``, PostgreSQL's ``statement_timeout``, the
pool's wait) cover a slow database, but not a hung one: a frozen server (SIGSTOP, a stalled
network path) never answers, not even to the cancel a timeout sends. And a bound enforced
inline with ``asyncio.timeout`` is not kept either: after cancelling, psycopg tries to
cancel the query on the server and SQLAlchemy to roll back, which waits again (about 12 s in
practice) before the caller hears anything.

So each store call runs in a task of its own and the caller stops waiting at the bound:
it gets a :class:`~bot.core.errors.DependencyError` naming the database, and the abandoned task
is cancelled and left to clean up in the background (its connection is rolled back or
closed, so nothing it started is committed later by a database that comes back). Whatever
the caller would have done with the answer (run a remediation, post an alert) is not done.

A caller that is itself cancelled (the server stopping, a health check stopped) does not
cancel the call: it goes on alone to its end, or to the bound, and the store waits for it
(:meth:`CallBound.settle`) before its engine is disposed of. Cancelled halfway, a call can
leave the driver working on after the event loop has closed: aiosqlite's thread finished
opening a connection nobody would close, and failed handing it to the closed loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.errors import DependencyError

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

DEPENDENCY = "database"


class CallBound:
    """Runs coroutines with a deadline, abandoning (cancelling) the ones that miss it.

    ``what`` names the database in the user-facing error ("the remediation database") and
    ``consequence`` says what did not happen ("nothing was run or changed").
    """

    def __init__(self, seconds: float, *, what: str, consequence: str) -> None:
        self.seconds = seconds
        self._late = (
            f"The {what} did not answer within {seconds:g} s, so {consequence}. "
            "Check that the database is up."
        )
        self._abandoned: set[asyncio.Task[Any]] = set()

    async def run(self, call: Coroutine[Any, Any, T]) -> T:
        """``await call`` for at most :attr:`seconds`; raises ``DependencyError`` after."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        task = asyncio.create_task(call)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:
            self._leave_alone(task, deadline)
            raise
        if not done:
            self._abandon(task)
            raise DependencyError(DEPENDENCY, self._late)
        return task.result()

    async def settle(self, within: float) -> None:
        """Wait (at most ``within`` seconds) for abandoned calls to finish cleaning up, e.g.
        before the engine is disposed of."""
        if self._abandoned:
            await asyncio.wait(set(self._abandoned), timeout=within)

    def _abandon(self, task: asyncio.Task[Any]) -> None:
        task.cancel()
        self._track(task)

    def _leave_alone(self, task: asyncio.Task[Any], deadline: float) -> None:
        """The caller was cancelled: ``task`` runs on to its end, or is cancelled at its
        deadline, and :meth:`settle` waits for it."""
        late = asyncio.get_running_loop().call_at(deadline, task.cancel)
        task.add_done_callback(lambda _: late.cancel())
        self._track(task)

    def _track(self, task: asyncio.Task[Any]) -> None:
        """Keep ``task`` for :meth:`settle` until it ends."""
        self._abandoned.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("an abandoned database call ended with %r", task.exception())


class BoundedStore(Protocol):
    @property
    def bound(self) -> CallBound: ...


S = TypeVar("S", bound=BoundedStore)


def bounded(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """Decorates a store method so each call is kept within the store's :class:`CallBound`."""

    @functools.wraps(method)
    async def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.bound.run(method(self, *args, **kwargs))

    return call


class SqlStore:
    """What every SQL store shares: one async engine, a :class:`CallBound` on each call, a
    ``ping`` for readiness, and transactions whose driver failures become a
    :class:`~bot.core.errors.DependencyError` that says what did not happen.

    ``what`` names the database to the user ("remediation database"); ``consequence`` is what
    a failed call did not do ("nothing was run or changed").
    """

    def __init__(self, engine: AsyncEngine, *, timeout: float, what: str, consequence: str) -> None:
        self._engine = engine
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._bound = CallBound(timeout, what=what, consequence=consequence)
        self._unavailable = f"The {what} is unavailable, so {consequence}."

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def bound(self) -> CallBound:
        """The time bound on each call (see :mod:`storage.sql.bounded`)."""
        return self._bound

    @bounded
    async def ping(self) -> None:
        async with self._begin() as conn:
            await conn.execute(select(1))

    @contextlib.asynccontextmanager
    async def _begin(self, *, integrity_errors: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction; driver failures become ``DependencyError``. With
        ``integrity_errors`` a constraint violation passes through (for a caller that decides
        on it, such as a claim)."""
        try:
            async with self._engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            if integrity_errors:
                raise
            raise DependencyError(DEPENDENCY, self._unavailable) from exc
        except (SQLAlchemyError, OSError) as exc:
            raise DependencyError(DEPENDENCY, self._unavailable) from exc
