"""Proactive posts on Discord: REST only, same rendering, no pings, clear errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord.client import point_at
from adapters.discord.poster import DiscordPoster
from bot.core.errors import AdapterError, NotFoundError
from bot.core.model import Chart, Reply, Severity
from bot.core.ports import ChannelRef, PostedRef
from tests.fakes.discord_bot import PNG, fake_discord
from tests.fakes.discord_checks import assert_nobody_pinged
from tests.fakes.discord_server import CHANNEL_ID, GUILD_ID, THREAD_ID, TOKEN, FakeDiscord

ALERT = Reply(
    title="HighLatency firing on checkout-api",
    text="p95 latency 2.3 s (threshold 1 s). @everyone",
    charts=(Chart("Latency", PNG, "latency.png", "p95 latency of checkout-api"),),
    severity=Severity.CRITICAL,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord() as server:
        point_at(server.api_base, server.gateway_url)
        yield server
        assert_nobody_pinged(server)


@pytest.fixture
async def poster(fake: FakeDiscord) -> AsyncIterator[DiscordPoster]:
    poster = DiscordPoster(TOKEN)
    yield poster
    await poster.aclose()


async def test_a_post_is_an_embed_with_its_chart_and_can_be_updated_in_place(
    fake: FakeDiscord, poster: DiscordPoster
) -> None:
    posted = await poster.post(ChannelRef("discord", GUILD_ID, CHANNEL_ID), ALERT)
    (call,) = fake.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert call.body["embeds"][0]["title"] == ALERT.title
    assert call.body["embeds"][0]["color"] == 0xED4245
    assert [f.data for f in call.files] == [PNG]
    assert posted == PostedRef("discord", CHANNEL_ID, posted.message_id)
    assert posted.message_id in fake.messages

    await poster.update(posted, Reply(text="Resolved.", severity=Severity.SUCCESS))
    (edit,) = fake.calls_to("PATCH", rf"/channels/{CHANNEL_ID}/messages/{posted.message_id}")
    assert edit.body["embeds"][0]["description"] == "Resolved."
    assert fake.connections == [], "posting never opens a gateway session"


async def test_a_post_into_a_thread_goes_to_the_thread(
    fake: FakeDiscord, poster: DiscordPoster
) -> None:
    posted = await poster.post(ChannelRef("discord", GUILD_ID, CHANNEL_ID, THREAD_ID), ALERT)
    assert fake.calls_to("POST", rf"/channels/{THREAD_ID}/messages")
    assert (posted.channel_id, posted.thread_id) == (CHANNEL_ID, THREAD_ID)


async def test_an_unknown_channel_is_not_found(poster: DiscordPoster) -> None:
    with pytest.raises(NotFoundError):
        await poster.post(ChannelRef("discord", GUILD_ID, "1299999999999999999"), ALERT)


async def test_a_rejected_token_is_an_adapter_error(fake: FakeDiscord) -> None:
    poster = DiscordPoster("wrong-token")
    with pytest.raises(AdapterError):
        await poster.post(ChannelRef("discord", GUILD_ID, CHANNEL_ID), ALERT)
    await poster.aclose()
