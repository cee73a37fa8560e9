"""Unreadable ranges and targets: the parser reports them (``Intent.rejected``, an extra JSON
key, never a slot) and the metric, PromQL and anomaly handlers refuse them instead of
answering for the default range or every target. Unicode dashes read as ``-``."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.demo import DemoMetricsSource
from bot.app.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.registry import Registry
from bot.core.telemetry import Telemetry
from bot.features.anomaly.handler import anomaly_specs
from bot.features.metrics.specs import lookup_specs
from bot.features.metrics.targets import TargetDirectory
from intents.model import Intent
from intents.parser import IntentParser
from intents.text import clean
from ml.anomaly.service import AnomalyService
from ml.intent_classifier import build_parser
from storage.memory import InMemoryContextStore

NOW = 1_710_254_240.0


@pytest.fixture(scope="module")
def parser() -> IntentParser:
    return build_parser()


class Chat:
    """The real parser and dispatcher over the metric and anomaly handlers (demo data)."""

    def __init__(self, parser: IntentParser) -> None:
        source = DemoMetricsSource(now=lambda: NOW)
        directory = TargetDirectory(source)
        specs = [
            *lookup_specs(
                source, source, directory, Settings().file.default_range_seconds, clock=lambda: NOW
            ),
            *anomaly_specs(
                source,
                AnomalyService(),
                directory,
                Settings().file.default_range_seconds,
                clock=lambda: NOW,
            ),
        ]
        self.dispatcher = Dispatcher(
            parser,
            InMemoryContextStore(),
            Registry(specs),
            Telemetry(CollectorRegistry()),
            clock=lambda: NOW,
        )

    async def say(self, text: str) -> Reply:
        return await self.dispatcher.handle(IncomingMessage("test", "T", "C", "U", "ann", text))


@pytest.mark.parametrize(
    "dash",
    ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d"],
)
def test_unicode_dashes_fold_to_hyphen(dash: str, parser: IntentParser) -> None:
    """An autocorrected ``web‐1`` is the target ``web-1``, not "every target"."""
    assert clean(f"cpu web{dash}1") == "cpu web-1"
    intent = parser.parse(f"cpu web{dash}1")
    assert dict(intent.slots) == {"metric": "cpu", "target": "web-1"}
    assert not intent.rejected


@pytest.mark.parametrize(
    ("text", "intent", "rejected"),
    [
        ("cpu web-1 last 0s", "metric_query", {"range": "0s"}),
        ("cpu of web-1 for 5 years", "metric_query", {"range": "5 years"}),
        ("memory of web-1 over the last 0 minutes", "metric_query", {"range": "0 minutes"}),
        ("cpu web-1 2y", "metric_query", {"range": "2y"}),
        ("cpu 🚀🚀🚀", "metric_query", {"target": "🚀🚀🚀"}),
        ("cpu for café-1", "metric_query", {"target": "café-1"}),
        ("anomalies on web-1 last 0s", "anomaly_query", {"range": "0s"}),
        ("promql up 0s", "promql", {"range": "0s"}),
        ("cpu web-1 last -2h", "metric_query", {"range": "-2h"}),
        ("memory of web-1 over the last -3 hours", "metric_query", {"range": "-3 hours"}),
    ],
)
def test_unreadable_values_are_reported_not_dropped(
    text: str, intent: str, rejected: dict[str, str], parser: IntentParser
) -> None:
    """What the parser could not read is reported as written, under the extra JSON key."""
    got = parser.parse(text)
    assert got.name == intent
    assert dict(got.rejected) == rejected
    assert got.to_json()["rejected"] == rejected
    assert not set(rejected.values()) & {str(v) for v in got.slots.values()}


@pytest.mark.parametrize(
    "text",
    [
        "cpu web-1 2h",
        "cpu of web-1 over the last 90 minutes",
        "which hosts have cpu > 90%",
        "cpu web-1 400d",
        "promql up 2h",
        "error rate on 500s",
    ],
)
def test_readable_text_has_no_rejected_key(text: str, parser: IntentParser) -> None:
    """Readable (or readable but out-of-bounds) values add nothing to the JSON."""
    got = parser.parse(text)
    assert not got.rejected
    assert "rejected" not in got.to_json()


def test_to_json_emits_rejected_only_when_present() -> None:
    """``Intent.to_json`` keeps the contract's shape; ``rejected`` is an extra key."""
    assert "rejected" not in Intent("metric_query", 0.9, {"metric": "cpu"}).to_json()
    with_rejected = Intent("metric_query", 0.9, {"metric": "cpu"}, rejected={"range": "0s"})
    assert with_rejected.to_json()["rejected"] == {"range": "0s"}


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("cpu web-1 last 0s", "I could not read '0s'; showing last 1h."),
        ("cpu of web-1 for 5 years", "I could not read '5 years'; showing last 1h."),
        ("promql up 0s", "I could not read '0s'; showing the values now."),
        ("anomalies on web-1 last 0s", "I could not read '0s'; showing the last 6h."),
        ("cpu of web-1 since the deploy", "I could not read 'since the deploy'; showing last 1h."),
    ],
)
async def test_an_unreadable_time_is_said_back_with_what_is_shown(
    text: str, starts: str, parser: IntentParser
) -> None:
    """The answer says which time it could not read and which window it shows instead."""
    reply = await Chat(parser).say(text)
    assert reply.text.startswith(starts), reply.text


async def test_an_unreadable_target_is_refused(parser: IntentParser) -> None:
    """Answering for every target would answer a different question: refused, no chart."""
    reply = await Chat(parser).say("cpu 🚀🚀🚀")
    assert reply.text.startswith("'🚀🚀🚀' is not a target name I can use.")
    assert reply.severity is Severity.WARNING
    assert not reply.charts


async def test_autocorrected_target_is_answered(parser: IntentParser) -> None:
    """``cpu web‐1`` (U+2010) answers for web-1."""
    reply = await Chat(parser).say("cpu web\u20101")
    assert reply.title == "CPU · web-1 · last 1h"
