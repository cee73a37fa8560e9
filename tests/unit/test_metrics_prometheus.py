"""The Prometheus adapter against a local fake that speaks the Prometheus HTTP API: answers
are parsed into the port's types and every failure becomes the right, safe error."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.metrics.prometheus import PrometheusMetricsSource
from adapters.metrics.promql_catalog import PROMETHEUS_TEMPLATES, render
from bot.core.errors import ConfigError, DependencyError, InvalidInput
from bot.features.metrics.ports import TargetRef, Window
from tests.harness.require import free_port

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakePrometheus:
    """A fake server: each path answers with the handler set for it; requests are recorded."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str], str | None]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        form = dict(await request.post()) if request.method == "POST" else dict(request.query)
        values = {k: str(v) for k, v in form.items()}
        self.seen.append((request.path, values, request.headers.get("Authorization")))
        route = self.routes.get(request.path)
        if route is None:
            return web.json_response({"status": "error", "errorType": "not_found"}, status=404)
        return await route(request)


def answer(data: Any, status: int = 200) -> Route:
    async def route(_: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "success", "data": data}, status=status)

    return route


def failure(status: int, kind: str, error: str) -> Route:
    async def route(_: web.Request) -> web.StreamResponse:
        body = {"status": "error", "errorType": kind, "error": error}
        return web.json_response(body, status=status)

    return route


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakePrometheus, str]]:
    prometheus = FakePrometheus()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", prometheus.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield prometheus, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def source(fake: tuple[FakePrometheus, str]) -> AsyncIterator[PrometheusMetricsSource]:
    metrics = PrometheusMetricsSource(fake[1], timeout=0.5)
    yield metrics
    await metrics.aclose()


