"""``smartcloudops serve``: the one aiohttp server with every configured adapter on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from bot.app import open_services
from bot.config import Settings
from bot.server import build_web_app

log = logging.getLogger(__name__)


async def serve(settings: Settings, port: int, *, host: str = "0.0.0.0") -> None:  # noqa: S104
    """Serve until SIGINT/SIGTERM, then close every client cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with open_services(settings) as services:
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        log.warning("SmartCloudOps serving on %s:%d (metrics: %s)", host, port,
                    services.metrics.description)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
