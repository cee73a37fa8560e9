""" "Anything unusual?" through the real dispatcher, answered from the demo source by the real
anomaly service, at a fixed "now" (2024-03-12 14:37:20 UTC).

The demo's story (``adapters/metrics/demo_model.py``): checkout-api's latency, error rate and
CPU rose for 40 minutes from 3h10m ago (db-primary's CPU with them), payments' latency has been
high for the last 25 minutes, and web-2 stopped answering 20 minutes ago.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.demo import DemoMetricsSource
from adapters.metrics.demo_model import INCIDENTS, anchor
from bot.app.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.errors import InvalidInput
from bot.core.formatting import SECONDS, format_value
from bot.core.model import Chart, IncomingMessage, Reply, Severity
from bot.core.ports import IntentParserPort
from bot.core.registry import Registry
from bot.core.telemetry import Telemetry
from bot.features.anomaly import handler as anomaly_handler
from bot.features.anomaly.handler import MAX_SERIES_PER_METRIC, anomaly_specs
from bot.features.anomaly.ports import AnomalyDetector, Finding
from bot.features.help.handlers import help_specs
from bot.features.metrics.ports import CatalogSeries, Series, TargetHealth, TargetRef, Window
from bot.features.metrics.targets import TargetDirectory
from intents.model import Intent, SlotValue, Turn
from ml.anomaly.service import AnomalyService
from storage.memory import InMemoryContextStore

NOW = 1_710_254_240.0
HOUR = 3600.0
FOOTER = "Source: demo data"
_LINE = re.compile(
    r"^• (?P<name>[^:]+): (?P<far>.+?), (?:from|since) (?P<at>(?:\w{3} \d\d )?\d\d:\d\d) UTC "
    r"\((?P<ago>[^)]+) ago\)(?P<rest>.*)$",
    re.M,
)
_FAR = re.compile(r"(?P<peak>.+ ms) vs normal (?P<low>[\d.]+)-(?P<high>[\d.]+) ms \((?P<x>.+)x\)")
_TOGETHER = re.compile(r"^(?P<movers>.+) rose with (?P<lead>.+) at (?P<at>\d\d:\d\d) UTC", re.M)


class ScriptedParser:
    """Parses ``key=value; ...`` into ``anomaly_query`` with those slots (exact inputs)."""

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        slots: dict[str, SlotValue] = {}
        for pair in filter(None, (p.strip() for p in text.split(";"))):
            key, value = pair.split("=", 1)
            slots[key] = int(value) if value.isdigit() else value
        return Intent("anomaly_query", 0.99, slots)


class Chat:
    """One user talking to a dispatcher whose registry has the anomaly and help handlers."""

    def __init__(
        self,
        parser: IntentParserPort | None = None,
        *,
        now: float = NOW,
        source: DemoMetricsSource | None = None,
        detector: AnomalyDetector | None = None,
    ) -> None:
        source = source or DemoMetricsSource(now=lambda: now)
        detector = detector or AnomalyService()
        directory = TargetDirectory(source)
        registry = Registry(
            anomaly_specs(
                source,
                detector,
                directory,
                Settings().file.default_range_seconds,
                clock=lambda: now,
            )
        )
        for spec in help_specs(registry):
            registry.register(spec)
        self.dispatcher = Dispatcher(
            parser or ScriptedParser(),
            InMemoryContextStore(),
            registry,
            Telemetry(CollectorRegistry()),
        )

    async def say(self, text: str) -> Reply:
        return await self.dispatcher.handle(IncomingMessage("test", "T", "C", "U", "ann", text))


@dataclass(frozen=True)
class Line:
    """One listed excursion of an answer."""

    far: str
    at: str
    ago_minutes: int
    rest: str


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    """The bot's real parser (trained once per module)."""
    from ml.intent_classifier import build_parser

    return build_parser()


def listed(reply: Reply) -> dict[str, Line]:
    """Series name -> its line, for every "• ..." line of the answer."""
    return {
        m["name"]: Line(m["far"], m["at"], _minutes(m["ago"]), m["rest"])
        for m in _LINE.finditer(reply.text)
    }


def fields(reply: Reply) -> Mapping[str, str]:
    return {f.label: f.value for f in reply.fields}


def _minutes(ago: str) -> int:
    parts: dict[str, int] = {unit: int(n) for n, unit in re.findall(r"(\d+)([dhm])", ago)}
    return parts.get("d", 0) * 1440 + parts.get("h", 0) * 60 + parts.get("m", 0)


