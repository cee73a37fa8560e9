"""``smartcloudops serve``: the one aiohttp server with every configured adapter on it.

The listening socket is bound before anything else is built, so a port that is taken fails
at once, in one line (:class:`ListenError`), and port 0 (any free port) is known, and
announced, from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
from typing import Final

from aiohttp import web

from bot.app.config import Settings
from bot.app.server import build_web_app
from bot.app.services import open_services
from bot.core.errors import SmartCloudOpsError

log = logging.getLogger(__name__)


class ListenError(SmartCloudOpsError):
    """The server cannot listen where it was asked to (port taken, not allowed, ...)."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise ListenError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.setblocking(False)
    return sock


YOUNG_COLLECTION_EVERY: Final = 5_000
"""Allocations between two collections of the youngest generation (Python's default: 700).
20,000 saved a little more CPU but held more memory: RSS grew 12.7 % in a compressed soak,
against 8.1 % at 5,000 and 6.4 % with neither change (``bench/RESULTS_SLACK.md``)."""


def settle_heap() -> None:
    """Once the server is up: move everything built at start-up (the libraries, the parser's
    tables, the classifier's weights: some hundreds of thousands of objects that live as
    long as the process) out of the cyclic garbage collector's sight (``gc.freeze``), and
    collect the young generation less often. A full collection no longer walks the whole
    start-up heap (it paused the loop for ~50 ms, the p99 ack), and the collector's share of
    a command's CPU drops (``bench/RESULTS_SLACK.md``). Reference counting still frees
    almost everything at once; only cycles wait a little longer."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, older, oldest)


async def serve(settings: Settings, port: int, *, host: str = "0.0.0.0") -> None:  # noqa: S104
    """Serve until SIGINT/SIGTERM, then close every client cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    with listen(host, port) as sock:
        async with open_services(settings) as services:
            app = build_web_app(services.telemetry, services.checks, services.web_plugins)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.SockSite(runner, sock).start()
            settle_heap()
            log.warning("SmartCloudOps serving on %s:%d (metrics: %s)", host,
                        sock.getsockname()[1], services.metrics.description)  # fmt: skip
            try:
                await stop.wait()
            finally:
                await runner.cleanup()
