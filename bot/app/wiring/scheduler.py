"""The scheduler on the server: its jobs run for as long as ``smartcloudops serve`` does."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.app.plugins import WebPlugin
from bot.features.scheduler.runner import Scheduler

SCHEDULER_KEY = web.AppKey("scheduler", Scheduler)


def scheduler_plugin(scheduler: Scheduler) -> WebPlugin:
    """A plugin that runs ``scheduler`` for the server's lifetime."""

    async def run_jobs(_: web.Application) -> AsyncIterator[None]:
        scheduler.start()
        yield
        await scheduler.stop()

    def mount(app: web.Application) -> None:
        app[SCHEDULER_KEY] = scheduler
        app.cleanup_ctx.append(run_jobs)

    return mount
