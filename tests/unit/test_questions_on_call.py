"""The questions people ask on call, typed as they type them, answered from the demo source:
times as people say them, quantiles, comparisons, health, "how long down", forecasts.

The demo's clock, the parser's and the handlers' are all pinned to one Tuesday afternoon, so
"yesterday" and "since 3am" have one right answer."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.demo import DemoMetricsSource
from bot.app.config import Settings
from bot.app.registry import build_registry
from bot.core.dispatcher import Dispatcher
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.ports import IntentParserPort
from bot.core.telemetry import Telemetry
from bot.features.metrics.targets import TargetDirectory
from ml.anomaly import AnomalyService
from ml.forecast.service import ForecastService
from storage.memory import InMemoryContextStore

NOW = 1_710_254_240.0  # Tue 2024-03-12 14:37:20 UTC


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    from ml.intent_classifier import build_parser

    return build_parser()


class Chat:
    def __init__(self, parser: IntentParserPort) -> None:
        source = DemoMetricsSource(now=lambda: NOW)
        registry = build_registry(
            settings=Settings(),
            metrics=source,
            alerts=source,
            directory=TargetDirectory(source),
            anomaly=AnomalyService(),
            forecaster=ForecastService(),
            clock=lambda: NOW,
        )
        self.dispatcher = Dispatcher(
            parser, InMemoryContextStore(), registry, Telemetry(CollectorRegistry()),
            clock=lambda: NOW,
        )  # fmt: skip

    async def say(self, text: str) -> Reply:
        return await self.dispatcher.handle(IncomingMessage("test", "T", "C", "U", "ann", text))


@pytest.fixture
def chat(parser: IntentParserPort) -> Chat:
    return Chat(parser)


def fields(reply: Reply) -> dict[str, str]:
    return {f.label: f.value for f in reply.fields}


def number(text: str) -> float:
    return float(re.findall(r"[0-9.]+", text)[0])


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("cpu of web-1 since 3am", "CPU · web-1 · since 03:00 UTC"),
        ("cpu of web-1 since midnight", "CPU · web-1 · since 00:00 UTC"),
        ("memory of db-primary yesterday", "Memory · db-primary · Mon 00:00 UTC to Tue 00:00 UTC"),
        ("cpu of web-1 between 15:00 and 17:00", "CPU · web-1 · Mon 15:00 UTC to Mon 17:00 UTC"),
        ("cpu of web-1 from 3 hours ago to 2 hours ago", "CPU · web-1 · 11:37 UTC to 12:37 UTC"),
        ("cpu of web-1 2h ago", "CPU · web-1 · 12:07 UTC to 13:07 UTC"),
        ("latency of payments last tuesday",
         "Latency p95 · payments · 2024-03-05 00:00 UTC to Wed 00:00 UTC"),
        ("cpu web-1 since 2024-03-12T10:00:00Z", "CPU · web-1 · since 10:00 UTC"),
    ],
)  # fmt: skip
async def test_time_as_people_say_it_is_the_window_answered(
    chat: Chat, question: str, title: str
) -> None:
    """Each phrase reaches the source as that exact window, and the title says which."""
    reply = await chat.say(question)
    assert reply.title == title
    assert reply.charts


async def test_a_past_window_reports_its_last_value_not_now(chat: Chat) -> None:
    """Yesterday's answer gives yesterday's last value, never calls it "now"."""
    reply = await chat.say("memory of db-primary yesterday")
    assert "Latest" in fields(reply)
    assert " now" not in reply.text.split(";")[0]


async def test_an_unreadable_time_is_said_back_with_the_window_used(chat: Chat) -> None:
    """ "since the deploy" is not silently dropped."""
    reply = await chat.say("cpu of web-1 since the deploy")
    assert reply.text.startswith("I could not read 'since the deploy'; showing last 1h.")
    assert reply.title == "CPU · web-1 · last 1h"


async def test_latency_quantiles_are_each_their_own_and_ordered(chat: Chat) -> None:
    """p50 < p90 < p99, each titled as asked (never silently p95)."""
    now = {}
    for name in ("p50", "p90", "p99"):
        reply = await chat.say(f"{name} latency of checkout-api")
        assert reply.title == f"Latency {name} · checkout-api · last 1h"
        now[name] = number(fields(reply)["Now"])
    assert now["p50"] < now["p90"] < now["p99"]


async def test_compare_draws_both_series_on_one_chart(chat: Chat) -> None:
    """ "compare cpu of web-1 and web-2": one chart, both targets in the table."""
    reply = await chat.say("compare cpu of web-1 and web-2")
    assert reply.title == "CPU · web-1 vs web-2 · last 1h"
    assert len(reply.charts) == 1
    assert reply.table is not None
    assert {row[0] for row in reply.table.rows} == {"web-1", "web-2"}
    assert (await chat.say("web-1 vs web-2 memory")).title == "Memory · web-1 vs web-2 · last 1h"


async def test_a_table_over_all_targets_says_what_it_left_out(chat: Chat) -> None:
    """web-2 has been down 20 minutes: a 10-minute table over all hosts says so."""
    reply = await chat.say("memory over the last 10 minutes")
    assert reply.table is not None
    assert "web-2" not in {row[0] for row in reply.table.rows}
    assert "Not in the table: web-2 (down since 14:17 UTC)." in reply.text


@pytest.mark.parametrize(
    ("question", "verdict"),
    [
        ("how's payments doing?", "degraded"),  # HighLatency is firing on it
        ("what's wrong with db-primary?", "degraded"),  # DiskSpaceLow is firing
        ("how is web-2 doing", "down"),
        ("is search ok?", "ok"),
    ],
)
async def test_health_summary_is_never_ok_with_an_alert_firing(
    chat: Chat, question: str, verdict: str
) -> None:
    """The verdict is the worst of down, alerts and ongoing anomalies; metrics are listed."""
    reply = await chat.say(question)
    assert reply.title is not None
    assert reply.title.endswith(f": {verdict}")
    if verdict != "ok":
        assert reply.severity is not Severity.SUCCESS
    if verdict == "degraded":
        assert "Firing:" in reply.text
    assert fields(reply)


async def test_how_long_down_is_answered_with_the_time(chat: Chat) -> None:
    reply = await chat.say("how long has web-2 been down?")
    assert "web-2 has been down since 14:17 UTC (20m ago)." in reply.text


async def test_when_will_the_disk_be_full(chat: Chat) -> None:
    """db-primary's disk fills 10 points a day and a quarter: full in about a day and a
    half, given as a range and a most likely time, with a chart of the forecast."""
    reply = await chat.say("when will db-primary's disk be full?")
    assert reply.text.startswith("Disk of db-primary reaches full (100 %) in ")
    assert "around" in reply.text
    assert reply.charts
    assert reply.severity is Severity.WARNING


async def test_will_latency_go_over_a_level_today(chat: Chat) -> None:
    """payments' latency is already above 300 ms (its incident is ongoing)."""
    reply = await chat.say("will payments latency go over 300 ms today?")
    assert reply.text.startswith("Latency p95 of payments is already past 300 ms")