def incident_start(target: str, metric: str) -> float:
    """When the demo's incident on ``target``/``metric`` began, at :data:`NOW`."""
    found = next(i for i in INCIDENTS if (i.target, i.metric) == (target, metric))
    return anchor(NOW) + found.start


def minutes_ago(timestamp: float) -> float:
    return (NOW - timestamp) / 60


async def test_target_incident_lists_latency_errors_and_cpu(parser: IntentParserPort) -> None:
    """ "anything unusual with checkout-api?": latency, error rate and CPU, each from the
    incident's start (3h10m ago, within 3 minutes), for about 40 minutes, not still going."""
    reply = await Chat(parser).say("anything unusual with checkout-api?")
    assert reply.title == "Anomalies · checkout-api · last 6h"
    lines = listed(reply)
    assert set(lines) == {"Latency p95", "Error rate", "CPU"}, reply.text
    began = minutes_ago(incident_start("checkout-api", "latency"))
    for line in lines.values():
        assert abs(line.ago_minutes - began) <= 3
        duration = _minutes(line.rest.removeprefix(" for "))
        assert 35 <= duration <= 50, line
    assert "still going" not in reply.text
    assert reply.severity is Severity.INFO
    assert reply.footer == FOOTER


async def test_moved_together_names_the_co_moving_series(parser: IntentParserPort) -> None:
    """The series of one incident are said to have risen together, at the incident's start."""
    reply = await Chat(parser).say("anything unusual with checkout-api?")
    together = _TOGETHER.search(reply.text)
    assert together is not None, reply.text
    names = [*re.split(r", | and ", together["movers"].lower()), together["lead"].lower()]
    assert {"latency p95", "error rate", "cpu"} <= set(names)
    assert together["at"] == min(line.at for line in listed(reply).values())


async def test_how_far_quotes_the_data_and_the_chart_shades_it() -> None:
    """The latency line's peak is the demo's own maximum, several times the normal band; the
    chart is the strongest series (the error rate, 18x its normal band) with its span shaded."""
    source = DemoMetricsSource(now=lambda: NOW)
    reply = await Chat(source=source).say("target=checkout-api")
    [series] = await source.query_range(
        'http_request_latency_p95_seconds{service="checkout-api"}', Window(NOW - 6 * HOUR, NOW, 60)
    )
    far = _FAR.fullmatch(listed(reply)["Latency p95"].far)
    assert far is not None, reply.text
    assert far["peak"] == format_value(max(series.values), SECONDS)
    assert float(far["x"]) >= 4
    assert float(far["high"]) < max(series.values) * 1000 / 4
    [chart] = reply.charts
    assert chart.png.startswith(b"\x89PNG")
    assert chart.title == "Error rate · checkout-api · last 6h"
    assert chart.filename == "anomaly-error_rate-checkout-api-6h.png"


async def test_no_target_finds_checkout_and_payments(parser: IntentParserPort) -> None:
    """ "is anything odd?" scans every target: checkout-api's incident and payments' latency,
    which is still going (since 25 minutes ago), after web-2 being down."""
    reply = await Chat(parser).say("is anything odd?")
    lines = listed(reply)
    assert any(name.startswith("checkout-api ") for name in lines), reply.text
    payments = lines["payments latency p95"]
    assert payments.rest == ", still going"
    assert abs(payments.ago_minutes - minutes_ago(incident_start("payments", "latency"))) <= 3
    together = _TOGETHER.search(reply.text)
    assert together is not None
    assert "db-primary CPU" in together["movers"] + together["lead"]
    assert reply.text.startswith(
        "Needs attention:\n• web-2 down since 14:17 UTC (20m ago): connection refused\n"
    )
    assert "No samples from web-2" not in reply.text, "said once, as down"
    assert fields(reply)["Checked"].endswith("of 7 targets (49 series)")
    assert reply.charts[0].title == "Error rate · checkout-api · last 6h"
    assert reply.severity is Severity.CRITICAL


@pytest.mark.parametrize("hours_later", [0, 6, 12, 18])
async def test_calm_targets_say_nothing_stood_out(hours_later: int) -> None:
    """Targets without an incident, at four times of day: nothing stands out, and the answer
    says what was checked over which range."""
    now = NOW + hours_later * HOUR
    chat = Chat(now=now)
    for target in ("web-1", "cache-1", "search"):
        reply = await chat.say(f"target={target}")
        assert reply.text.startswith(f"Nothing stood out on {target} in the last 6h."), reply.text
        assert reply.severity is Severity.SUCCESS
        assert not reply.charts
        assert fields(reply)["Checked"] == (
            "CPU, memory, disk, network, latency p95, error rate and request rate "
            f"of {target} (7 series)"
        )
    assert fields(reply)["Range"].endswith("to now, every 1m, judged against the 18h before")


