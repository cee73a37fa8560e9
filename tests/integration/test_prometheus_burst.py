"""A burst of questions above the bot's Prometheus bound, asked through the real parser and
dispatcher of the harness's real Prometheus, with a small proxy in front that holds or delays
each request: the overflow is told the bot is busy, and Prometheus is blamed only when it
really did not answer in time."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry

from adapters.metrics.prometheus import PrometheusMetricsSource
from bot.app.config import Settings
from bot.app.registry import build_registry
from bot.core.admission import Admission
from bot.core.dispatcher import Dispatcher
from bot.core.errors import BUSY_MESSAGE
from bot.core.model import IncomingMessage, Reply
from bot.core.ports import IntentParserPort
from bot.core.telemetry import Telemetry
from bot.features.metrics.targets import TargetDirectory
from ml.anomaly import AnomalyService
from ml.forecast.service import ForecastService
from storage.memory import InMemoryContextStore
from tests.harness.prometheus import PrometheusServer

pytestmark = pytest.mark.integration

#: More questions than aiohttp's default pool of 100 connections, where the bug was.
BURST = 150
#: How long the test waits for the overflow's answers before looking at what it has (only a
#: failing bot gets anywhere near it).
PATIENCE_SECONDS = 15.0


class SlowProxy:
    """Forwards every request to Prometheus once :attr:`gate` is open and ``delay`` seconds
    have passed; counts the requests it holds."""

    def __init__(self, upstream: str, *, delay: float = 0.0) -> None:
        self.upstream = upstream
        self.delay = delay
        self.gate = asyncio.Event()
        self.held = 0
        self.most = 0
        self.received = 0
        self._changed = asyncio.Condition()
        self._client: aiohttp.ClientSession | None = None

    async def wait_held(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.held >= count)

    async def handle(self, request: web.Request) -> web.Response:
        async with self._changed:
            self.received += 1
            self.held += 1
            self.most = max(self.most, self.held)
            self._changed.notify_all()
        try:
            await self.gate.wait()
            await asyncio.sleep(self.delay)
            return await self._forward(request)
        finally:
            self.held -= 1

    async def _forward(self, request: web.Request) -> web.Response:
        if self._client is None:
            self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        async with self._client.request(
            request.method,
            self.upstream + request.path,
            params=request.query,
            data=await request.read(),
            headers={"Content-Type": request.headers.get("Content-Type", "")},
        ) as upstream:
            body = await upstream.read()
            return web.Response(status=upstream.status, body=body, headers={
                "Content-Type": upstream.headers.get("Content-Type", "application/json")
            })  # fmt: skip

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


@pytest.fixture
async def proxy(prometheus_server: PrometheusServer) -> AsyncIterator[tuple[SlowProxy, str]]:
    slow = SlowProxy(prometheus_server.url)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield slow, str(server.make_url("")).rstrip("/")
    slow.gate.set()
    await server.close()
    await slow.aclose()


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    from ml.intent_classifier import build_parser

    return build_parser()


class Bot:
    """The real registry and dispatcher over ``source``."""

    def __init__(self, parser: IntentParserPort, source: PrometheusMetricsSource) -> None:
        registry = build_registry(
            settings=Settings(),
            metrics=source,
            alerts=source,
            directory=TargetDirectory(source),
            anomaly=AnomalyService(),
            forecaster=ForecastService(),
        )
        self.telemetry = Telemetry(CollectorRegistry())
        roomy = Admission.bounded(max_turns=BURST, max_heavy=BURST)  # the bound under test is
        self.dispatcher = Dispatcher(  # Prometheus', not the bot's own lanes
            parser, InMemoryContextStore(), registry, self.telemetry, admission=roomy
        )

    def ask(self, count: int, text: str = "promql up") -> list[asyncio.Task[Reply]]:
        """``count`` people asking ``text`` at once."""
        return [
            asyncio.create_task(
                self.dispatcher.handle(IncomingMessage("test", "T", "C", f"U{n}", "ann", text))
            )
            for n in range(count)
        ]


def kinds(replies: Iterable[Reply], proxy_url: str) -> Counter[str]:
    """Each reply as ``answer``, ``busy``, ``prometheus timeout`` or its own text."""
    host = proxy_url.removeprefix("http://")
    found: Counter[str] = Counter()
    for reply in replies:
        if reply.title == "PromQL":
            found["answer"] += 1
        elif reply.text == BUSY_MESSAGE:
            found["busy"] += 1
        elif reply.text.startswith(f"Prometheus at {host} did not answer within"):
            found["prometheus timeout"] += 1
        else:
            found[reply.text] += 1
    return found


async def first_done(tasks: list[asyncio.Task[Reply]], count: int) -> None:
    """Until ``count`` of ``tasks`` have finished (or the test's patience runs out)."""
    pending = set(tasks)
    try:
        async with asyncio.timeout(PATIENCE_SECONDS):
            while len(tasks) - len(pending) < count:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    except TimeoutError:
        return


async def test_a_burst_above_the_bound_is_told_busy_and_prometheus_is_not_blamed(
    parser: IntentParserPort, proxy: tuple[SlowProxy, str]
) -> None:
    """150 questions at once, 4 slots, Prometheus answering only when the test says so: 4
    questions reach it and get their answer; the other 146 are told at once that the bot is
    busy; no reply and no metric blames Prometheus, and it never saw more than 4 queries."""
    slow, url = proxy
    source = PrometheusMetricsSource(url, timeout=5, max_concurrency=4, queue_seconds=0.2)
    try:
        bot = Bot(parser, source)
        asks = bot.ask(BURST)
        await slow.wait_held(4)
        await first_done(asks, BURST - 4)
        slow.gate.set()
        replies = await asyncio.gather(*asks)
    finally:
        await source.aclose()
    assert kinds(replies, url) == {"answer": 4, "busy": BURST - 4}
    assert (slow.received, slow.most) == (4, 4)
    registry = bot.telemetry.registry
    failures = {"dependency": "prometheus"}
    assert not registry.get_sample_value("smartcloudops_dependency_failures_total", failures)
    busy = {"platform": "test", "kind": "busy"}
    assert registry.get_sample_value("smartcloudops_errors_total", busy) == BURST - 4


async def test_a_slow_prometheus_is_blamed_and_only_for_the_questions_it_had(
    parser: IntentParserPort, proxy: tuple[SlowProxy, str]
) -> None:
    """Prometheus never answers: the 2 questions holding a slot time out and blame it; the
    4 that found no slot are told the bot is busy."""
    slow, url = proxy
    source = PrometheusMetricsSource(url, timeout=1, max_concurrency=2, queue_seconds=0.2)
    try:
        replies = await asyncio.gather(*Bot(parser, source).ask(6))
    finally:
        await source.aclose()
    assert kinds(replies, url) == {"prometheus timeout": 2, "busy": 4}
    assert slow.received == 2


async def test_the_prometheus_timeout_starts_when_a_slot_is_held(
    parser: IntentParserPort, proxy: tuple[SlowProxy, str]
) -> None:
    """Prometheus takes 1 s a query and the bot allows 2 at once: 6 questions come back in
    three waves over ~3 s, longer than the 2.5 s timeout, and every one is answered, because
    each is timed from its slot, not from when it was asked."""
    slow, url = proxy
    slow.delay = 1.0
    slow.gate.set()
    source = PrometheusMetricsSource(url, timeout=2.5, max_concurrency=2, queue_seconds=30)
    try:
        replies = await asyncio.gather(*Bot(parser, source).ask(6))
    finally:
        await source.aclose()
    assert kinds(replies, url) == {"answer": 6}
    assert (slow.received, slow.most) == (6, 2)
