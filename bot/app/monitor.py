"""The dependency monitor: while ``serve`` runs, every configured dependency is checked every
``interval`` seconds and ``smartcloudops_dependency_up`` kept current.

``/readyz`` records the same gauge, but only when something probes it: a deployment whose
readiness probe points elsewhere (or a replica out of the Service) would otherwise leave the
gauge, and the ``SmartCloudOpsDependencyDown`` alert on it, frozen at the last probe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence

from aiohttp import web

from bot.app.plugins import DependencyCheck, WebPlugin
from bot.app.server import check_dependencies
from bot.core.tasks import cancel_and_wait
from bot.core.telemetry import Telemetry

log = logging.getLogger(__name__)

_RECANCEL_SECONDS = 1.0


class DependencyMonitor:
    """Checks ``checks`` at once, every ``interval`` seconds, from :meth:`start` to :meth:`stop`."""

    def __init__(
        self, telemetry: Telemetry, checks: Sequence[DependencyCheck], *, interval: float
    ) -> None:
        self._telemetry = telemetry
        self._checks = checks
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._started = 0
        self._finished = 0
        self._last: dict[str, str] = {}
        self._round_done = asyncio.Condition()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def last(self) -> Mapping[str, str]:
        """Each dependency's state in the latest finished round (empty before the first)."""
        return dict(self._last)

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="dependency-monitor")

    async def stop(self) -> None:
        """Stop checking; a check in progress is cancelled, not waited out."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task, every=_RECANCEL_SECONDS)

    async def next_round(self) -> Mapping[str, str]:
        """The states found by the first round that starts after this call (so a change made
        before the call is seen)."""
        wanted = self._started + 1
        async with self._round_done:
            await self._round_done.wait_for(lambda: self._finished >= wanted)
        return self.last

    async def check_once(self) -> Mapping[str, str]:
        """One round: every check at once, the gauge updated, the states returned."""
        self._started += 1
        number = self._started
        states = await check_dependencies(self._telemetry, self._checks)
        self._log_changes(states)
        async with self._round_done:
            self._last, self._finished = states, max(self._finished, number)
            self._round_done.notify_all()
        return states

    def _log_changes(self, states: Mapping[str, str]) -> None:
        """One line when a dependency goes down or comes back, not one per round."""
        for name, state in states.items():
            before = self._last.get(name, "ok")
            if state != "ok" and before == "ok":
                log.warning("dependency %s is down: %s", name, state.removeprefix("down: "))
            elif state == "ok" and before != "ok":
                log.warning("dependency %s is back", name)

    async def _run(self) -> None:
        while True:
            await self.check_once()
            await asyncio.sleep(self.interval)


MONITOR_KEY = web.AppKey("dependency_monitor", DependencyMonitor)


def monitor_plugin(monitor: DependencyMonitor) -> WebPlugin:
    """A plugin that runs ``monitor`` for the server's lifetime."""

    async def run_monitor(_: web.Application) -> AsyncIterator[None]:
        monitor.start()
        yield
        await monitor.stop()

    def mount(app: web.Application) -> None:
        app[MONITOR_KEY] = monitor
        app.cleanup_ctx.append(run_monitor)

    return mount