async def test_metric_and_range_narrow_the_question() -> None:
    """One metric over a day: payments' latency, still going, checked at a 5-minute step
    against the two days before."""
    reply = await Chat().say("target=payments; metric=latency; range=86400")
    assert reply.title == "Anomalies · latency p95 · payments · last 1d"
    assert list(listed(reply)) == ["Latency p95"]
    assert listed(reply)["Latency p95"].rest == ", still going"
    assert fields(reply)["Checked"] == "latency p95 of payments (1 series)"
    assert fields(reply)["Range"] == (
        "Mar 11 14:37 UTC to now, every 5m, judged against the 2d before"
    )


async def test_a_down_target_is_said_to_be_down_not_calm() -> None:
    """web-2 stopped answering: nothing anomalous before that, but it is down, and that is
    what the answer leads with (never "nothing stood out")."""
    reply = await Chat().say("target=web-2; range=7200")
    assert reply.text == (
        "Needs attention:\n"
        "• web-2 down since 14:17 UTC (20m ago): connection refused\n"
        "Metrics: nothing unusual in the last 2h."
    )
    assert reply.severity is Severity.CRITICAL


class UpButSilent(DemoMetricsSource):
    """The demo whose scrape status says nothing about web-2 (a series without a target)."""

    async def targets(self) -> list[TargetHealth]:
        return [t for t in await super().targets() if t.up]


async def test_a_silent_series_of_unknown_status_is_called_out() -> None:
    """Samples that stopped, with no scrape target to say why: the silence is named."""
    reply = await Chat(source=UpButSilent(now=lambda: NOW)).say("target=web-2; range=7200")
    assert reply.text == (
        "Nothing stood out on web-2 in the last 2h.\n"
        "No samples from web-2 since 14:16 UTC (21m ago): is it down? Try `status web-2`."
    )


async def test_unknown_target_suggests_close_names() -> None:
    """A typo answers with the closest targets, and the error names the source."""
    reply = await Chat().say("target=paymnts")
    assert reply.text == (
        "I don't know a target called 'paymnts'.\nDid you mean `payments`?\n" + FOOTER
    )


@pytest.mark.parametrize("span", [60, 30 * 86400])
async def test_range_out_of_bounds_is_refused(span: int) -> None:
    """Look-backs under 5 minutes or over 7 days are the user's error."""
    reply = await Chat().say(f"range={span}")
    assert reply.text.startswith("I look for anomalies over 5 minutes to 7 days.")
    assert reply.severity is Severity.WARNING


class NothingMatches(DemoMetricsSource):
    """The demo answering every catalog question with no series."""

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries:
        return CatalogSeries((), f"nothing for {metric}")


async def test_no_data_says_there_is_nothing_to_check() -> None:
    """Every query empty: the answer says which data was missing, instead of "all clear"."""
    chat = Chat(source=NothingMatches(now=lambda: NOW))
    one = await chat.say("target=web-1; metric=cpu")
    assert one.text == (
        "No CPU data for web-1 in the last 6h, so there is nothing to check. Try `status web-1`."
    )
    assert one.severity is Severity.WARNING
    every = await chat.say("target=web-1")
    assert every.text.startswith("No data for web-1 in the last 6h, so there is nothing")
    assert fields(every)["No data for"].startswith("CPU, memory, disk, network, latency p95")


class BrokenLatency(DemoMetricsSource):
    """The demo with a latency question it cannot answer (like a mistyped catalog override)."""

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries:
        if metric == "latency":
            raise InvalidInput("The demo data has no metric 'no_such_metric'.")
        return await super().series(metric, target, window, quantile=quantile)


async def test_a_failing_query_is_reported_not_fatal() -> None:
    """Scanning every metric, one the source rejects is named with its reason and the rest
    are still checked; asked for alone, its error is the answer."""
    chat = Chat(source=BrokenLatency(now=lambda: NOW))
    reply = await chat.say("target=web-1")
    assert reply.text.startswith("Nothing stood out on web-1 in the last 6h.")
    assert fields(reply)["Checked"] == (
        "CPU, memory, disk, network, error rate and request rate of web-1 (6 series); "
        "could not check latency p95 (The demo data has no metric 'no_such_metric'.)"
    )
    alone = await chat.say("target=web-1; metric=latency")
    assert alone.text.startswith("The demo data has no metric 'no_such_metric'.")
    assert alone.severity is Severity.WARNING


