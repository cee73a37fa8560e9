"""``/readyz`` against a real Redis: ready while it answers, 503 naming it while it is down,
ready again when it returns, all without restarting the server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from bot.app.server import DependencyCheck, build_web_app
from bot.core.telemetry import Telemetry
from storage.redis_context import RedisContextStore
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(
    private_redis_server: RedisServer,
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    store = RedisContextStore.from_url(private_redis_server.url)
    app = build_web_app(Telemetry(CollectorRegistry()), [DependencyCheck("redis", store.ping)])
    async with TestClient(TestServer(app)) as client:
        yield client
    await store.aclose()


async def test_readyz_follows_redis(
    client: TestClient[web.Request, web.Application], private_redis_server: RedisServer
) -> None:
    """Redis up: 200. Redis stopped: 503 with ``redis`` down. Redis back: 200 again."""
    response = await client.get("/readyz")
    assert (response.status, await response.json()) == (
        200,
        {"status": "ready", "dependencies": {"redis": "ok"}},
    )

    private_redis_server.stop()
    response = await client.get("/readyz")
    assert response.status == 503
    assert await response.json() == {
        "status": "not ready",
        "dependencies": {"redis": "down: Redis is unreachable"},
    }
    assert (await client.get("/healthz")).status == 200
    # The readiness probe's scope: Redis only degrades answers, so the replica stays in.
    assert (await client.get("/readyz?scope=serving")).status == 200
    metrics = await (await client.get("/metrics")).text()
    assert 'smartcloudops_dependency_up{dependency="redis"} 0.0' in metrics

    private_redis_server.start()
    assert (await client.get("/readyz")).status == 200
