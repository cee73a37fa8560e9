"""The log: one JSON object (or text line) per event, each carrying the correlation id of the
turn it belongs to, the same id the reply quotes as ``ref``."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from bot.app.logs import HANDLER_NAME, TextFormatter, configure_logging, resolve_format
from bot.core.correlation import correlated, current_correlation_id
from bot.core.dispatcher import Dispatcher
from bot.core.errors import DependencyError
from bot.core.model import IncomingMessage, Reply
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.telemetry import Telemetry
from intents.model import Intent, Turn
from storage.memory import InMemoryContextStore
from tests.fakes.logs import CapturedLog, json_log

helper_log = logging.getLogger("tests.turn.helper")


@pytest.fixture
def captured() -> Iterator[CapturedLog]:
    with json_log() as log:
        yield log


class OneIntent:
    """A parser that reads every message as ``status``."""

    def parse(self, text: str, history: Any = (), now: float | None = None) -> Intent:
        return Intent("status", 0.9, {"target": text})


async def _deep(target: str) -> None:
    await asyncio.sleep(0)
    helper_log.info("looking up %s", target)


async def status(request: Request) -> Reply:
    """Logs in the handler, in a coroutine it awaits and in a task it starts, then fails."""
    target = request.intent.slots["target"]
    helper_log.info("status of %s", target)
    await _deep(target)
    await asyncio.create_task(_deep(target))
    if target == "broken":
        raise RuntimeError("boom")
    if target == "db":
        raise DependencyError("database", "The database is unavailable.")
    return Reply(text=f"{target} is up")


class ForgetfulStore(InMemoryContextStore):
    """Conversation memory that is down: the dispatcher logs about it within the turn."""

    async def recent(self, key: Any, limit: int = 10) -> list[Turn]:
        raise DependencyError("redis", "Redis is unreachable")


def dispatcher() -> Dispatcher:
    registry = Registry([HandlerSpec("status", "test", "status", (), status)])
    return Dispatcher(OneIntent(), ForgetfulStore(), registry, Telemetry(CollectorRegistry()))


def message(text: str) -> IncomingMessage:
    return IncomingMessage("slack", "T1", "C1", "U1", "alice", text)


async def test_every_log_line_of_a_turn_carries_the_turns_correlation_id(
    captured: CapturedLog,
) -> None:
    """Each turn's lines (core, handler, awaited helpers, spawned tasks, the crash with its
    traceback) are JSON objects with one id, that turn's reply's; turns never share one."""
    bot = dispatcher()
    replies = [await bot.handle(message(t)) for t in ("web-1", "broken", "db")]
    by_turn: dict[str, list[dict[str, Any]]] = {}
    for entry in captured.entries():
        by_turn.setdefault(entry["correlation_id"], []).append(entry)
    assert set(by_turn) == {r.correlation_id for r in replies}
    for reply in replies:
        lines = by_turn[str(reply.correlation_id)]
        assert sum(e["logger"] == "tests.turn.helper" for e in lines) == 3, lines
    crash = by_turn[str(replies[1].correlation_id)]
    (error,) = [e for e in crash if e["level"] == "ERROR"]
    assert "Traceback" in error["exception"]
    assert "RuntimeError: boom" in error["exception"]
    assert len(captured.lines()) == len(captured.entries()), "one line per event"
    assert current_correlation_id() is None, "the turn's id does not outlive it"


async def test_a_turn_joins_the_id_its_entry_point_set(captured: CapturedLog) -> None:
    """Inside an entry point's turn (an HTTP request) the dispatcher keeps that id."""
    with correlated() as outer:
        helper_log.info("request received")
        reply = await dispatcher().handle(message("web-1"))
    assert reply.correlation_id == outer
    assert {e["correlation_id"] for e in captured.entries()} == {outer}


async def test_fresh_turns_get_their_own_id_and_restore_the_outer_one() -> None:
    """``fresh``: a new id for the block, the outer one back after it."""
    with correlated() as outer:
        with correlated(fresh=True) as inner:
            assert current_correlation_id() == inner != outer
        assert current_correlation_id() == outer


def test_a_json_line_outside_a_turn_has_a_null_id_and_keeps_extra_fields(
    captured: CapturedLog,
) -> None:
    """Outside any turn the id is null; fields given with ``extra=`` are keys of the line;
    a multi-line message stays on one line."""
    helper_log.warning("two\nlines", extra={"status": 503, "path": "/readyz"})
    (line,) = captured.lines()
    entry = json.loads(line)
    assert entry["correlation_id"] is None
    assert entry["message"] == "two\nlines"
    assert (entry["level"], entry["logger"]) == ("WARNING", "tests.turn.helper")
    assert (entry["status"], entry["path"]) == (503, "/readyz")
    assert entry["time"].endswith("+00:00")


def test_text_lines_show_the_id_inside_a_turn_only() -> None:
    """The text form (``chat``) keeps ``time LEVEL logger`` and adds ``[id]`` in a turn."""
    capture = CapturedLog(TextFormatter())
    helper_log.addHandler(capture.handler)
    try:
        helper_log.warning("outside")
        with correlated() as cid:
            helper_log.warning("inside")
    finally:
        helper_log.removeHandler(capture.handler)
    outside, inside = capture.lines()
    assert outside.endswith(" WARNING tests.turn.helper: outside")
    assert inside.endswith(f" WARNING tests.turn.helper [{cid}]: inside")


@pytest.mark.parametrize(
    ("configured", "command", "used"),
    [
        ("auto", "serve", "json"),
        ("auto", "chat", "text"),
        ("auto", "migrate", "text"),
        ("json", "chat", "json"),
        ("text", "serve", "text"),
    ],
)
def test_auto_is_json_for_serve_and_text_for_the_rest(
    configured: Any, command: str, used: str
) -> None:
    assert resolve_format(configured, command) == used


def test_configuring_again_replaces_only_its_own_handler() -> None:
    """The CLI configures twice (before and after reading the config file): one handler of
    ours remains, and handlers others installed stay."""
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    try:
        first = io.StringIO()
        configure_logging("text", logging.WARNING, first)
        second = io.StringIO()
        configure_logging("json", logging.INFO, second)
        ours = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
        assert len(ours) == 1
        assert [h for h in root.handlers if h not in ours] == before
        helper_log.info("hello")
        assert first.getvalue() == ""
        assert json.loads(second.getvalue())["message"] == "hello"
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
        root.setLevel(level)
