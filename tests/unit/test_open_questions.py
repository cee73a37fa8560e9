""" "anything odd?" and "is everything ok?" through the real parser, dispatcher and registry,
answered from the demo at a pinned clock (Tue 2024-03-12 14:37:20 UTC).

At that moment web-2 has been down for 20 minutes (InstanceDown, critical), payments' latency
is high (HighLatency, warning), db-primary's disk is 88 % and filling (DiskSpaceLow, warning;
full in about 36 hours) and checkout-api had an incident 3 hours ago. The open questions list
what needs attention worst first, in a phone-sized answer, and a down target is never summed
up as "nothing stood out".
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.demo import DemoMetricsSource
from bot.app.config import Settings
from bot.app.registry import build_registry
from bot.core.dispatcher import Dispatcher
from bot.core.errors import DependencyError
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.ports import IntentParserPort
from bot.core.telemetry import Telemetry
from bot.features.anomaly.ports import AnomalyDetector, Finding
from bot.features.forecast.ports import ForecastAnswer, Forecaster, ForecastPath
from bot.features.metrics.ports import Alert, AlertSource, Series, TargetHealth
from bot.features.metrics.targets import TargetDirectory
from ml.anomaly import AnomalyService
from ml.forecast.service import ForecastService
from storage.memory import InMemoryContextStore

NOW = 1_710_254_240.0
HOUR = 3600.0
DOWN = "web-2 down since 14:17 UTC (20m ago): connection refused"
FILLING = "db-primary disk full (100 %) in about 36 h, around 2024-03-14 02:36 UTC"
#: The attention lines of both open questions, worst first.
ATTENTION = [
    f"• {DOWN}; InstanceDown firing",
    f"• {FILLING}",
    "• DiskSpaceLow (warning) on db-primary since 05:49 UTC",
    "• HighLatency (warning) on payments since 14:15 UTC",
]


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    from ml.intent_classifier import build_parser

    return build_parser()


@pytest.fixture(scope="module")
def detector() -> AnomalyService:
    """One detector for the module: its fits are reused between tests, as in the bot."""
    return AnomalyService()


class Chat:
    """One user talking to the whole registry over ``source``."""

    def __init__(
        self,
        parser: IntentParserPort,
        detector: AnomalyDetector,
        *,
        now: float = NOW,
        source: DemoMetricsSource | None = None,
        alerts: AlertSource | None = None,
        forecaster: Forecaster | None = None,
    ) -> None:
        source = source or DemoMetricsSource(now=lambda: now)
        registry = build_registry(
            settings=Settings(),
            metrics=source,
            alerts=alerts or source,
            directory=TargetDirectory(source),
            anomaly=detector,
            forecaster=forecaster or ForecastService(),
            clock=lambda: now,
        )
        self.dispatcher = Dispatcher(
            parser, InMemoryContextStore(), registry, Telemetry(CollectorRegistry()),
            clock=lambda: now,
        )  # fmt: skip

    async def say(self, text: str) -> Reply:
        return await self.dispatcher.handle(IncomingMessage("test", "T", "C", "U", "ann", text))


def bullets(reply: Reply) -> list[str]:
    return [line for line in reply.text.splitlines() if line.startswith("• ")]


def fits_a_phone(reply: Reply) -> bool:
    return len(reply.text.splitlines()) <= 12 and len(reply.text) <= 1200


async def test_anything_odd_lists_what_needs_attention_worst_first(
    parser: IntentParserPort, detector: AnomalyService
) -> None:
    """Down targets first (their alert folded in), then what fills up soon, then warnings,
    then the anomalies, in a phone-sized answer."""
    reply = await Chat(parser, detector).say("anything odd?")
    lines = reply.text.splitlines()
    assert lines[0] == "Needs attention, worst first:"
    assert lines[1:5] == ATTENTION, reply.text
    anomalies = bullets(reply)[4:]
    assert anomalies[0].startswith("• checkout-api error rate: "), reply.text
    assert anomalies[1].startswith("• checkout-api latency p95: "), reply.text
    assert any(line.startswith("• payments latency p95: ") for line in anomalies)
    assert "No samples from web-2" not in reply.text, "said once, as down"
    assert reply.severity is Severity.CRITICAL
    assert {f.label: f.value for f in reply.fields}["Also checked"] == (
        "up/down of 7 targets, firing alerts, disk and memory 2d ahead"
    )
    assert reply.charts
    assert fits_a_phone(reply), reply.text


async def test_is_everything_ok_lists_the_same_things(
    parser: IntentParserPort, detector: AnomalyService
) -> None:
    reply = await Chat(parser, detector).say("is everything ok?")
    assert reply.title == "Health · fleet"
    assert reply.text.splitlines()[1:5] == ATTENTION
    assert reply.severity is Severity.CRITICAL
    assert fits_a_phone(reply)


@pytest.mark.parametrize(
    "question",
    [
        "anything odd?",
        "anything unusual?",
        "is anything odd in the last 24h?",
        "anything odd with web-2?",
        "anything unusual on web-2 in the last 2h",
        "any latency anomalies?",
    ],
)
async def test_a_down_target_is_never_nothing_stood_out(
    parser: IntentParserPort, question: str
) -> None:
    """Even when the detector finds nothing at all, web-2 being down leads the answer."""
    reply = await Chat(parser, FindsNothing()).say(question)
    assert "Nothing stood out" not in reply.text
    assert bullets(reply)[0].startswith(f"• {DOWN}"), reply.text
    assert reply.severity is Severity.CRITICAL


async def test_a_target_down_for_longer_than_the_range_is_still_down(
    parser: IntentParserPort,
) -> None:
    """No samples in the range at all is not "no data, nothing to check" but down."""
    reply = await Chat(parser, FindsNothing()).say("anything odd with web-2 in the last 10m?")
    assert reply.text.splitlines()[:2] == ["Needs attention:", f"• {DOWN}"]
    assert "Metrics: no data in the last 10m." in reply.text


class AllUp(DemoMetricsSource):
    """The demo fleet with every target said to answer (web-2's samples still stop, which the
    answer's "no samples since" line keeps saying)."""

    async def targets(self) -> list[TargetHealth]:
        return [TargetHealth(t.name, t.job, True, "", t.labels) for t in await super().targets()]


class Quiet:
    """An alert source with nothing firing."""

    description = "quiet alerts"

    async def alerts(self) -> list[Alert]:
        return []


class FindsNothing:
    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]:
        return []


