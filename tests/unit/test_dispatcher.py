"""The dispatcher: one path from a message to a reply, whatever the handler does."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry

from bot.app.logs import CorrelationFilter
from bot.core.dispatcher import Dispatcher
from bot.core.errors import BUSY_MESSAGE, DependencyError, InvalidInput, Overloaded, UserError
from bot.core.model import ConversationKey, IncomingMessage, Reply, Severity
from bot.core.registry import Handler, HandlerSpec, Registry, Request
from bot.core.telemetry import Telemetry
from intents.model import Intent, Turn
from storage.memory import InMemoryContextStore

MEMORY_NOTE = "Conversation memory is unavailable"


class ScriptedParser:
    """Answers each text with the intent scripted for it and records the history it was given."""

    def __init__(self, script: dict[str, Intent]) -> None:
        self.script = script
        self.histories: list[list[Turn]] = []

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        self.histories.append(list(history))
        return self.script.get(text, Intent("unknown", 0.1))


class FlakyStore(InMemoryContextStore):
    """The in-memory store with a switch that makes every call fail as a dead Redis would."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise DependencyError("redis", "Redis is unreachable")

    async def recent(self, key: ConversationKey, limit: int = 10) -> list[Turn]:
        self._check()
        return await super().recent(key, limit)

    async def append(self, key: ConversationKey, turn: Turn) -> None:
        self._check()
        await super().append(key, turn)


async def echo(request: Request) -> Reply:
    return Reply(text=f"{request.intent.name} {dict(request.intent.slots)}", footer="Source: test")


async def refuse(_: Request) -> Reply:
    raise InvalidInput("That PromQL does not parse.", hint="Try `promql up`.")


async def not_found(_: Request) -> Reply:
    raise UserError("I don't know a target called web-9.")


async def crash(_: Request) -> Reply:
    raise RuntimeError("secret internal detail in /srv/bot/handlers.py")


async def prometheus_down(_: Request) -> Reply:
    raise DependencyError("prometheus", "Prometheus did not answer within 10 s.")


async def too_busy(_: Request) -> Reply:
    raise Overloaded("prometheus")


SCRIPT = {
    "cpu web-1": Intent("metric_query", 0.95, {"metric": "cpu", "target": "web-1"}),
    "bad promql": Intent("promql", 0.9, {"expr": "sum("}),
    "status": Intent("status", 0.9),
    "alerts": Intent("alerts_list", 0.9),
    "help": Intent("help", 0.9),
}


def build(
    handlers: dict[str, Handler], store: InMemoryContextStore | None = None
) -> tuple[Dispatcher, ScriptedParser, Telemetry, InMemoryContextStore]:
    parser = ScriptedParser(SCRIPT)
    telemetry = Telemetry(CollectorRegistry())
    store = store or InMemoryContextStore()
    registry = Registry(
        HandlerSpec(name, "test", f"{name} handler", (), handler)
        for name, handler in handlers.items()
    )
    return Dispatcher(parser, store, registry, telemetry), parser, telemetry, store


def message(text: str, platform: str = "slack") -> IncomingMessage:
    return IncomingMessage(platform, "T1", "C1", "U1", "alice", text)


def sample(telemetry: Telemetry, name: str, **labels: str) -> float:
    return telemetry.registry.get_sample_value(name, labels) or 0.0


async def test_handler_reply_gets_a_correlation_id() -> None:
    """A handled message answers with the handler's reply plus a fresh correlation id."""
    dispatcher, *_ = build({"metric_query": echo})
    first = await dispatcher.handle(message("cpu web-1"))
    second = await dispatcher.handle(message("cpu web-1"))
    assert first.text == "metric_query {'metric': 'cpu', 'target': 'web-1'}"
    assert first.footer == "Source: test"
    assert first.correlation_id
    assert first.correlation_id != second.correlation_id


async def test_user_error_becomes_its_text_and_hint() -> None:
    """A UserError's message (and hint) is the reply, as a warning."""
    dispatcher, _, telemetry, _ = build({"promql": refuse})
    reply = await dispatcher.handle(message("bad promql"))
    assert reply.text == "That PromQL does not parse.\nTry `promql up`."
    assert reply.severity is Severity.WARNING
    assert sample(telemetry, "smartcloudops_errors_total", platform="slack", kind="user") == 1


async def test_user_error_without_hint_is_exactly_its_text() -> None:
    """A UserError with no hint is shown as written, nothing added."""
    dispatcher, *_ = build({"status": not_found})
    reply = await dispatcher.handle(message("status"))
    assert reply.text == "I don't know a target called web-9."


