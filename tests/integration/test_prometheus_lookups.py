"""The chat questions of the issue, answered from a real Prometheus loaded with known history
(see ``tests/harness/prometheus.py``), through the real parser and dispatcher."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.prometheus import PrometheusMetricsSource
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.errors import DependencyError
from bot.handlers.metrics import metric_specs
from bot.model import IncomingMessage, Reply
from bot.ports import IntentParserPort
from bot.registry import Registry
from bot.telemetry import Telemetry
from storage.memory import InMemoryContextStore
from tests.harness.prometheus import EXPECTED, PrometheusServer
from tests.harness.require import free_port

pytestmark = pytest.mark.integration


class Chat:
    """One user talking to a dispatcher wired to ``source``."""

    def __init__(self, parser: IntentParserPort, source: PrometheusMetricsSource) -> None:
        registry = Registry(metric_specs(source, Settings()))
        self.dispatcher = Dispatcher(
            parser, InMemoryContextStore(), registry, Telemetry(CollectorRegistry())
        )

    async def say(self, text: str) -> Reply:
        return await self.dispatcher.handle(IncomingMessage("test", "T", "C", "U", "ann", text))


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    """The bot's real parser (trained once per module)."""
    from ml.intent_classifier import build_parser

    return build_parser()


@pytest.fixture
async def source(prometheus_server: PrometheusServer) -> AsyncIterator[PrometheusMetricsSource]:
    metrics = PrometheusMetricsSource(prometheus_server.url, timeout=5.0)
    yield metrics
    await metrics.aclose()


@pytest.fixture
def chat(parser: IntentParserPort, source: PrometheusMetricsSource) -> Chat:
    return Chat(parser, source)


def field(reply: Reply, label: str) -> float:
    """The number in a field such as ``Now: 25 %`` (ms and s both read back as seconds)."""
    value = next(f.value for f in reply.fields if f.label == label)
    number = float(re.match(r"[-\d.]+", value).group())  # type: ignore[union-attr]
    return number / 1000 if value.endswith(" ms") else number


async def test_cpu_of_a_host_over_two_hours(chat: Chat) -> None:
    """ "cpu of web-1 over 2h": now/min/max from the history, a chart, and the source."""
    reply = await chat.say("cpu of web-1 over 2h")
    assert reply.title == "CPU · web-1 · last 2h"
    assert field(reply, "Now") == pytest.approx(EXPECTED["web-1 cpu %"], abs=1)
    assert field(reply, "Max") == pytest.approx(EXPECTED["web-1 cpu %"], abs=1)
    assert reply.charts[0].png.startswith(b"\x89PNG")
    assert reply.footer == "Source: Prometheus"


async def test_follow_up_asks_memory_of_the_same_host(chat: Chat) -> None:
    """ "and memory?" after the CPU question answers memory of web-1 over the same 2h."""
    await chat.say("cpu of web-1 over 2h")
    reply = await chat.say("and memory?")
    assert reply.title == "Memory · web-1 · last 2h"
    assert field(reply, "Now") == pytest.approx(EXPECTED["web-1 memory %"], abs=0.5)


async def test_incident_three_hours_ago_shows_in_a_six_hour_range(chat: Chat) -> None:
    """The checkout-api incident: p95 latency above 1 s then, back under 300 ms now."""
    reply = await chat.say("latency of checkout-api over the last 6h")
    assert field(reply, "Max") > 1.0
    assert field(reply, "Now") < 0.3
    errors = await chat.say("error rate of checkout-api over the last 6h")
    expected = EXPECTED["checkout-api error % during incident"]
    assert field(errors, "Max") == pytest.approx(expected, abs=0.5)


async def test_metric_without_target_ranks_every_host(chat: Chat) -> None:
    """ "disk" with no target lists every host, fullest first."""
    reply = await chat.say("disk")
    assert reply.table is not None
    assert [row[0] for row in reply.table.rows] == ["db-primary", "web-1", "web-2"]
    assert reply.table.rows[0][1] == f"{EXPECTED['db-primary disk %']:.0f} %"


async def test_whats_down_names_the_dead_target(
    chat: Chat, prometheus_server: PrometheusServer
) -> None:
    """ "what's down?" lists the dead scrape target with its error, then the count up."""
    reply = await chat.say("what's down?")
    assert reply.table is not None
    [(name, job, error)] = reply.table.rows
    assert (name, job) == (prometheus_server.dead_target, "node")
    assert "connection refused" in error
    assert reply.text == "1 target down, 1 of 2 up."


async def test_promql_up_is_a_table_of_targets(chat: Chat) -> None:
    """ "promql up" answers one row per scrape target with its value."""
    reply = await chat.say("promql up")
    assert reply.table is not None
    values = {row[0]: row[-1] for row in reply.table.rows}
    assert values["web-2:9100"] == "0"
    assert sorted(values.values()) == ["0", "1"]


async def test_firing_alerts_critical_first(chat: Chat) -> None:
    """ "what alerts are firing" shows both rule alerts, critical first, with their targets."""
    reply = await chat.say("what alerts are firing")
    assert reply.table is not None
    rows = [(r[0], r[1], r[2]) for r in reply.table.rows]
    assert rows == [
        ("critical", "InstanceDown", "web-2"),
        ("warning", "DiskSpaceLow", "db-primary"),
    ]
    assert "disk is 90% full" in reply.table.rows[1][4]


async def test_unknown_target_suggests_close_names(chat: Chat) -> None:
    """A typo in a target answers with the closest real names."""
    reply = await chat.say("cpu of web-3")
    assert reply.text.startswith("I don't know a target called 'web-3'.")
    assert "`web-1`" in reply.text
    assert "`web-2`" in reply.text


async def test_bad_promql_quotes_prometheus(chat: Chat) -> None:
    """Bad PromQL is the user's error and quotes Prometheus's parse error."""
    reply = await chat.say("promql sum(")
    assert reply.text.startswith("Prometheus rejected the query: ")
    assert "parse error" in reply.text
    assert 'invalid parameter "query"' not in reply.text


async def test_catalog_override_is_used(
    parser: IntentParserPort, prometheus_server: PrometheusServer
) -> None:
    """A deployment's catalog template replaces the default for that metric."""
    override = {"cpu": "node_memory_MemTotal_bytes{{selector}} / 1073741824"}
    source = PrometheusMetricsSource(prometheus_server.url, catalog_overrides=override)
    try:
        reply = await Chat(parser, source).say("cpu of web-1")
    finally:
        await source.aclose()
    assert field(reply, "Now") == pytest.approx(8.0)


async def test_dead_prometheus_is_a_dependency_error_within_the_timeout(
    parser: IntentParserPort,
) -> None:
    """Nothing listening at PROMETHEUS_URL: a short notice naming host:port, fast."""
    port = free_port()
    source = PrometheusMetricsSource(f"http://127.0.0.1:{port}", timeout=2.0)
    started = time.monotonic()
    try:
        reply = await Chat(parser, source).say("cpu of web-1 over 2h")
        with pytest.raises(DependencyError):
            await source.ping()
    finally:
        await source.aclose()
    assert time.monotonic() - started < 2.0
    assert reply.text.startswith(f"Prometheus at 127.0.0.1:{port} did not answer")


async def test_ping_answers_when_ready(source: PrometheusMetricsSource) -> None:
    """``ping`` (the readiness check) passes against a ready Prometheus."""
    await source.ping()
