"""The metric handlers through the real dispatcher, answering from the demo source."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from adapters.metrics.demo import DemoMetricsSource
from bot.app.config import FileSettings, Settings
from bot.core.dispatcher import Dispatcher
from bot.core.model import Chart, IncomingMessage, Reply, Severity
from bot.core.ports import IntentParserPort
from bot.core.registry import HandlerSpec, Registry
from bot.core.telemetry import Telemetry
from bot.features.help.handlers import help_specs
from bot.features.metrics import queries
from bot.features.metrics.ports import CatalogSeries, TargetRef, Window
from bot.features.metrics.specs import lookup_specs
from bot.features.metrics.targets import TargetDirectory
from intents.model import Intent, SlotValue, Turn
from storage.memory import InMemoryContextStore

NOW = 1_710_254_240.0  # 2024-03-12 14:37:20 UTC
FOOTER = "Source: demo data"


class ScriptedParser:
    """Parses "<intent> key=value ..." into that intent: the handlers' tests need no model."""

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        name, *pairs = text.split(" ", 1)
        slots: dict[str, SlotValue] = {}
        for pair in pairs[0].split(";") if pairs else []:
            key, value = pair.strip().split("=", 1)
            if key == "targets":
                slots[key] = tuple(value.split(","))
            elif key == "quantile":
                slots[key] = float(value)
            else:
                slots[key] = int(value) if value.isdigit() else value
        return Intent(name, 0.99, slots)


class Chat:
    def __init__(
        self,
        parser: IntentParserPort | None = None,
        settings: Settings | None = None,
        source: DemoMetricsSource | None = None,
    ) -> None:
        source = source or DemoMetricsSource(now=lambda: NOW)
        registry = Registry(specs(source, settings or Settings()))
        for spec in help_specs(registry):
            registry.register(spec)
        self.registry = registry
        self.dispatcher = Dispatcher(
            parser or ScriptedParser(),
            InMemoryContextStore(),
            registry,
            Telemetry(CollectorRegistry()),
        )

    async def say(self, text: str) -> Reply:
        return await self.dispatcher.handle(IncomingMessage("test", "T", "C", "U", "ann", text))


def specs(source: DemoMetricsSource, settings: Settings) -> list[HandlerSpec]:
    directory = TargetDirectory(source)
    return lookup_specs(
        source, source, directory, settings.file.default_range_seconds, clock=lambda: NOW
    )


def fields(reply: Reply) -> dict[str, str]:
    return {f.label: f.value for f in reply.fields}


class EmptyCpu(DemoMetricsSource):
    """The demo answering every CPU question with nothing (an empty answer)."""

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries:
        found = await super().series(metric, target, window, quantile=quantile)
        return CatalogSeries((), found.asked) if metric == "cpu" else found


async def test_metric_for_one_target_summarises_and_charts() -> None:
    """One target over 2h: now/min/max/avg/trend, a PNG chart, and the demo footer."""
    reply = await Chat().say("metric_query metric=cpu; target=web-1; range=7200")
    assert reply.title == "CPU · web-1 · last 2h"
    assert list(fields(reply)) == ["Now", "Min", "Max", "Avg", "Trend"]
    assert reply.text.startswith(f"CPU of web-1 is {fields(reply)['Now']} now;")
    assert reply.charts[0].png.startswith(b"\x89PNG")
    assert reply.charts[0].filename == "cpu-web-1-last-2h.png"
    assert reply.footer == FOOTER


async def test_metric_without_target_ranks_the_top_six() -> None:
    """No target: every target ranked by its latest value, top six in table and chart."""
    reply = await Chat().say("metric_query metric=latency")
    assert reply.table is not None
    assert reply.table.columns == ("target", "now", "avg", "max", "trend")
    assert len(reply.table.rows) == 6
    assert "(top 6 of 7" in reply.text
    assert reply.table.rows[0][0] == "payments"  # its latency incident is ongoing
    assert reply.title == "Latency p95 · all targets · last 1h"
    assert len(reply.charts) == 1


async def test_stale_target_says_when_it_was_last_seen() -> None:
    """web-2 stopped 20 min ago: the answer says so and suggests `status web-2`."""
    reply = await Chat().say("metric_query metric=memory; target=web-2")
    assert "at its latest sample, 20m ago" in reply.text
    assert "`status web-2`" in reply.text
    assert "Latest" in fields(reply)


async def test_stale_series_rank_last_and_show_their_age() -> None:
    """In a table of several hosts, the one that stopped reporting comes last, dated."""
    reply = await Chat().say("metric_query metric=cpu; target=node")
    assert reply.table is not None
    names = [row[0] for row in reply.table.rows]
    assert sorted(names) == ["cache-1", "db-primary", "web-1", "web-2"]
    assert names[-1] == "web-2"
    assert reply.table.rows[-1][1].endswith(" (20m ago)")
    assert not any(row[1].endswith("ago)") for row in reply.table.rows[:-1])


