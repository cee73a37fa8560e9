"""The Discord adapter's knobs, checked once when built."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DiscordOptions:
    """How the Discord adapter runs.

    ``prefix`` (e.g. ``!ops``) lets channel messages address the bot without a mention; it
    needs the privileged Message Content intent, so it is off unless configured. Timings are
    in seconds: ``placeholder_after`` is when a slow answer to a message gets "Working on it…"
    (kept under Discord's 3 s interaction deadline, although interactions are now deferred
    as soon as they arrive). A standby replica polls the shard lease every
    ``standby_poll`` seconds; a dead holder's lease lapses after ``lease_ttl``. Replicas of
    one bot share ``lease_namespace`` (two bots with different tokens must not).
    ``api_base``/``gateway_url`` point the client somewhere other than discord.com (a proxy
    or a local fake); they are process-wide in discord.py.
    """

    token: str = field(repr=False)
    prefix: str | None = None
    shard_id: int = 0
    shard_count: int = 1
    placeholder_after: float = 2.0
    guild_ready_timeout: float = 2.0
    lease_ttl: float = 15.0
    lease_renew_every: float = 5.0
    standby_poll: float = 5.0
    lease_namespace: str = "sco:discord"
    dedupe_ttl_seconds: int = 600
    sync_commands: bool = True
    api_base: str | None = None
    gateway_url: str | None = None

    def __post_init__(self) -> None:
        if not self.token:
            raise ConfigError("DISCORD_TOKEN is empty")
        if self.prefix is not None and (not self.prefix or self.prefix != self.prefix.strip()):
            raise ConfigError("discord_prefix must be non-empty text without surrounding spaces")
        if not 0 <= self.shard_id < self.shard_count:
            raise ConfigError(f"discord shard {self.shard_id} is outside 0..{self.shard_count - 1}")
        if not 0 < self.lease_renew_every * 2 < self.lease_ttl:
            raise ConfigError("the Discord lease must be renewed at least twice per TTL")
        if not 0 < self.placeholder_after < 3:
            raise ConfigError("placeholder_after must be under Discord's 3 s interaction deadline")
