"""The server as ``serve`` builds it, over a real Redis that is stopped and started again:
``smartcloudops_dependency_up{dependency="redis"}`` follows it, 1 -> 0 -> 1, with nothing
probing ``/readyz``, and the background checker stops with the server."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app.config import FileSettings, Settings
from bot.app.monitor import MONITOR_KEY
from bot.app.server import build_web_app
from bot.app.services import open_services
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration


async def redis_up(client: TestClient[web.Request, web.Application]) -> str:
    """The gauge's line for Redis, as ``/metrics`` shows it after the next check."""
    await client.app[MONITOR_KEY].next_round()
    text = await (await client.get("/metrics")).text()
    return next(
        line for line in text.splitlines() if line.startswith("smartcloudops_dependency_up")
    )


async def test_the_redis_gauge_follows_redis_without_readiness_probes(
    private_redis_server: RedisServer,
) -> None:
    """Redis up: 1. Stopped: 0. Started again: 1. The checker is gone after shutdown."""
    settings = Settings(
        redis_url=private_redis_server.url,
        file=FileSettings(dependency_check_interval_seconds=1),
    )
    async with open_services(settings) as services:
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        async with TestClient(TestServer(app)) as client:
            assert await redis_up(client) == 'smartcloudops_dependency_up{dependency="redis"} 1.0'
            private_redis_server.stop()
            assert await redis_up(client) == 'smartcloudops_dependency_up{dependency="redis"} 0.0'
            private_redis_server.start()
            assert await redis_up(client) == 'smartcloudops_dependency_up{dependency="redis"} 1.0'
            monitor = client.app[MONITOR_KEY]
            assert monitor.running
        assert not monitor.running
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "dependency-monitor"]