async def test_a_forecast_far_beyond_a_young_trend_says_it_is_a_guess(chat: Chat) -> None:
    """payments' latency has climbed for minutes (its incident): its value in 5 hours is
    the line drawn on, and the answer says so. The disk's fill, seen for a day and more,
    gets no such caution for its crossing a day and a half ahead."""
    reply = await chat.say("how much latency will payments have in 5 hours?")
    assert reply.title == "Latency p95 forecast · payments · next 5 h"
    assert "Careful: this trend began only " in reply.text
    assert reply.text.endswith(", so 5 h ahead is a long guess.")
    disk = await chat.say("when will db-primary's disk be full?")
    assert "Careful" not in disk.text


@pytest.mark.parametrize(
    ("question", "example"),
    [
        ("when will the disk be full?", "when will db-primary's disk be full?"),
        ("how much latency will we have tomorrow?",
         "how much latency will payments have tomorrow?"),
        ("how much error rate will there be tomorrow?",
         "how much error rate will payments have tomorrow?"),
    ],
)  # fmt: skip
async def test_a_forecast_without_a_target_asks_for_one_with_an_example_that_works(
    chat: Chat, question: str, example: str
) -> None:
    """The example fits the metric (a latency is never "full") and, asked, is answered."""
    reply = await chat.say(question)
    assert reply.text.startswith("Which target should I forecast?")
    assert f"For example `{example}`." in reply.text
    answered = await chat.say(example)
    assert answered.title is not None
    assert answered.title.endswith("forecast · db-primary · next 7d") or answered.title.endswith(
        "forecast · payments · next 24 h"
    )


async def test_how_much_disk_tomorrow(chat: Chat) -> None:
    reply = await chat.say("how much disk will db-primary have tomorrow?")
    assert reply.text.startswith("Disk of db-primary in 24 h")
    expected = number(reply.text.split("about ")[1])
    assert 88 < expected <= 100


async def test_a_question_about_an_action_gets_health_and_the_words_to_do_it(
    chat: Chat,
) -> None:
    """ "should I restart payments?" changes nothing; it answers with payments' health."""
    reply = await chat.say("should I restart payments?")
    assert reply.title == "Health · payments: degraded"
    assert fields(reply)["About `restart payments`"] == "Say `restart payments` to do it."
