"""The bot over a real Redis that dies, hangs and comes back: it keeps answering without
context, says so once, and picks the context up again by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from bot.core.dispatcher import Dispatcher
from bot.core.model import IncomingMessage, Reply
from bot.core.ports import IntentParserPort
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.telemetry import Telemetry
from ml.intent_classifier import build_parser
from storage.redis_context import RedisContextStore
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration

MEMORY_NOTE = "Conversation memory is unavailable"
#: A dead Redis refuses at once; a hung one costs one 0.5 s read timeout, then the hold-off.
TURN_BUDGET_SECONDS = 1.0
HOLD_OFF_SECONDS = 0.5


async def answer_metric(request: Request) -> Reply:
    slots = request.intent.slots
    return Reply(text=f"{slots['metric']} of {slots.get('target', 'every target')}")


def build_dispatcher(
    parser: IntentParserPort, store: RedisContextStore, telemetry: Telemetry
) -> Dispatcher:
    spec = HandlerSpec("metric_query", "metrics", "a metric", ("cpu web-1",), answer_metric)
    return Dispatcher(parser, store, Registry([spec]), telemetry)


class Chat:
    """One user in one channel, timing every turn."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.slowest = 0.0

    async def say(self, text: str) -> Reply:
        message = IncomingMessage("slack", "T1", "C1", "U1", "alice", text)
        started = time.perf_counter()
        reply = await self.dispatcher.handle(message)
        self.slowest = max(self.slowest, time.perf_counter() - started)
        return reply


def notes_memory_down(reply: Reply) -> bool:
    return MEMORY_NOTE in (reply.footer or "")


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry(CollectorRegistry())


@pytest.fixture
async def store(private_redis_server: RedisServer) -> AsyncIterator[RedisContextStore]:
    store = RedisContextStore.from_url(
        private_redis_server.url, ttl_seconds=600, hold_off_seconds=HOLD_OFF_SECONDS
    )
    yield store
    await store.aclose()


@pytest.fixture(scope="module")
def parser() -> IntentParserPort:
    """The bot's real intent parser (trained once for this module)."""
    return build_parser()


@pytest.fixture
def chat(parser: IntentParserPort, store: RedisContextStore, telemetry: Telemetry) -> Chat:
    return Chat(build_dispatcher(parser, store, telemetry))


async def test_follow_up_uses_redis_context(chat: Chat) -> None:
    """While Redis is up a follow-up takes its target from the previous turn."""
    assert (await chat.say("cpu web-1")).text == "cpu of web-1"
    reply = await chat.say("and memory?")
    assert reply.text == "memory of web-1"
    assert not notes_memory_down(reply)


async def test_bot_answers_through_a_redis_outage_and_recovers(
    chat: Chat, private_redis_server: RedisServer, telemetry: Telemetry
) -> None:
    """Redis dies: answers go on without context, the first says so and the second does not.
    Redis returns: context works again in the same bot."""
    await chat.say("cpu web-1")
    private_redis_server.stop()

    first = await chat.say("and disk?")
    assert first.text == "disk of every target"
    assert notes_memory_down(first)
    second = await chat.say("cpu web-2")
    assert second.text == "cpu of web-2"
    assert not notes_memory_down(second)
    assert chat.slowest < TURN_BUDGET_SECONDS
    failures = telemetry.registry.get_sample_value(
        "smartcloudops_dependency_failures_total", {"dependency": "redis"}
    )
    assert failures is not None
    assert failures >= 2

    private_redis_server.start()
    assert (await chat.say("cpu web-3")).text == "cpu of web-3"
    back = await chat.say("and memory?")
    assert back.text == "memory of web-3"
    assert not notes_memory_down(back)


async def test_hung_redis_costs_a_turn_at_most_one_timeout(
    chat: Chat, private_redis_server: RedisServer
) -> None:
    """A Redis that accepts connections but never answers slows a turn by one short timeout,
    not by the platform's patience; once it answers again context comes back."""
    await chat.say("cpu web-1")
    private_redis_server.pause()
    try:
        first = await chat.say("and disk?")
        second = await chat.say("cpu web-2")
    finally:
        private_redis_server.resume()
    assert (first.text, second.text) == ("disk of every target", "cpu of web-2")
    assert notes_memory_down(first)
    assert not notes_memory_down(second)
    assert chat.slowest < TURN_BUDGET_SECONDS

    await asyncio.sleep(HOLD_OFF_SECONDS)
    await chat.say("cpu web-3")
    assert (await chat.say("and memory?")).text == "memory of web-3"
