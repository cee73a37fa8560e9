"""The Prometheus adapter's bound on calls in flight, against a local fake Prometheus that
holds every query until the test lets it go: never more than ``max_concurrency`` reach the
server, the rest wait their turn (or are told the bot is busy), and the readiness ping never
queues behind questions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.metrics.prometheus import PrometheusMetricsSource
from bot.core.errors import BUSY_MESSAGE, Overloaded

VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}


class GatedPrometheus:
    """Answers queries once :attr:`gate` opens; ``-/ready`` at once. Counts queries in flight."""

    def __init__(self, full_at: int) -> None:
        self.gate = asyncio.Event()
        self.full = asyncio.Event()
        self._full_at = full_at
        self.in_flight = 0
        self.most = 0
        self.queries = 0

    async def query(self, _: web.Request) -> web.Response:
        self.queries += 1
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self._full_at:
            self.full.set()
        try:
            await self.gate.wait()
        finally:
            self.in_flight -= 1
        return web.json_response(VECTOR)

    async def ready(self, _: web.Request) -> web.Response:
        return web.Response(text="Prometheus Server is Ready.\n")


@pytest.fixture
async def gated() -> AsyncIterator[tuple[GatedPrometheus, str]]:
    prometheus = GatedPrometheus(full_at=3)
    app = web.Application()
    app.router.add_post("/api/v1/query", prometheus.query)
    app.router.add_get("/-/ready", prometheus.ready)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield prometheus, str(server.make_url("")).rstrip("/")
    prometheus.gate.set()
    await server.close()


async def test_never_more_than_max_concurrency_queries_reach_prometheus(
    gated: tuple[GatedPrometheus, str],
) -> None:
    """Ten questions, three slots: three reach Prometheus, seven wait in the bot; when
    Prometheus answers, the waiting ones follow and every question gets its answer."""
    prometheus, url = gated
    source = PrometheusMetricsSource(url, timeout=30, max_concurrency=3, queue_seconds=60)
    try:
        asks = [asyncio.create_task(source.query("up")) for _ in range(10)]
        await prometheus.full.wait()
        assert (source.limit.in_use, source.limit.waiting) == (3, 7)
        assert prometheus.queries == 3
        prometheus.gate.set()
        answers = await asyncio.gather(*asks)
    finally:
        await source.aclose()
    assert answers == [[]] * 10
    assert (prometheus.most, prometheus.queries) == (3, 10)


async def test_no_slot_within_the_queue_wait_is_busy_and_reaches_no_prometheus(
    gated: tuple[GatedPrometheus, str],
) -> None:
    """Every slot held by a query Prometheus is still working on: the next question is told
    the bot is busy, without being sent to Prometheus."""
    prometheus, url = gated
    source = PrometheusMetricsSource(url, timeout=30, max_concurrency=3, queue_seconds=0)
    try:
        held = [asyncio.create_task(source.query("up")) for _ in range(3)]
        await prometheus.full.wait()
        with pytest.raises(Overloaded) as caught:
            await source.query("up")
        assert caught.value.message == BUSY_MESSAGE
        assert prometheus.queries == 3
        prometheus.gate.set()
        await asyncio.gather(*held)
    finally:
        await source.aclose()


async def test_the_readiness_ping_does_not_queue_behind_questions(
    gated: tuple[GatedPrometheus, str],
) -> None:
    """Every question slot taken and none may wait: the ping still asks Prometheus, on its own
    lane and its own pooled connection, and finds it ready."""
    prometheus, url = gated
    source = PrometheusMetricsSource(url, timeout=5, max_concurrency=3, queue_seconds=0)
    try:
        held = [asyncio.create_task(source.query("up")) for _ in range(3)]
        await prometheus.full.wait()
        await source.ping()
        prometheus.gate.set()
        await asyncio.gather(*held)
    finally:
        await source.aclose()
