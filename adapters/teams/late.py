"""Clicks whose answer outlasts the invoke.

Teams waits about 5 seconds for the answer to an ``adaptiveCard/action`` invoke, then shows
the clicker an error and retries; an approval that runs a restart, or an anomaly question,
can take longer. :class:`LateClicks` runs each click's answer (the Responder, through an
:class:`~adapters.teams.outgoing.ActionOutbox`) as a task and waits for it up to
``deadline`` seconds (:data:`INVOKE_DEADLINE_SECONDS` by default, well inside Teams' limit):

- answered by then, the invoke carries the clicker's card, as before;
- otherwise the invoke is answered at once with "<name> chose X. Working on it…" and the
  task goes on; the outbox then brings the answer to the clicker another way (see
  :mod:`adapters.teams.outgoing`).

A retry of the same invoke (same conversation and activity id) while its answer is still
running is answered with the same card and runs nothing; once it has finished, the
Responder's dedupe skips it. A late answer that fails is logged with the turn's correlation
id. :meth:`LateClicks.drain` (server shutdown) waits for the answers still running, then
cancels what is left, saying so in the log.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine
from typing import Any

from adapters.teams.outgoing import ActionOutbox
from adapters.teams.render import Element
from bot.core.correlation import correlated
from bot.core.responder import Timer

log = logging.getLogger(__name__)

#: How long a click's answer may take before its invoke is answered with "Working on it…".
INVOKE_DEADLINE_SECONDS = 3.5
#: Teams' own limit: answered later, the clicker sees an error (and the invoke is retried).
TEAMS_INVOKE_LIMIT_SECONDS = 5.0
#: How long shutdown waits for late answers before cancelling them.
DRAIN_SECONDS = 30.0


class LateClicks:
    """Runs clicks' answers against the invoke deadline; keeps the late ones running."""

    def __init__(
        self,
        *,
        deadline: float = INVOKE_DEADLINE_SECONDS,
        timer: Timer = asyncio.sleep,
        drain_seconds: float = DRAIN_SECONDS,
    ) -> None:
        self._deadline = deadline
        self._timer = timer
        self._drain_seconds = drain_seconds
        self._running: dict[str, ActionOutbox] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def running(self, key: str | None) -> ActionOutbox | None:
        """The outbox of the click delivered as ``key`` whose answer is still running."""
        return self._running.get(key) if key is not None else None

    async def answer(
        self, key: str | None, outbox: ActionOutbox, work: Coroutine[Any, Any, object]
    ) -> Element | None:
        """Run ``work`` (answering through ``outbox``): the card to answer the invoke with,
        in by the deadline or "Working on it…", or None when ``work`` answered nothing (a
        repeated delivery). Raises what ``work`` raised if it failed before the deadline."""
        task = asyncio.create_task(self._run(work, outbox))
        self._tasks.add(task)
        if key is not None:
            self._running[key] = outbox
        task.add_done_callback(functools.partial(self._finished, key))
        due = asyncio.ensure_future(self._timer(self._deadline))
        try:
            await asyncio.wait({task, due}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            due.cancel()
            if not task.done():
                outbox.answer_now()
        if task.done():
            task.result()
        return outbox.response

    async def drain(self) -> None:
        """Wait up to ``drain_seconds`` for the answers still running, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._drain_seconds)
        if not pending:
            return
        log.warning("teams: cancelling %d click answer(s) still running at shutdown", len(pending))
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=self._drain_seconds)

    @staticmethod
    async def _run(work: Coroutine[Any, Any, object], outbox: ActionOutbox) -> None:
        with correlated():
            try:
                await work
            except Exception:
                if not outbox.late:
                    raise
                log.exception("teams: a click's answer failed after its invoke was answered")

    def _finished(self, key: str | None, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if key is not None:
            self._running.pop(key, None)