async def test_default_range_comes_from_settings() -> None:
    """Without a range the configured default look-back is used."""
    settings = Settings(file=FileSettings(default_range_seconds=10800))
    reply = await Chat(settings=settings).say("metric_query metric=disk; target=db-primary")
    assert reply.title == "Disk · db-primary · last 3h"


async def test_unknown_target_suggests_and_names_the_source() -> None:
    """A typo answers with close names, and even the error says it is demo data."""
    reply = await Chat().say("metric_query metric=cpu; target=web-9")
    assert reply.text == (
        "I don't know a target called 'web-9'.\nDid you mean `web-1` or `web-2`?\n" + FOOTER
    )
    assert reply.severity is Severity.WARNING


async def test_missing_metric_lists_the_catalog() -> None:
    """A metric query without a metric asks which, listing the catalog."""
    reply = await Chat().say("metric_query target=web-1")
    assert reply.text.startswith("Which metric?\nI know cpu, memory, disk, network, latency")


async def test_range_out_of_bounds_is_refused() -> None:
    """Look-backs outside 1 minute .. 90 days are the user's error."""
    reply = await Chat().say("metric_query metric=cpu; range=10")
    assert reply.text.startswith("I can look at 1m to 90d at a time.")


async def test_empty_result_says_what_was_asked_and_what_to_try() -> None:
    """No data: the question, the query that ran, and next steps."""
    source = EmptyCpu(now=lambda: NOW)
    reply = await Chat(source=source).say("metric_query metric=cpu; target=web-1; range=7200")
    assert reply.text == "No CPU data for web-1 (last 2h)."
    assert reply.code == "demo cpu_usage_percent of instance='web-1'"
    assert "`status web-1`" in fields(reply)["Try"]
    assert reply.severity is Severity.WARNING
    assert reply.footer == FOOTER


async def test_promql_instant_is_a_table_by_label() -> None:
    """``up``: one row per target, labels that tell rows apart as columns."""
    reply = await Chat().say("promql expr=up")
    assert reply.table is not None
    assert reply.table.columns == ("instance", "job", "service", "value")
    values = {row[0]: row[-1] for row in reply.table.rows}
    assert values["web-2:9100"] == "0"
    assert values["web-1:9100"] == "1"
    assert reply.code == "up"
    assert reply.footer == FOOTER


async def test_promql_with_many_series_shows_ten_and_counts_the_rest() -> None:
    """Twelve series (web-2 is down, so it has none now): the ten highest are shown, and
    "and 2 more" is said."""
    reply = await Chat().say('promql expr={__name__=~"cpu.*|memory.*"}')
    assert reply.table is not None
    assert len(reply.table.rows) == 10
    assert reply.text == "12 series, the 10 highest shown (and 2 more)."
    shown = [float(row[-1]) for row in reply.table.rows]
    assert shown == sorted(shown, reverse=True)


async def test_promql_aggregate_without_labels() -> None:
    """An aggregate without labels is one row under "series"."""
    reply = await Chat().say("promql expr=count(up == 1)")
    assert reply.table is not None
    assert (reply.table.columns, reply.table.rows) == (("series", "value"), (("{}", "6"),))


async def test_promql_with_range_charts_each_series() -> None:
    """A range turns a PromQL answer into a chart plus a per-series summary."""
    reply = await Chat().say("promql expr=avg by (job) (cpu_usage_percent); range=21600")
    assert reply.title == "PromQL · last 6h"
    assert reply.table is not None
    assert {row[0] for row in reply.table.rows} == {"node", "checkout-api", "payments", "search"}
    assert reply.charts[0].png.startswith(b"\x89PNG")


async def test_promql_empty_and_invalid() -> None:
    """No series says so with a suggestion; outside the demo subset is the user's error."""
    chat = Chat()
    empty = await chat.say('promql expr=up{job="nothing"}')
    assert empty.text == "The expression returned no series right now."
    assert "`promql up`" in fields(empty)["Try"]
    invalid = await chat.say("promql expr=rate(up[5m])")
    assert invalid.text.startswith("The demo data cannot run `rate(up[5m])`")
    assert "PROMETHEUS_URL" in invalid.text


async def test_status_lists_what_is_down_then_counts_up() -> None:
    """ "what's down": web-2 with its error, then 6 of 7 up, as critical."""
    reply = await Chat().say("status")
    assert reply.text == (
        "1 target down, 6 of 7 up.\nweb-2 has been down since 14:17 UTC (20m ago)."
    )
    assert reply.table is not None
    [(name, job, error)] = reply.table.rows
    assert (name, job) == ("web-2:9100", "node")
    assert error.endswith("connect: connection refused")
    assert reply.severity is Severity.CRITICAL


