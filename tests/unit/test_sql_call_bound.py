"""The time bound on SQL store calls (``storage.sql.bounded.CallBound``): a call that misses
the bound is cancelled and its caller told; a call whose caller is cancelled runs on alone
to its end or to the bound, and the store waits for it before closing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.core.errors import DependencyError
from storage.sql.bounded import CallBound, SqlStore
from storage.sql.engine import create_engine


def bound(seconds: float = 60) -> CallBound:
    return CallBound(seconds, what="test database", consequence="nothing changed")


class Call:
    """A store call that starts, waits until :meth:`finish` and says how it ended."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self._finish = asyncio.Event()
        self.ended: str | None = None

    async def run(self) -> str:
        self.started.set()
        try:
            await self._finish.wait()
        except asyncio.CancelledError:
            self.ended = "cancelled"
            raise
        self.ended = "finished"
        return "row"

    def finish(self) -> None:
        self._finish.set()


async def test_a_call_past_the_bound_is_cancelled_and_the_caller_told() -> None:
    calls, call = bound(0.05), Call()
    with pytest.raises(DependencyError) as late:
        await calls.run(call.run())
    assert "did not answer within 0.05 s, so nothing changed" in late.value.message
    await calls.settle(within=30)
    assert call.ended == "cancelled"


async def test_a_cancelled_caller_leaves_its_call_to_finish_and_settle_waits_for_it() -> None:
    """Stopping the server cancels whoever asked; the call itself finishes (its
    connection goes back to the pool), and ``settle`` waits for it."""
    calls, call = bound(), Call()
    caller = asyncio.create_task(calls.run(call.run()))
    await call.started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert call.ended is None
    call.finish()
    await calls.settle(within=30)
    assert call.ended == "finished"


async def test_a_call_left_alone_is_still_cancelled_at_its_bound() -> None:
    calls, call = bound(0.05), Call()
    caller = asyncio.create_task(calls.run(call.run()))
    await call.started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await calls.settle(within=30)
    assert call.ended == "cancelled"


async def test_a_ping_whose_caller_is_cancelled_while_connecting_closes_its_connection(
    tmp_path: Path,
) -> None:
    """SQLite through aiosqlite: a health check stopped while its ping opens the first
    connection. The ping still completes and checks the connection in, and disposing of the
    engine closes it; cut off halfway, aiosqlite's thread used to finish opening a
    connection nobody closed, and fail handing it to an event loop that had closed."""
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    seen: list[str] = []
    for name in ("connect", "checkin", "close"):
        event.listen(engine.sync_engine.pool, name, lambda *_, name=name: seen.append(name))
    store = SqlStore(engine, timeout=60, what="test database", consequence="nothing changed")
    caller = asyncio.create_task(store.ping())
    await asyncio.sleep(0)  # the ping starts opening the connection
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await store.bound.settle(within=30)
    await engine.dispose()
    assert seen == ["connect", "checkin", "close"]
