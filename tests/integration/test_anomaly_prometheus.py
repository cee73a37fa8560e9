""" "Anything unusual?" through chat against a real Prometheus whose history holds a known
incident (``tests/harness/prometheus.py``): checkout-api's p95 latency and 5xx share rose
from 3h10m to 2h30m before the end of the history, and web-1's CPU rose with them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.prometheus import PrometheusMetricsSource
from bot.app.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.model import IncomingMessage, Reply
from bot.core.ports import IntentParserPort
from bot.core.registry import Registry
from bot.core.telemetry import Telemetry
from bot.features.anomaly.handler import anomaly_specs
from bot.features.metrics.targets import TargetDirectory
from ml.anomaly.service import AnomalyService
from storage.memory import InMemoryContextStore
from tests.harness.prometheus import INCIDENT, PrometheusServer

pytestmark = pytest.mark.integration

#: A moment on another UTC day than now carries its date ("Dec 03 21:31 UTC"): the incident is
#: three hours back, so between 00:00 and 03:00 UTC it is yesterday's.
_AT = r"(?:[A-Z][a-z]{2} \d\d )?(?P<at>\d\d:\d\d) UTC"
_BULLET = re.compile(rf"^• (?P<name>[^:]+): .*?, (?:from|since) {_AT}", re.M)
#: The catalog's rate()s look back 5 minutes: a rise shows within one window of its start.
_TOLERANCE_MINUTES = 6


class Chat:
    """One user talking to a dispatcher with the anomaly handler over ``source``."""

    def __init__(self, parser: IntentParserPort, source: PrometheusMetricsSource) -> None:
        directory = TargetDirectory(source)
        registry = Registry(
            anomaly_specs(
                source, AnomalyService(), directory, Settings().file.default_range_seconds
            )
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
async def chat(
    parser: IntentParserPort, prometheus_server: PrometheusServer
) -> AsyncIterator[Chat]:
    source = PrometheusMetricsSource(prometheus_server.url, timeout=10.0)
    yield Chat(parser, source)
    await source.aclose()


def reported_starts(reply: Reply) -> dict[str, str]:
    """Series name -> the HH:MM (UTC) its listed excursion began."""
    return {m["name"]: m["at"] for m in _BULLET.finditer(reply.text)}


def minutes_apart(hhmm: str, timestamp: float) -> int:
    """Minutes between a reported HH:MM and ``timestamp``'s UTC clock (across midnight too)."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    delta = abs(hours * 60 + minutes - (moment.hour * 60 + moment.minute))
    return min(delta, 1440 - delta)


async def test_incident_series_and_start_are_reported(
    chat: Chat, prometheus_server: PrometheusServer
) -> None:
    """checkout-api: latency and error rate are listed as beginning at the incident's start,
    over, not still going, with a chart, answered from Prometheus."""
    reply = await chat.say("anything unusual with checkout-api?")
    starts = reported_starts(reply)
    assert {"Latency p95", "Error rate"} <= set(starts), reply.text
    began = prometheus_server.history_end + INCIDENT[0]
    for name in ("Latency p95", "Error rate"):
        assert minutes_apart(starts[name], began) <= _TOLERANCE_MINUTES, reply.text
    assert "still going" not in reply.text
    assert re.search(rf"rose with (latency p95|error rate) at {_AT}", reply.text, re.I)
    assert reply.charts[0].png.startswith(b"\x89PNG")
    assert reply.footer == "Source: Prometheus"


async def test_no_target_finds_the_incident_across_targets(
    chat: Chat, prometheus_server: PrometheusServer
) -> None:
    """ "is anything odd?" scans every target and reports checkout-api and web-1's CPU rising
    together at the incident's start."""
    reply = await chat.say("is anything odd?")
    assert "checkout-api latency p95" in reply.text or "checkout-api error rate" in reply.text
    together = re.search(rf"^(.*) rose with (.*) at {_AT}", reply.text, re.M)
    assert together is not None, reply.text
    assert "web-1 CPU" in together.group(0)
    began = prometheus_server.history_end + INCIDENT[0]
    assert minutes_apart(together.group("at"), began) <= _TOLERANCE_MINUTES


async def test_quiet_target_says_what_was_checked(chat: Chat) -> None:
    """db-primary's history is flat: nothing stood out, and the answer says what was checked
    (its host metrics) over which range."""
    reply = await chat.say("anything unusual with db-primary?")
    assert reply.text.startswith("Nothing stood out on db-primary in the last 6h."), reply.text
    checked = {f.label: f.value for f in reply.fields}["Checked"]
    assert checked.startswith("CPU, memory, disk and network of db-primary (4 series)")