async def test_status_of_one_target() -> None:
    """A healthy target is up; a down one is listed; an unknown one gets suggestions."""
    chat = Chat()
    assert (await chat.say("status target=payments")).text == "payments is up (1 target)."
    assert (await chat.say("status target=web-2")).text == (
        "1 target down, 0 of 1 up.\nweb-2 has been down since 14:17 UTC (20m ago)."
    )
    unknown = await chat.say("status target=paymnts")
    assert unknown.text.startswith(
        "I don't know a target called 'paymnts'.\nDid you mean `payments`"
    )


async def test_alerts_list_critical_first_with_since_and_summary() -> None:
    """Firing alerts: severity, name, target, since when, summary; critical first."""
    reply = await Chat().say("alerts_list")
    assert reply.text == "3 alerts firing."
    assert reply.table is not None
    assert reply.table.columns == ("severity", "alert", "target", "since", "summary")
    first = reply.table.rows[0]
    assert first[:4] == ("critical", "InstanceDown", "web-2", "20m ago")
    assert [row[0] for row in reply.table.rows] == ["critical", "warning", "warning"]
    assert reply.severity is Severity.CRITICAL


async def test_alerts_filtered_by_severity_and_target() -> None:
    """Severity and target narrow the list; nothing left says so plainly."""
    chat = Chat()
    warning = await chat.say("alerts_list severity=warning")
    assert warning.table is not None
    assert {row[1] for row in warning.table.rows} == {"DiskSpaceLow", "HighLatency"}
    on_db = await chat.say("alerts_list target=db-primary")
    assert on_db.table is not None
    assert [row[1] for row in on_db.table.rows] == ["DiskSpaceLow"]
    none = await chat.say("alerts_list severity=critical; target=payments")
    assert none.text == "No critical alerts on payments are firing."
    assert none.severity is Severity.SUCCESS


async def test_specs_document_themselves() -> None:
    """Each lookup has a help topic, a one-line summary and two to four examples."""
    found = specs(DemoMetricsSource(), Settings())
    assert [s.intent for s in found] == ["metric_query", "promql", "status", "alerts_list"]
    for spec in found:
        assert spec.topic
        assert "\n" not in spec.summary
        assert 2 <= len(spec.examples) <= 4


# --------------------------------------------------------------------------- real parser


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    """The bot's real parser (trained once per module)."""
    from ml.intent_classifier import build_parser

    return build_parser()


async def test_the_first_minute_conversation(parser: IntentParserPort) -> None:
    """The issue's questions, typed as a new user would, all answer from demo data."""
    chat = Chat(parser=parser)
    cpu = await chat.say("cpu of web-1 over the last 2h")
    assert cpu.title == "CPU · web-1 · last 2h"
    assert cpu.charts
    memory = await chat.say("and memory?")
    assert memory.title == "Memory · web-1 · last 2h"
    down = await chat.say("what's down?")
    assert down.table is not None
    assert down.table.rows[0][0] == "web-2:9100"
    up = await chat.say("promql up")
    assert up.table is not None
    assert len(up.table.rows) == 7
    alerts = await chat.say("what alerts are firing")
    assert alerts.text == "3 alerts firing."
    for reply in (cpu, memory, down, up, alerts):
        assert reply.footer == FOOTER


async def test_every_help_example_reaches_its_handler(parser: IntentParserPort) -> None:
    """The examples shown in help parse to the intent they document."""
    for spec in specs(DemoMetricsSource(), Settings()):
        for example in spec.examples:
            assert parser.parse(example).name == spec.intent, example


async def test_the_same_chart_asked_by_twenty_people_at_once_is_drawn_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Twenty "cpu of web-1 last 2h" at once (same window, same step): one drawing, the same
    PNG in every answer; another target is its own drawing."""
    drawn: list[str] = []
    real = queries.render_line_chart

    async def counting(title: str, *args: Any, **kwargs: Any) -> Chart:
        drawn.append(title)
        return await real(title, *args, **kwargs)

    monkeypatch.setattr(queries, "render_line_chart", counting)
    chat = Chat()
    replies = await asyncio.gather(
        *(chat.say("metric_query metric=cpu; target=web-1; range=7200") for _ in range(20))
    )
    other = await chat.say("metric_query metric=cpu; target=web-2; range=7200")

    assert drawn == ["CPU · web-1 · last 2h", "CPU · web-2 · last 2h"]
    assert {r.charts[0].png for r in replies} == {replies[0].charts[0].png}
    assert other.charts[0].png != replies[0].charts[0].png
