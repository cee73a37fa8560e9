"""Private answers on Discord, on the wire: an ephemeral follow-up (flags 64) with a Share
button for ``/ops`` and clicks, ``share`` posting it to the channel, and plain messages (which
cannot be ephemeral) answered as before. The real discord.py client against the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from tests.fakes.discord_bot import (
    ScriptedCore,
    connected,
    fake_discord,
    fast_options,
    running_bot,
    scripted_services,
)
from tests.fakes.discord_server import ANA, APP_ID, BEN, FakeDiscord, Json

CALLBACK = r"/interactions/\d+/[^/]+/callback"
REPLY = r"/channels/\d+/messages"
EPHEMERAL = 1 << 6
SAID = "You said: gibberish"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(heartbeat_ms=500) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[TestServer]:
    async with running_bot(scripted_services(ScriptedCore()), fast_options(fake)) as server:
        await connected(fake)
        yield server


def _custom_ids(message: Json) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


async def _private_answer(fake: FakeDiscord, user: Json = BEN) -> tuple[Json, Json]:
    """``/ops gibberish`` answered privately: the command and the ephemeral message."""
    command = fake.slash_command("gibberish", user=user)
    await fake.dispatch("INTERACTION_CREATE", command)
    follow_up = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{command['token']}")
    [message] = [m for m in fake.messages.values() if m["flags"] & EPHEMERAL]
    assert (follow_up.body or {})["flags"] & EPHEMERAL
    return command, message


async def test_a_private_answer_to_ops_is_an_ephemeral_follow_up_with_a_share_button(
    fake: FakeDiscord, bot: TestServer
) -> None:
    """Deferred publicly (the answer is not known yet), so the "thinking…" is deleted and
    the answer follows as an ephemeral message of its own."""
    command, message = await _private_answer(fake)
    [deferred] = fake.calls_to("POST", CALLBACK)
    assert (deferred.body or {})["type"] == 5
    [deleted] = fake.calls_to(
        "DELETE", rf"/webhooks/{APP_ID}/{command['token']}/messages/@original"
    )
    assert deleted.path.endswith("/@original")
    assert message["embeds"][0]["description"] == SAID
    assert _custom_ids(message) == ["sco:share"]
    assert [m for m in fake.messages.values() if not m["flags"] & EPHEMERAL] == []


async def test_a_public_answer_to_ops_fills_in_the_deferral_publicly(
    fake: FakeDiscord, bot: TestServer
) -> None:
    command = fake.slash_command("chart cpu", user=BEN)
    await fake.dispatch("INTERACTION_CREATE", command)
    follow_up = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{command['token']}")
    assert not (follow_up.body or {}).get("flags", 0) & EPHEMERAL
    assert fake.calls_to("DELETE", r"/webhooks/.*") == []
    [message] = fake.messages.values()
    assert not message["flags"] & EPHEMERAL
    assert "sco:share" not in _custom_ids(message)


async def test_clicking_share_posts_the_answer_to_the_channel(
    fake: FakeDiscord, bot: TestServer
) -> None:
    _, private = await _private_answer(fake)
    click = fake.button_click(private, "sco:share", user=BEN)
    await fake.dispatch("INTERACTION_CREATE", click)
    shared = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{click['token']}")
    await fake.wait_for_call("DELETE", rf"/webhooks/{APP_ID}/{click['token']}/messages/@original")
    body = shared.body or {}
    assert not body.get("flags", 0) & EPHEMERAL
    assert body["embeds"][0]["description"] == SAID
    assert "Shared by Ben." in body["embeds"][0]["footer"]["text"]
    [public] = fake.messages.values()
    assert not public["flags"] & EPHEMERAL
    assert private["id"] in fake.deleted


async def test_typing_share_posts_only_your_own_private_answer(
    fake: FakeDiscord, bot: TestServer
) -> None:
    await _private_answer(fake, user=BEN)
    other = fake.slash_command("share", user=ANA)
    await fake.dispatch("INTERACTION_CREATE", other)
    nothing = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{other['token']}")
    assert (nothing.body or {})["flags"] & EPHEMERAL
    assert "Nothing to share" in (nothing.body or {})["embeds"][0]["description"]
    mine = fake.slash_command("share", user=BEN)
    await fake.dispatch("INTERACTION_CREATE", mine)
    shared = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{mine['token']}")
    assert not (shared.body or {}).get("flags", 0) & EPHEMERAL
    assert (shared.body or {})["embeds"][0]["description"] == SAID


async def test_a_private_answer_to_a_plain_message_stays_an_ordinary_reply(
    fake: FakeDiscord, bot: TestServer
) -> None:
    """A message is not an interaction: Discord cannot show its answer to one person."""
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("gibberish", author=ANA))
    reply = await fake.wait_for_call("POST", REPLY)
    body = reply.body or {}
    assert not body.get("flags", 0) & EPHEMERAL
    assert body["embeds"][0]["description"] == "You said: gibberish"
    assert "components" not in body or body["components"] == []


async def test_a_private_answer_to_a_click_goes_to_the_clicker_alone(
    fake: FakeDiscord, bot: TestServer
) -> None:
    """The clicked (public) message is left as it was; the clicker gets an ephemeral note."""
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("chart cpu", author=ANA))
    await fake.wait_for_call("POST", REPLY)
    message = fake.messages[next(iter(fake.messages))]
    message["components"][0]["components"][0]["custom_id"] = "sco:gibberish"
    click = fake.button_click(message, "sco:gibberish", user=BEN)
    await fake.dispatch("INTERACTION_CREATE", click)
    note = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{click['token']}")
    assert (note.body or {})["flags"] & EPHEMERAL
    assert fake.calls_to("PATCH", r"/webhooks/.*") == []