async def test_instant_vector_becomes_samples(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """A vector result maps to samples; the query and a timeout go in a POST form."""
    prometheus, _ = fake
    prometheus.routes["/api/v1/query"] = answer(
        {
            "resultType": "vector",
            "result": [
                {"metric": {"__name__": "up", "job": "node"}, "value": [1700000000.5, "1"]},
                {"metric": {"job": "x"}, "value": [1700000000.5, "NaN"]},
            ],
        }
    )
    samples = await source.query("up")
    assert [(dict(s.labels), s.value, s.timestamp) for s in samples[:1]] == [
        ({"__name__": "up", "job": "node"}, 1.0, 1700000000.5)
    ]
    assert samples[1].value != samples[1].value  # NaN survives as NaN
    assert prometheus.seen[-1][:2] == ("/api/v1/query", {"query": "up", "timeout": "500ms"})


async def test_scalar_result_is_one_unlabelled_sample(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """``1+1`` answers as a scalar: one sample without labels."""
    fake[0].routes["/api/v1/query"] = answer({"resultType": "scalar", "result": [1.5, "2"]})
    [sample] = await source.query("1+1")
    assert (dict(sample.labels), sample.value, sample.timestamp) == ({}, 2.0, 1.5)


async def test_matrix_result_becomes_series(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """A range query returns time-ordered series and sends start, end and step."""
    prometheus, _ = fake
    prometheus.routes["/api/v1/query_range"] = answer(
        {
            "resultType": "matrix",
            "result": [{"metric": {"instance": "a:1"}, "values": [[10, "1.5"], [20, "2.5"]]}],
        }
    )
    [series] = await source.query_range("up", Window(10, 20, 10))
    assert (series.timestamps, series.values) == ((10.0, 20.0), (1.5, 2.5))
    sent = prometheus.seen[-1][1]
    assert (sent["start"], sent["end"], sent["step"]) == ("10", "20", "10")


async def test_targets_and_alerts_are_parsed(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """Targets carry health and last error; alerts carry severity, summary and activeAt."""
    prometheus, _ = fake
    prometheus.routes["/api/v1/targets"] = answer(
        {
            "activeTargets": [
                {"labels": {"instance": "web-2:9100", "job": "node"}, "health": "down",
                 "lastError": "connection refused"},
                {"labels": {"instance": "new:9100", "job": "node"}, "health": "unknown",
                 "lastError": ""},
            ]
        }
    )  # fmt: skip
    prometheus.routes["/api/v1/alerts"] = answer(
        {
            "alerts": [
                {
                    "labels": {"alertname": "InstanceDown", "severity": "critical"},
                    "annotations": {"summary": "web-2 is down"},
                    "state": "firing",
                    "activeAt": "2023-11-14T22:13:20.123456789Z",
                }
            ]
        }
    )
    down, unknown = await source.targets()
    assert (down.name, down.job, down.up, down.last_error) == (
        "web-2:9100", "node", False, "connection refused"
    )  # fmt: skip
    assert (unknown.up, unknown.last_error) == (False, "not scraped yet")
    [alert] = await source.alerts()
    assert (alert.name, alert.severity, alert.state, alert.summary) == (
        "InstanceDown", "critical", "firing", "web-2 is down"
    )  # fmt: skip
    assert alert.starts_at == pytest.approx(1700000000.123456)


async def test_bad_promql_is_invalid_input_quoting_prometheus(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """HTTP 400 bad_data: the user's error, with Prometheus's words and a hint."""
    fake[0].routes["/api/v1/query"] = failure(
        400, "bad_data", 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis'
    )
    with pytest.raises(InvalidInput) as caught:
        await source.query("sum(")
    assert caught.value.message == (
        "Prometheus rejected the query: 1:5: parse error: unclosed left parenthesis"
    )
    assert caught.value.hint is not None
    assert "promql" in caught.value.hint


async def test_execution_error_is_invalid_input(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """HTTP 422 execution errors (e.g. many-to-many matching) are the user's to fix."""
    fake[0].routes["/api/v1/query"] = failure(422, "execution", "many-to-many matching")
    with pytest.raises(InvalidInput, match="could not run the query: many-to-many"):
        await source.query("a / b")


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (failure(503, "unavailable", "shutting down"), "failed with HTTP 503"),
        (failure(503, "timeout", "query timed out"), "did not finish the query within 0.5s"),
    ],
)
async def test_server_side_failures_are_dependency_errors(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource, route: Route, expected: str
) -> None:
    """Prometheus failing or timing out on its side is a dependency failure, not the user's."""
    fake[0].routes["/api/v1/query"] = route
    with pytest.raises(DependencyError, match=expected) as caught:
        await source.query("up")
    assert caught.value.dependency == "prometheus"


async def test_not_the_prometheus_api_is_a_dependency_error(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """A proxy's HTML page instead of the API says to check PROMETHEUS_URL."""

    async def html(_: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>Bad gateway</html>", status=502, content_type="text/html")

    fake[0].routes["/api/v1/query"] = html
    with pytest.raises(DependencyError, match=r"HTTP 502 .* check PROMETHEUS_URL"):
        await source.query("up")


async def test_slow_prometheus_times_out_within_the_bound(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """An answer slower than the timeout is abandoned at the timeout, with a clear notice."""

    async def slow(_: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response({})

    prometheus, url = fake
    prometheus.routes["/api/v1/query"] = slow
    started = time.monotonic()
    with pytest.raises(DependencyError) as caught:
        await source.query("up")
    assert time.monotonic() - started < 1.5
    host = url.removeprefix("http://")
    assert caught.value.message == f"Prometheus at {host} did not answer within 0.5s."


async def test_connection_refused_names_only_host_and_port() -> None:
    """Nothing listening: "did not answer (connection refused)", without the credentials."""
    port = free_port()
    source = PrometheusMetricsSource(f"http://bot:hunter2@127.0.0.1:{port}", timeout=1)
    try:
        with pytest.raises(DependencyError) as caught:
            await source.target_names()
    finally:
        await source.aclose()
    assert caught.value.message == (
        f"Prometheus at 127.0.0.1:{port} did not answer (connection refused)."
    )


async def test_credentials_in_the_url_are_sent_as_basic_auth(
    fake: tuple[FakePrometheus, str],
) -> None:
    """``user:password@`` in PROMETHEUS_URL becomes an Authorization header, not a URL part."""
    prometheus, url = fake
    prometheus.routes["/api/v1/label/job/values"] = answer(["node", "api"])
    source = PrometheusMetricsSource(
        url.replace("http://", "http://bot:hunter2@"), target_labels=("job",)
    )
    try:
        assert await source.target_names() == [TargetRef("api", "job"), TargetRef("node", "job")]
    finally:
        await source.aclose()
    assert prometheus.seen[-1][2] == "Basic Ym90Omh1bnRlcjI="


async def test_ping_needs_a_ready_prometheus(
    fake: tuple[FakePrometheus, str], source: PrometheusMetricsSource
) -> None:
    """``ping`` passes on 200 from ``/-/ready`` and raises on anything else."""

    async def ready(_: web.Request) -> web.StreamResponse:
        return web.Response(text="Prometheus Server is Ready.")

    prometheus, _ = fake
    prometheus.routes["/-/ready"] = ready
    await source.ping()
    del prometheus.routes["/-/ready"]
    with pytest.raises(DependencyError, match="not ready"):
        await source.ping()


async def test_catalog_overrides_replace_defaults_and_are_checked(
    fake: tuple[FakePrometheus, str],
) -> None:
    """Overrides replace one template and keep the rest; one without {selector} is refused."""
    prometheus, url = fake
    prometheus.routes["/api/v1/query_range"] = answer({"resultType": "matrix", "result": []})
    source = PrometheusMetricsSource(url, catalog_overrides={"cpu": "my_cpu{{selector}}"})
    try:
        cpu = await source.series("cpu", TargetRef("web-1", "job"), Window(0, 60, 15))
        memory = await source.series("memory", None, Window(0, 60, 15))
    finally:
        await source.aclose()
    assert cpu.asked == 'my_cpu{job="web-1"}'
    assert memory.asked == render(PROMETHEUS_TEMPLATES["memory"], None)
    with pytest.raises(ConfigError, match=r"catalog\.cpu: the template must contain \{selector\}"):
        PrometheusMetricsSource("http://127.0.0.1:9", catalog_overrides={"cpu": "my_cpu"})


def _vector(series: int) -> dict[str, Any]:
    return {
        "resultType": "vector",
        "result": [
            {"metric": {"job": "node", "instance": f"host-{i}:9100"}, "value": [1700000000, "1"]}
            for i in range(series)
        ],
    }


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_answer_over_the_byte_cap_is_refused(
    fake: tuple[FakePrometheus, str], chunked: bool
) -> None:
    """A body over ``max_bytes`` (announced or streamed) asks for a narrower expression."""
    prometheus, url = fake
    body = json.dumps({"status": "success", "data": _vector(20_000)}).encode()

    async def huge(request: web.Request) -> web.StreamResponse:
        if not chunked:
            return web.Response(body=body, content_type="application/json")
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(body), 32 * 1024):
            await response.write(body[start : start + 32 * 1024])
        await response.write_eof()
        return response

    prometheus.routes["/api/v1/query"] = huge
    prometheus.routes["/api/v1/query_range"] = huge
    source = PrometheusMetricsSource(url, timeout=5, max_bytes=256 * 1024)
    try:
        with pytest.raises(InvalidInput) as caught:
            await source.query('{__name__=~".+"}')
        assert caught.value.message == (
            "The answer is too large (more than 0.25 MB); narrow the expression, "
            "e.g. add a label filter or topk."
        )
        with pytest.raises(InvalidInput, match="too large"):
            await source.query_range("up", Window(0, 60, 15))
    finally:
        await source.aclose()


async def test_a_large_answer_is_decoded_off_the_event_loop(
    fake: tuple[FakePrometheus, str],
    source: PrometheusMetricsSource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over 256 KiB (under the cap) the JSON is decoded in a worker thread; small answers on
    the loop. Both are parsed in full."""
    threads: list[bool] = []
    loads = json.loads

    def recording(raw: str | bytes) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return loads(raw)

    monkeypatch.setattr(json, "loads", recording)
    prometheus, _ = fake
    prometheus.routes["/api/v1/query"] = answer(_vector(5_000))
    assert len(await source.query("up")) == 5_000
    prometheus.routes["/api/v1/query"] = answer(_vector(2))
    assert len(await source.query("up")) == 2
    assert threads == [False, True]
