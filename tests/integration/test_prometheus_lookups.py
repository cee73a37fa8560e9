"""The chat questions of the issue, answered from a real Prometheus loaded with known history
(see ``tests/harness/prometheus.py``), through the real parser and dispatcher."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.prometheus import PrometheusMetricsSource
from bot.app.config import Settings
from bot.app.registry import build_registry
from bot.core.dispatcher import Dispatcher
from bot.core.errors import DependencyError
from bot.core.model import IncomingMessage, Reply
from bot.core.ports import IntentParserPort
from bot.core.telemetry import Telemetry
from bot.features.metrics.ports import Window
from bot.features.metrics.targets import TargetDirectory
from ml.anomaly import AnomalyService
from ml.forecast.service import ForecastService
from storage.memory import InMemoryContextStore
from tests.harness.prometheus import EXPECTED, PrometheusServer
from tests.harness.require import free_port

pytestmark = pytest.mark.integration


class Chat:
    """One user talking to a dispatcher wired to ``source``."""

    def __init__(self, parser: IntentParserPort, source: PrometheusMetricsSource) -> None:
        registry = build_registry(
            settings=Settings(),
            metrics=source,
            alerts=source,
            directory=TargetDirectory(source),
            anomaly=AnomalyService(),
            forecaster=ForecastService(),
        )
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
    assert reply.text.startswith("1 target down, 1 of 2 up.\nweb-2 has been down since ")


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


# --------------------------------------------------------------------------- on call


def clock_of(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M")


async def test_an_absolute_window_reaches_prometheus_as_start_and_end(
    chat: Chat, prometheus_server: PrometheusServer
) -> None:
    """ "from 3 hours ago to 2 hours ago" holds the incident's top (web-1 CPU at 85 %);
    "2h ago" is the hour around it; "since HH:MM" two hours back is the calm after."""
    during = await chat.say("cpu of web-1 from 3 hours ago to 2 hours ago")
    assert during.title is not None
    assert during.title.startswith("CPU · web-1 · ")
    assert " to " in during.title
    assert field(during, "Max") == pytest.approx(EXPECTED["web-1 cpu % during incident"], abs=2)
    assert "Latest" in [f.label for f in during.fields]
    since = time.time() - 2 * 3600 + 600
    after = await chat.say(f"cpu of web-1 since {clock_of(since)}")
    # Two hours back is yesterday between 00:00 and 02:00 UTC: the title then names the day.
    moment = datetime.fromtimestamp(since, UTC)
    today = datetime.now(UTC).date()
    shown = clock_of(since) if moment.date() == today else moment.strftime("%a %H:%M")
    assert after.title == f"CPU · web-1 · since {shown} UTC"
    assert field(after, "Max") == pytest.approx(EXPECTED["web-1 cpu %"], abs=2)


async def test_latency_quantiles_come_from_the_histogram(chat: Chat) -> None:
    """p50 < p90 < p99 of checkout-api, each from histogram_quantile at that quantile."""
    now = {}
    for name in ("p50", "p90", "p99"):
        reply = await chat.say(f"{name} latency of checkout-api")
        assert reply.title == f"Latency {name} · checkout-api · last 1h"
        now[name] = field(reply, "Now")
    assert now["p50"] < now["p90"] < now["p99"] <= 0.5


async def test_compare_two_hosts_on_one_chart(chat: Chat) -> None:
    reply = await chat.say("compare cpu of web-1 and db-primary")
    assert reply.title == "CPU · web-1 vs db-primary · last 1h"
    assert len(reply.charts) == 1
    assert reply.table is not None
    assert [row[0] for row in reply.table.rows] == ["db-primary", "web-1"]


async def test_health_of_a_target_with_a_firing_alert_is_not_ok(chat: Chat) -> None:
    """db-primary's DiskSpaceLow fires: its health is degraded, with the alert named."""
    reply = await chat.say("how's db-primary doing?")
    assert reply.title == "Health · db-primary: degraded"
    assert "Firing: DiskSpaceLow (warning)" in reply.text


async def test_how_long_has_the_dead_target_been_down(chat: Chat) -> None:
    """web-2 never answered this Prometheus: down since its first failed scrape."""
    reply = await chat.say("how long has web-2 been down?")
    assert "web-2 has been down since " in reply.text


async def test_a_flat_disk_never_fills_at_the_current_rate(chat: Chat) -> None:
    """db-primary's disk is a flat 90 %: not at the current rate, said so, with a chart."""
    reply = await chat.say("when will db-primary's disk be full?")
    assert reply.text == (
        "Disk of db-primary does not reach full (100 %) at the current rate: it is flat."
    )
    assert reply.charts


async def test_a_timeout_of_a_fraction_of_a_second_is_a_duration_prometheus_accepts(
    prometheus_server: PrometheusServer,
) -> None:
    """``prometheus_timeout_seconds: 2.5`` reaches Prometheus as a duration it parses."""
    source = PrometheusMetricsSource(prometheus_server.url, timeout=2.5)
    try:
        assert await source.query("up")
        assert await source.query_range("up", Window(time.time() - 600, time.time(), 60))
    finally:
        await source.aclose()
