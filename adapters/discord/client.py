"""The discord.py client: minimum intents, ``/ops`` with autocomplete, buttons, no pings.

Intents (see the README's Discord section): ``guilds`` (channel and thread cache, so replies
land in the right place), ``guild_messages`` and ``dm_messages`` (to see messages at all).
Discord shows a bot the content of messages that mention it and of DMs without the privileged
``message_content`` intent, so that intent is requested only when a command prefix is
configured. Every send carries ``allowed_mentions`` that allow nothing, both as the client's
default and explicitly per call.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import discord
import yarl
from discord import app_commands

from adapters.discord.buttons import ChoiceButton
from adapters.discord.chat import DiscordChat
from adapters.discord.controls import ChoiceMenu, FormButton, FormSpec, form_modal, form_submission
from adapters.discord.options import DiscordOptions
from adapters.discord.render import NO_MENTIONS
from bot.core.correlation import correlated
from bot.core.errors import AdapterError

log = logging.getLogger(__name__)

COMMAND_NAME = "ops"
COMMAND_DESCRIPTION = "Ask SmartCloudOps: metrics, status, alerts, anomalies, actions"
TEXT_DESCRIPTION = "What you want, e.g. cpu of web-1 over the last 4h"


def gateway_intents(prefix: str | None) -> discord.Intents:
    """The least the adapter needs; ``message_content`` only for prefix mode."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = prefix is not None
    return intents


def point_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send REST calls to ``api_base`` and connect the gateway to ``gateway_url`` (a proxy or a
    local fake). discord.py keeps both process-wide."""
    if api_base is not None:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class OpsClient(discord.Client):
    """One gateway session's client. Built anew for every lease tenure (a closed discord.py
    client cannot be started again)."""

    def __init__(self, chat: DiscordChat, options: DiscordOptions) -> None:
        super().__init__(
            intents=gateway_intents(options.prefix),
            allowed_mentions=NO_MENTIONS,
            shard_id=options.shard_id,
            shard_count=options.shard_count,
            guild_ready_timeout=options.guild_ready_timeout,
            max_messages=None,
            chunk_guilds_at_startup=False,
        )
        self.chat = chat
        self._sync = options.sync_commands
        self.tree: app_commands.CommandTree[OpsClient] = app_commands.CommandTree(self)
        self.tree.add_command(ops_command())

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ChoiceButton, ChoiceMenu, FormButton)
        if self._sync:
            await self._sync_commands()

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None:
            return
        with _reported("message"):
            await self.chat.on_message(message, self.user.id)

    async def answer_command(self, interaction: discord.Interaction[Any], text: str) -> None:
        with _reported("slash command"):
            await self.chat.on_command(interaction, text)

    async def answer_choice(
        self, interaction: discord.Interaction[Any], command: str, label: str
    ) -> None:
        with _reported("button click"):
            await self.chat.on_choice(interaction, command, label)

    async def open_form(
        self, interaction: discord.Interaction[Any], spec: FormSpec, label: str
    ) -> None:
        """A form button: answer the click with the form's modal (within the 3 seconds)."""
        with _reported("form click"):
            try:
                await interaction.response.send_modal(form_modal(spec, label))
            except discord.HTTPException as exc:
                raise AdapterError(f"Discord refused a dialog: HTTP {exc.status}") from exc

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A submitted form: its command with the typed text, as the submitter."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        submitted = form_submission(interaction.data)
        if submitted is None:
            return
        spec, typed = submitted
        with _reported("form submission"):
            await self.chat.on_command(interaction, spec.filled(typed))

    async def _sync_commands(self) -> None:
        """Register ``/ops`` globally when Discord's copy differs (the sync is rate-limited
        by Discord, so an unchanged command is not re-sent on every start). The raw payloads
        are compared: discord.py's parsed ``AppCommand`` does not round-trip ``contexts``."""
        if self.application_id is None:
            return
        try:
            remote = await self.http.get_global_commands(self.application_id)
            local = [c.to_dict(self.tree) for c in self.tree.get_commands()]
            if sorted(map(_signature, local)) != sorted(map(_signature, remote)):
                await self.tree.sync()
                log.info("registered the /%s command with Discord", COMMAND_NAME)
        except discord.HTTPException as exc:
            log.warning(
                "could not register /%s: HTTP %s (code %s)", COMMAND_NAME, exc.status, exc.code
            )


@contextlib.contextmanager
def _reported(kind: str) -> Iterator[None]:
    """One event as one turn (its log lines share a correlation id); an
    :class:`AdapterError` from it is logged instead of letting discord.py print it."""
    with correlated():
        try:
            yield
        except AdapterError as exc:
            log.warning("discord %s not answered: %s", kind, exc)


def _signature(command: Mapping[str, Any]) -> tuple[Any, ...]:
    options = tuple(
        (o.get("name"), o.get("description"), o.get("type"), bool(o.get("required")),
         bool(o.get("autocomplete")))
        for o in command.get("options") or ()
    )  # fmt: skip
    return (command.get("name"), command.get("description"), command.get("type", 1), options,
            tuple(sorted(command.get("contexts") or ())))  # fmt: skip


@app_commands.describe(text=TEXT_DESCRIPTION)
async def _ops(interaction: discord.Interaction[OpsClient], text: str) -> None:
    await interaction.client.answer_command(interaction, text)


async def _ops_complete(
    interaction: discord.Interaction[OpsClient], current: str
) -> list[app_commands.Choice[str]]:
    words = await interaction.client.chat.on_autocomplete(current)
    return [app_commands.Choice(name=w, value=w) for w in words]


def ops_command() -> app_commands.Command[Any, ..., None]:
    """``/ops <text>``, usable in servers and in DMs with the bot."""
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=COMMAND_NAME, description=COMMAND_DESCRIPTION, callback=_ops
    )
    command.allowed_contexts = app_commands.AppCommandContext(guild=True, dm_channel=True)
    command.autocomplete("text")(_ops_complete)
    return command
