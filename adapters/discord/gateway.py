"""Runs the gateway session of one shard on whichever replica holds its lease.

A replica polls the lease until it wins it, then starts a fresh discord.py client and renews
the lease while the session runs. It closes the client when the lease is lost (another replica
won after a lapse), when renewals fail for longer than the TTL (Redis down: fail closed), or on
stop (releasing the lease so a standby takes over at once). Reconnecting and RESUMEing a
dropped websocket is discord.py's job inside one tenure.

Stopping does not trust a single cancellation: on Python 3.11 one that lands inside a
redis-py call can be silently lost (redis-py wraps socket writes in ``asyncio.wait_for``, which
then returns the result instead of raising). So a stop flag is checked at every step, the
fence is dropped before the tasks are cancelled, and cancellations are re-sent until the
tasks have finished (as :mod:`bot.features.scheduler.runner` does).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from typing import Protocol

import discord

from adapters.discord.lease import Fence, Lease
from bot.core.coordination import Tenure, give_up, keep, take
from bot.core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_SECONDS = 10.0
MAX_BACKOFF = 60.0
#: How often a stopping supervisor re-sends a cancellation that may have been lost (seconds).
STOP_RECANCEL, CHILD_RECANCEL = 0.5, 0.1


class SessionClient(Protocol):
    """What the supervisor needs of a gateway client (``discord.Client`` is one)."""

    async def start(self, token: str, *, reconnect: bool = True) -> None: ...

    async def close(self) -> None: ...


class Ending(enum.Enum):
    """How a tenure ended, and so what the supervisor does next."""

    LOST = "lost"
    FAILED = "failed"
    FATAL = "fatal"


class GatewaySupervisor:
    """Holds the shard lease and the gateway session together (one background task)."""

    def __init__(
        self,
        lease: Lease,
        fence: Fence,
        new_client: Callable[[], SessionClient],
        token: str,
        *,
        renew_every: float,
        standby_poll: float,
    ) -> None:
        self._lease = lease
        self._what = f"discord shard {lease.name}"
        self._fence = fence
        self._new_client = new_client
        self._token = token
        self._renew_every = renew_every
        self._standby_poll = standby_poll
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: True while a tenure closes its session and releases the lease: a cancellation
        #: then would cut the clean close short, and the loop stops right after it anyway.
        self._closing = False
        self.tenures = 0

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="discord-gateway")

    async def stop(self) -> None:
        """Close the session and release the lease (idempotent)."""
        self._stopping = True
        self._fence.drop()
        task, self._task = self._task, None
        if task is None:
            return
        while not task.done():
            if not self._closing:
                task.cancel()
            await asyncio.wait({task}, timeout=STOP_RECANCEL)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    @property
    def holding(self) -> bool:
        return self._fence.holds()

    @property
    def running(self) -> bool:
        """False before start, after stop, and after a fatal error (bad token)."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        failures = 0
        while not self._stop_requested():
            tenure = await self._try_acquire()
            if tenure is None:
                await asyncio.sleep(self._standby_poll)
                continue
            if self._stop_requested():  # a cancellation was lost; stop() is waiting
                await self._release(tenure)
                return
            self.tenures += 1
            grant = tenure.grant
            log.info("holding discord shard %s (fencing token %s)", grant.name, grant.fencing_token)
            try:
                ending = await self._hold(tenure)
            finally:
                self._closing = True
                self._fence.drop()
                await self._release(tenure)
                self._closing = False
            if ending is Ending.FATAL:
                return
            failures = failures + 1 if ending is Ending.FAILED else 0
            if failures:
                await asyncio.sleep(min(self._standby_poll * 2 ** (failures - 1), MAX_BACKOFF))

    async def _try_acquire(self) -> Tenure | None:
        tenure = await take(self._lease, what=self._what)
        if tenure is not None and not self._stopping:
            self._fence.hold(tenure)
        return tenure

    async def _hold(self, tenure: Tenure) -> Ending:
        client = self._new_client()
        session = asyncio.create_task(client.start(self._token), name="discord-session")
        keeper = asyncio.create_task(
            keep(tenure, every=self._renew_every, what=self._what), name="discord-lease"
        )
        try:
            await asyncio.wait({session, keeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Closing and the fence (so the tenure) dropped first: should the keeper lose its
            # cancellation inside a renewal, it neither re-arms the fence nor renews again.
            self._closing = True
            self._fence.drop()
            keeper.cancel()
            await _settle(client, session, keeper)
        return _ending_of(session)

    def _stop_requested(self) -> bool:
        return self._stopping

    async def _release(self, tenure: Tenure) -> None:
        await give_up(tenure, what=self._what)


async def _settle(client: SessionClient, *tasks: asyncio.Task[None]) -> None:
    """Close the client, give its session and the keeper a moment to finish, then cancel
    whatever is left until it has finished (see the module doc)."""
    try:
        await client.close()
    except Exception:
        log.exception("closing the discord client failed")
    await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT_SECONDS)
    await cancel_and_wait(*tasks, every=CHILD_RECANCEL)


def _ending_of(session: asyncio.Task[None]) -> Ending:
    """Why the (finished) session ended."""
    if session.cancelled():
        return Ending.LOST
    exc = session.exception()
    if exc is None:
        return Ending.LOST
    if isinstance(exc, discord.LoginFailure):
        log.error("Discord rejected DISCORD_TOKEN; the Discord adapter stops")
        return Ending.FATAL
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        log.error(
            "Discord refused the Message Content intent needed by the command prefix; enable it "
            "for the bot in the Developer Portal or remove the prefix. The adapter stops."
        )
        return Ending.FATAL
    log.warning("discord gateway session failed: %r", exc)
    return Ending.FAILED
