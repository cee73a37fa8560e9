"""The Discord adapter's options fail fast on nonsense, naming the problem."""

from __future__ import annotations

import pytest

from adapters.discord.client import gateway_intents
from adapters.discord.options import DiscordOptions
from bot.app.config import Settings
from bot.app.wiring.discord import discord_options
from bot.core.errors import ConfigError


def test_options_come_from_the_token_with_mentions_only_by_default() -> None:
    options = discord_options(Settings(discord_token="t0ken"))
    assert (options.token, options.prefix, options.shard_id, options.shard_count) == (
        "t0ken", None, 0, 1,
    )  # fmt: skip
    assert "t0ken" not in repr(options)


def test_no_token_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        discord_options(Settings())


@pytest.mark.parametrize(
    "changes",
    [
        {"prefix": " !ops"},
        {"prefix": ""},
        {"shard_id": 2, "shard_count": 2},
        {"lease_ttl": 5.0, "lease_renew_every": 3.0},
        {"placeholder_after": 3.5},
    ],
)
def test_inconsistent_options_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        DiscordOptions(token="t", **changes)  # type: ignore[arg-type]


def test_message_content_is_requested_only_for_a_prefix() -> None:
    plain, prefixed = gateway_intents(None), gateway_intents("!ops")
    assert (plain.guilds, plain.guild_messages, plain.dm_messages) == (True, True, True)
    assert not plain.message_content
    assert prefixed.message_content
    assert plain.value == (1 << 0) | (1 << 9) | (1 << 12)