class Crowded(DemoMetricsSource):
    """The demo with every series of a query repeated under 30 hosts (a big fleet)."""

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries:
        found = await super().series(metric, target, window, quantile=quantile)
        first = found.series[0][1]
        crowd = tuple(
            (f"node-{i:02d}", Series({**first.labels, "instance": f"node-{i:02d}:9100"},
                                     *_samples(first)))
            for i in range(30)
        )  # fmt: skip
        return CatalogSeries(crowd, found.asked)


def _samples(series: Series) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return series.timestamps, series.values


class RecordingDetector:
    """Finds nothing; remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[tuple[str, Series]], float | None]] = []

    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]:
        self.calls.append((list(series), since))
        return []


async def test_work_is_bounded_and_history_precedes_the_range() -> None:
    """A big fleet: at most the per-metric cap is scored (the rest counted in the answer), in
    one detector call, with a day of history before the 6h asked about (``since``)."""
    detector = RecordingDetector()
    reply = await Chat(source=Crowded(now=lambda: NOW), detector=detector).say("metric=cpu")
    [(series, since)] = detector.calls
    assert len(series) == MAX_SERIES_PER_METRIC
    assert len({name for name, _ in series}) == MAX_SERIES_PER_METRIC
    assert since == NOW - 6 * HOUR
    assert min(s.timestamps[0] for _, s in series) == pytest.approx(NOW - 24 * HOUR, abs=60)
    left_out = 30 - MAX_SERIES_PER_METRIC
    assert fields(reply)["Checked"] == (
        f"CPU of {MAX_SERIES_PER_METRIC} targets ({MAX_SERIES_PER_METRIC} series); "
        f"{left_out} more left out, name a target to check them"
    )


class HelpParser:
    """Every message is ``help anomalies``."""

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        return Intent("help", 0.99, {"topic": "anomalies"})


async def test_help_teaches_the_anomaly_questions() -> None:
    """ "help anomalies" shows the handler's examples and its default range."""
    reply = await Chat(HelpParser()).say("help anomalies")
    text = reply.plain_text()
    assert "last 6h unless you say" in text
    assert "anything unusual with checkout-api?" in text


_RANGES = (6 * HOUR, 24 * HOUR, 3 * 24 * HOUR, 7 * 24 * HOUR)


@pytest.mark.parametrize("hours_later", [0, 7, 13])
@pytest.mark.parametrize("target", ["checkout-api", "payments", "db-primary"])
async def test_an_incident_reads_the_same_whatever_the_range(target: str, hours_later: int) -> None:
    """Asked over 6h, 1d, 3d or 7d, an incident of the last hours starts at the same minute,
    lasts as long and is over (or still going) alike: a week's 30-minute samples do not
    stretch checkout-api's 40 minutes into "2h 5m" or "still going"."""
    chat = Chat(now=NOW + hours_later * HOUR)
    answers = [listed(await chat.say(f"target={target}; range={int(r)}")) for r in _RANGES]
    assert answers[0], f"the demo has an incident on {target}"
    for longer in answers[1:]:
        for name, line in answers[0].items():
            assert name in longer
            assert (longer[name].at, longer[name].rest) == (line.at, line.rest), name


async def test_a_slow_fill_stays_named_and_starts_alike_over_long_ranges() -> None:
    """db-primary's disk, filling for over a day: over 1d, 3d and 7d it is named, since the
    same moment, still going (measured finely, it is not demoted to a minor blip)."""
    chat = Chat()
    lines = [
        listed(await chat.say(f"target=db-primary; range={int(r)}"))["Disk"] for r in _RANGES[1:]
    ]
    assert {(line.at, line.ago_minutes, line.rest) for line in lines} == {
        (lines[0].at, lines[0].ago_minutes, ", still going")
    }
    assert lines[0].ago_minutes > 24 * 60


async def test_the_same_report_asked_twice_in_one_step_draws_its_chart_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same question twice at the same "now": one drawing, the same PNG in both."""
    drawn: list[str] = []
    real = anomaly_handler.render_line_chart

    async def counting(title: str, *args: Any, **kwargs: Any) -> Chart:
        drawn.append(title)
        return await real(title, *args, **kwargs)

    monkeypatch.setattr(anomaly_handler, "render_line_chart", counting)
    chat = Chat()
    first = await chat.say("target=payments; metric=latency; range=86400")
    second = await chat.say("target=payments; metric=latency; range=86400")

    assert len(drawn) == 1
    assert first.charts[0].png == second.charts[0].png
