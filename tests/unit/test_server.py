"""The bot's HTTP server: health, readiness with each dependency's state, metrics, plugins."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from bot.app import server
from bot.app.server import DependencyCheck, WebPlugin, build_web_app
from bot.core.dispatcher import Dispatcher
from bot.core.errors import DependencyError
from bot.core.model import IncomingMessage, Reply
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.telemetry import Telemetry
from intents.model import Intent, Turn
from storage.memory import InMemoryContextStore


@contextlib.asynccontextmanager
async def serve(
    telemetry: Telemetry,
    checks: Sequence[DependencyCheck] = (),
    plugins: Sequence[WebPlugin] = (),
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A real HTTP server on a loopback port and a client for it."""
    app = build_web_app(telemetry, checks, plugins)
    async with TestClient(TestServer(app)) as client:
        yield client


async def answers() -> None:
    """A dependency that is fine."""


async def redis_down() -> None:
    raise DependencyError("redis", "Redis is unreachable")


async def broken() -> None:
    raise RuntimeError("postgres://admin:hunter2@db/prod refused")


async def hangs() -> None:
    await asyncio.sleep(60)


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry(CollectorRegistry())


async def test_healthz_is_ok(telemetry: Telemetry) -> None:
    """``/healthz`` answers 200 ``{"status": "ok"}`` while the process serves."""
    async with serve(telemetry, [DependencyCheck("redis", redis_down)]) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_every_dependency_answers(telemetry: Telemetry) -> None:
    """All checks pass: 200 with every dependency listed as ok."""
    checks = [DependencyCheck("redis", answers), DependencyCheck("prometheus", answers)]
    async with serve(telemetry, checks) as client:
        response = await client.get("/readyz")
        assert response.status == 200
        assert await response.json() == {
            "status": "ready",
            "dependencies": {"redis": "ok", "prometheus": "ok"},
        }


async def test_readyz_without_dependencies_is_ready(telemetry: Telemetry) -> None:
    """The embedded defaults have nothing to check: ready."""
    async with serve(telemetry) as client:
        response = await client.get("/readyz")
        assert response.status == 200
        assert await response.json() == {"status": "ready", "dependencies": {}}


async def test_readyz_is_503_with_each_dependency_state(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One dependency down: 503, and the body says which one and why, without secrets."""
    monkeypatch.setattr(server, "READINESS_TIMEOUT_SECONDS", 0.2)
    checks = [
        DependencyCheck("prometheus", answers),
        DependencyCheck("redis", redis_down),
        DependencyCheck("database", broken),
        DependencyCheck("alertmanager", hangs),
    ]
    async with serve(telemetry, checks) as client:
        response = await client.get("/readyz")
        body = await response.json()
    assert response.status == 503
    assert body["status"] == "not ready"
    states = body["dependencies"]
    assert states["prometheus"] == "ok"
    assert states["redis"] == "down: Redis is unreachable"
    assert states["database"] == "down: RuntimeError"
    assert states["alertmanager"].startswith("down: no answer within")
    assert "hunter2" not in str(body)


async def test_readyz_serving_scope_ignores_upstreams_that_only_degrade_answers(
    telemetry: Telemetry,
) -> None:
    """``/readyz?scope=serving`` (the Kubernetes readiness probe) stays 200 while Redis is down,
    and is 503 when the database the actions need is down; plain ``/readyz`` still reports
    every dependency."""
    upstream_down = [
        DependencyCheck("redis", redis_down),
        DependencyCheck("database", answers, serving=True),
    ]
    async with serve(telemetry, upstream_down) as client:
        serving = await client.get("/readyz?scope=serving")
        assert serving.status == 200
        assert await serving.json() == {"status": "ready", "dependencies": {"database": "ok"}}
        assert (await client.get("/readyz")).status == 503
    database_down = [
        DependencyCheck("redis", answers),
        DependencyCheck("database", broken, serving=True),
    ]
    async with serve(telemetry, database_down) as client:
        serving = await client.get("/readyz?scope=serving")
        assert serving.status == 503
        assert (await serving.json())["dependencies"] == {"database": "down: RuntimeError"}


async def test_readyz_refuses_an_unknown_scope(telemetry: Telemetry) -> None:
    async with serve(telemetry) as client:
        response = await client.get("/readyz?scope=everything")
        assert response.status == 400
        assert "serving" in (await response.json())["error"]


async def test_readyz_records_dependency_state_in_metrics(telemetry: Telemetry) -> None:
    """Each readiness check sets ``smartcloudops_dependency_up`` and counts failures."""
    checks = [DependencyCheck("prometheus", answers), DependencyCheck("redis", redis_down)]
    async with serve(telemetry, checks) as client:
        await client.get("/readyz")
        text = await (await client.get("/metrics")).text()
    assert 'smartcloudops_dependency_up{dependency="prometheus"} 1.0' in text
    assert 'smartcloudops_dependency_up{dependency="redis"} 0.0' in text
    assert 'smartcloudops_dependency_failures_total{dependency="redis"} 1.0' in text


class OneIntentParser:
    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        return Intent("status", 0.9)


async def status(_: Request) -> Reply:
    return Reply(text="all up")


async def test_metrics_expose_handled_messages(telemetry: Telemetry) -> None:
    """After a message is handled ``/metrics`` shows it by platform and intent, with latency."""
    registry = Registry([HandlerSpec("status", "status", "what is up", ("status",), status)])
    dispatcher = Dispatcher(OneIntentParser(), InMemoryContextStore(), registry, telemetry)
    await dispatcher.handle(IncomingMessage("slack", "T1", "C1", "U1", "alice", "what's down?"))
    async with serve(telemetry) as client:
        response = await client.get("/metrics")
        text = await response.text()
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert 'smartcloudops_messages_total{intent="status",platform="slack"} 1.0' in text
    assert 'smartcloudops_handling_seconds_count{intent="status",platform="slack"} 1.0' in text
    assert "# TYPE smartcloudops_errors_total counter" in text


async def test_default_telemetry_exposes_process_metrics() -> None:
    """A bot's own registry carries the usual process metrics for dashboards."""
    async with serve(Telemetry()) as client:
        text = await (await client.get("/metrics")).text()
    assert "process_cpu_seconds_total" in text
    assert "python_info" in text


async def test_plugins_mount_their_routes(telemetry: Telemetry) -> None:
    """A web plugin's routes are served next to the built-in ones."""

    async def pong(_: web.Request) -> web.Response:
        return web.Response(text="pong")

    def plugin(app: web.Application) -> None:
        app.router.add_post("/plugin/ping", pong)

    async with serve(telemetry, plugins=[plugin]) as client:
        response = await client.post("/plugin/ping")
        assert (response.status, await response.text()) == (200, "pong")
        assert (await client.get("/nowhere")).status == 404
