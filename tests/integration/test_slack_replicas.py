"""Several bot replicas behind one Slack app, sharing a real Redis: an event that reaches more
than one of them (a retry landing elsewhere, or a duplicate delivery) is answered once, and so
is a signed slash command replayed to another replica."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from storage.dedupe import RedisDedupeStore
from storage.redis_client import connect
from tests.fakes.slack_api import BOT_USER_ID, FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, RecordingCore, SlackBot, running_bot
from tests.fakes.slack_requests import app_mention, block_actions, event_callback, slash_command
from tests.harness.redis import RedisServer

pytestmark = pytest.mark.integration

REPLICAS = 3


@contextlib.asynccontextmanager
async def replicas(
    fake: FakeSlack, redis_url: str, core: RecordingCore
) -> AsyncIterator[list[SlackBot]]:
    """``REPLICAS`` bot servers, each with its own Redis connection, like separate pods."""
    async with contextlib.AsyncExitStack() as stack:
        bots = []
        for _ in range(REPLICAS):
            client = connect(redis_url)
            stack.push_async_callback(client.aclose)
            dedupe = RedisDedupeStore(client)
            bots.append(await stack.enter_async_context(running_bot(fake, core.handle,
                                                                    dedupe=dedupe)))  # fmt: skip
        yield bots


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN) as server:
        yield server


async def test_retry_landing_on_another_replica_is_not_answered_again(
    fake: FakeSlack, redis_server: RedisServer
) -> None:
    """The first delivery goes to one replica, Slack's retries to the others: one answer."""
    core = RecordingCore()
    event = app_mention(f"<@{BOT_USER_ID}> echo once", user="U0CA5", channel="C0OPS",
                        ts="1.000100")  # fmt: skip
    request = event_callback(event, event_id=f"Ev{uuid.uuid4().hex[:10]}")
    async with replicas(fake, redis_server.url, core) as bots:
        assert (await bots[0].send(request))[0] == 200
        for attempt, bot in enumerate(bots[1:], start=1):
            assert (await bot.send(request, retry_num=attempt))[0] == 200
        for bot in bots:
            await bot.settle()

    assert len(fake.calls_to("chat.postMessage")) == 1
    assert [m.text for m in core.messages] == ["echo once"]


async def test_simultaneous_deliveries_to_every_replica_give_one_answer(
    fake: FakeSlack, redis_server: RedisServer
) -> None:
    """The same event arriving at all replicas at once is still answered exactly once."""
    core = RecordingCore()
    event = app_mention(f"<@{BOT_USER_ID}> echo race", user="U0CA5", channel="C0OPS",
                        ts="1.000200")  # fmt: skip
    request = event_callback(event, event_id=f"Ev{uuid.uuid4().hex[:10]}")
    async with replicas(fake, redis_server.url, core) as bots:
        statuses = await asyncio.gather(*(bot.send(request) for bot in bots))
        for bot in bots:
            await bot.settle()

    assert [status for status, _ in statuses] == [200] * REPLICAS
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_a_button_clicked_through_two_replicas_runs_once(
    fake: FakeSlack, redis_server: RedisServer
) -> None:
    """A double click whose two deliveries reach different replicas runs the command once."""
    core = RecordingCore()
    click = block_actions(user_id="U0CA5", response_url=fake.response_url("dbl"),
                          value=f"approve {uuid.uuid4().hex[:6]}")  # fmt: skip
    async with replicas(fake, redis_server.url, core) as bots:
        await asyncio.gather(bots[0].send(click), bots[1].send(click))
        for bot in bots:
            await bot.settle()

    assert len(core.messages) == 1
    assert core.messages[0].user_id == "U0CA5"


async def test_first_delivery_is_answered_while_redis_is_down_but_retries_are_not(
    fake: FakeSlack, private_redis_server: RedisServer
) -> None:
    """With the dedupe store unreachable a first delivery is still answered (better than
    silence), and a redelivery is dropped (it was most likely answered already)."""
    core = RecordingCore()
    async with replicas(fake, private_redis_server.url, core) as bots:
        private_redis_server.stop()
        first = event_callback(
            app_mention(f"<@{BOT_USER_ID}> echo first", user="U0CA5", channel="C0OPS",
                        ts="1.000300"), event_id="Ev0DOWN0001")  # fmt: skip
        retry = event_callback(
            app_mention(f"<@{BOT_USER_ID}> echo retry", user="U0CA5", channel="C0OPS",
                        ts="1.000400"), event_id="Ev0DOWN0002")  # fmt: skip
        assert (await bots[0].send(first))[0] == 200
        assert (await bots[1].send(retry, retry_num=1))[0] == 200
        for bot in bots:
            await bot.settle()

    assert [m.text for m in core.messages] == ["echo first"]


async def test_a_slash_command_replayed_to_other_replicas_runs_once(
    fake: FakeSlack, redis_server: RedisServer
) -> None:
    """The same signed command (same timestamp, same signature) sent to every replica, at
    once and again afterwards, is answered once: the claim is in the shared Redis."""
    core = RecordingCore()
    command = slash_command(f"echo {uuid.uuid4().hex[:8]}", response_url=fake.response_url("r"))
    signed_at = int(time.time())
    async with replicas(fake, redis_server.url, core) as bots:
        first = await asyncio.gather(*(bot.send(command, timestamp=signed_at) for bot in bots))
        again = [await bot.send(command, timestamp=signed_at) for bot in bots]
        for bot in bots:
            await bot.settle()

    assert [status for status, _ in first + again] == [200] * (2 * REPLICAS)
    assert len(core.messages) == 1
    assert len(fake.calls_to("response_url")) == 1