class Flat:
    """A forecaster that sees nothing reaching its limit."""

    async def forecast(
        self,
        series: Series,
        *,
        horizon: float,
        threshold: float | None = None,
        direction: str | None = None,
    ) -> ForecastAnswer:
        end = series.timestamps[-1]
        path = ForecastPath((end,), (50.0,), (49.0,), (51.0,), 0.8)
        return ForecastAnswer(path, 0.0, "flat", end, 50.0, "not_at_current_rate", "flat")


async def test_a_calm_fleet_says_what_was_checked(parser: IntentParserPort) -> None:
    source = AllUp(now=lambda: NOW)
    chat = Chat(parser, FindsNothing(), source=source, alerts=Quiet(), forecaster=Flat())
    reply = await chat.say("anything odd?")
    assert reply.text.splitlines()[0] == (
        "Nothing stood out in the last 6h. Also checked: up/down of 7 targets, firing alerts, "
        "disk and memory 2d ahead; all clear."
    )
    assert reply.severity is Severity.SUCCESS
    health = await chat.say("is everything ok?")
    assert health.text.splitlines()[0] == (
        "All clear: up/down of 7 targets, firing alerts, disk and memory 2d ahead."
    )
    assert health.severity is Severity.SUCCESS


class Unreachable:
    description = "Alertmanager"

    async def alerts(self) -> list[Alert]:
        raise DependencyError("alertmanager", "Alertmanager is unreachable")


async def test_unreadable_alerts_are_said_and_the_rest_still_answered(
    parser: IntentParserPort,
) -> None:
    reply = await Chat(parser, FindsNothing(), alerts=Unreachable()).say("anything odd?")
    assert bullets(reply)[:2] == [f"• {DOWN}", f"• {FILLING}"]
    assert "Could not read the alerts: Alertmanager is unreachable" in reply.text


class Crowded(DemoMetricsSource):
    """The demo with ten more hosts down."""

    async def targets(self) -> list[TargetHealth]:
        more = [TargetHealth(f"node-{i}:9100", "node", False, "", {}) for i in range(10)]
        return [*await super().targets(), *more]


async def test_a_long_list_is_cut_to_fit_a_phone(parser: IntentParserPort) -> None:
    reply = await Chat(parser, FindsNothing(), source=Crowded(now=lambda: NOW)).say(
        "is everything ok?"
    )
    assert len(bullets(reply)) == 5
    assert "…and 9 more: `alerts` and `status` list them." in reply.text
    assert fits_a_phone(reply)