async def test_unexpected_exception_is_an_apology_with_the_correlation_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A crash shows the user only an apology quoting the correlation id as ``ref``; the
    traceback goes to the log under that id."""
    dispatcher, _, telemetry, _ = build({"status": crash})
    caplog.handler.addFilter(CorrelationFilter())
    with caplog.at_level(logging.ERROR, logger="bot.core.dispatcher"):
        reply = await dispatcher.handle(message("status", platform="discord"))
    assert reply.correlation_id
    assert reply.plain_text().endswith(f"ref {reply.correlation_id}")
    assert reply.text.startswith("Sorry")
    assert "secret internal detail" not in reply.plain_text()
    assert "Traceback" not in reply.plain_text()
    assert reply.severity is Severity.ERROR
    (record,) = [r for r in caplog.records if r.exc_info]
    assert getattr(record, "correlation_id", None) == reply.correlation_id
    assert "secret internal detail" in caplog.text
    assert "Traceback" in caplog.text
    assert sample(telemetry, "smartcloudops_errors_total", platform="discord", kind="internal") == 1


async def test_dependency_error_is_a_specific_notice_and_counted() -> None:
    """A dependency failure says what is down and where to look, and counts the failure."""
    dispatcher, _, telemetry, _ = build({"alerts_list": prometheus_down})
    reply = await dispatcher.handle(message("alerts"))
    assert reply.text.startswith("Prometheus did not answer within 10 s.")
    assert "/readyz" in reply.text
    assert sample(telemetry, "smartcloudops_dependency_failures_total", dependency="prometheus")
    assert sample(telemetry, "smartcloudops_errors_total", platform="slack", kind="dependency")


async def test_the_bot_too_busy_says_so_and_blames_no_dependency() -> None:
    """No slot for a Prometheus call: a short "busy, try again" that neither blames Prometheus
    nor points at ``/readyz``, counted as ``busy``, not as a dependency failure."""
    dispatcher, _, telemetry, _ = build({"alerts_list": too_busy})
    reply = await dispatcher.handle(message("alerts"))
    assert reply.text == BUSY_MESSAGE
    assert reply.severity is Severity.WARNING
    assert sample(telemetry, "smartcloudops_errors_total", platform="slack", kind="busy") == 1
    failures = sample(telemetry, "smartcloudops_dependency_failures_total", dependency="prometheus")
    assert not failures


async def test_unknown_intent_without_handler_points_to_help() -> None:
    """With no handler for the intent (nor for ``unknown``) the user is pointed to help."""
    dispatcher, *_ = build({"metric_query": echo})
    reply = await dispatcher.handle(message("how's the weather"))
    assert "did not understand" in reply.text
    assert "help" in reply.text


async def test_unknown_intent_falls_back_to_the_unknown_handler() -> None:
    """An intent with no handler of its own is answered by the ``unknown`` handler."""
    dispatcher, *_ = build({"unknown": echo})
    reply = await dispatcher.handle(message("help"))
    assert reply.text.startswith("help ")


async def test_metrics_count_messages_and_latency_by_platform_and_intent() -> None:
    """Every message moves the message counter and the latency histogram for its labels;
    only failures move the error counter."""
    dispatcher, _, telemetry, _ = build({"metric_query": echo, "promql": refuse})
    for _ in range(3):
        await dispatcher.handle(message("cpu web-1", platform="teams"))
    await dispatcher.handle(message("bad promql", platform="teams"))
    labels = {"platform": "teams", "intent": "metric_query"}
    assert sample(telemetry, "smartcloudops_messages_total", **labels) == 3
    assert sample(telemetry, "smartcloudops_handling_seconds_count", **labels) == 3
    assert sample(telemetry, "smartcloudops_messages_total", platform="teams", intent="promql") == 1
    assert sample(telemetry, "smartcloudops_errors_total", platform="teams", kind="user") == 1
    assert sample(telemetry, "smartcloudops_errors_total", platform="teams", kind="internal") == 0


async def test_answered_query_is_remembered_for_follow_ups() -> None:
    """A successful query's intent and slots are stored and handed to the next parse."""
    dispatcher, parser, _, _ = build({"metric_query": echo})
    await dispatcher.handle(message("cpu web-1"))
    await dispatcher.handle(message("and memory?"))
    assert parser.histories[0] == []
    (turn,) = parser.histories[1]
    assert (turn.intent, dict(turn.slots)) == ("metric_query", {"metric": "cpu", "target": "web-1"})


async def test_every_parsed_turn_is_stored_answered_or_not() -> None:
    """A refused query and a help request are remembered too, so a later "yes" can only
    ever answer the turn right before it."""
    dispatcher, _, _, store = build({"promql": refuse, "help": echo})
    await dispatcher.handle(message("bad promql"))
    await dispatcher.handle(message("help"))
    assert [t.intent for t in await store.recent(message("help").key)] == ["promql", "help"]


async def test_dead_context_store_is_mentioned_once_and_recovers() -> None:
    """With the store down the bot still answers, notes it on the first reply only (keeping
    the handler's footer), and uses context again once the store is back."""
    store = FlakyStore()
    dispatcher, parser, _, _ = build({"metric_query": echo}, store)
    await dispatcher.handle(message("cpu web-1"))
    store.down = True
    first = await dispatcher.handle(message("cpu web-1"))
    second = await dispatcher.handle(message("cpu web-1"))
    assert first.text.startswith("metric_query")
    assert first.footer is not None
    assert first.footer.startswith("Source: test\n")
    assert MEMORY_NOTE in first.footer
    assert second.footer == "Source: test"
    store.down = False
    await dispatcher.handle(message("cpu web-1"))
    assert len(parser.histories[-1]) == 1
    store.down = True
    again = await dispatcher.handle(message("cpu web-1"))
    assert MEMORY_NOTE in (again.footer or "")
