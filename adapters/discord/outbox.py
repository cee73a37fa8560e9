"""Where a Discord answer goes: one :class:`bot.core.responder.Outbox` per kind of event.

* :class:`MessageOutbox`, a message that addressed the bot: no acknowledgement is needed; a
  slow answer gets a "Working on it…" reply that is edited into the answer.
* :class:`CommandOutbox`, ``/ops``: the interaction is deferred ("thinking…") as soon as it
  arrives, before the claim or anything else that could be slow, since Discord drops an
  interaction not acknowledged within 3 s; the answer is the follow-up that replaces it.
* :class:`ChoiceOutbox`, a button click: deferred at once (a deferred update), then the clicked
  message is edited to show who chose what and the answer.

discord.py's HTTP errors become :class:`~bot.core.errors.AdapterError` (status and code only).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord

from adapters.discord.render import EMBED_TOTAL_LIMIT, NO_MENTIONS, Rendered, escape, render
from bot.core.errors import AdapterError
from bot.core.model import Reply
from bot.core.responder import WORKING_ON_IT

Interaction = discord.Interaction[Any]
MAX_EMBEDS = 10


class MessageOutbox:
    """The answer to ``message``, as a reply to it."""

    def __init__(self, message: discord.Message) -> None:
        self._message = message
        self._placeholder: discord.Message | None = None

    async def acknowledge(self) -> None:
        """A message has no deadline to acknowledge it by."""

    async def placeholder(self) -> None:
        async with _translated("post the placeholder"):
            self._placeholder = await self._message.reply(
                WORKING_ON_IT, mention_author=False, allowed_mentions=NO_MENTIONS
            )

    async def deliver(self, reply: Reply) -> None:
        rendered = render(reply)
        async with _translated("reply to a message"):
            await self._message.reply(mention_author=False, **rendered.message_kwargs())

    async def replace(self, reply: Reply) -> None:
        if self._placeholder is None:
            await self.deliver(reply)
            return
        rendered = render(reply)
        async with _translated("reply to a message"):
            await self._placeholder.edit(
                content=None,
                embed=rendered.embed,
                attachments=rendered.files(),
                view=rendered.view(),
                allowed_mentions=NO_MENTIONS,
            )

    async def apologise(self, text: str) -> None:
        async with _translated("apologise"):
            if self._placeholder is None:
                await self._message.reply(
                    escape(text), mention_author=False, allowed_mentions=NO_MENTIONS
                )
            else:
                await self._placeholder.edit(
                    content=escape(text), embed=None, attachments=[], view=None,
                    allowed_mentions=NO_MENTIONS,
                )  # fmt: skip


class CommandOutbox:
    """The answer to ``/ops``: the deferred interaction's follow-up."""

    def __init__(self, interaction: Interaction) -> None:
        self._interaction = interaction

    async def acknowledge(self) -> None:
        async with _translated("defer a slash command"):
            await self._interaction.response.defer(thinking=True)

    async def placeholder(self) -> None:
        """Discord has shown "thinking…" since the deferral."""

    async def deliver(self, reply: Reply) -> None:
        rendered = render(reply)
        async with _translated("answer a slash command"):
            await self._interaction.followup.send(**rendered.message_kwargs())

    async def replace(self, reply: Reply) -> None:
        await self.deliver(reply)

    async def apologise(self, text: str) -> None:
        async with _translated("apologise"):
            await self._interaction.followup.send(escape(text), allowed_mentions=NO_MENTIONS)


class ChoiceOutbox:
    """The answer to a click: the clicked message edited to add ``outcome`` ("Ann chose
    Approve") and the answer, its old buttons gone."""

    def __init__(self, interaction: Interaction, outcome: str) -> None:
        self._interaction = interaction
        self._outcome = outcome

    async def acknowledge(self) -> None:
        async with _translated("defer a button click"):
            await self._interaction.response.defer()

    async def placeholder(self) -> None:
        """The deferred update is all Discord shows of a click in progress."""

    async def deliver(self, reply: Reply) -> None:
        interaction = self._interaction
        rendered = render(reply, outcome=self._outcome, file_prefix=f"{interaction.id}-")
        async with _translated("update a clicked message"):
            await interaction.edit_original_response(**_outcome_edit(interaction.message, rendered))

    async def replace(self, reply: Reply) -> None:
        await self.deliver(reply)

    async def apologise(self, text: str) -> None:
        async with _translated("apologise"):
            await self._interaction.followup.send(
                escape(text), ephemeral=True, allowed_mentions=NO_MENTIONS
            )


def _outcome_edit(message: discord.Message | None, rendered: Rendered) -> dict[str, Any]:
    """Edit arguments that keep what the message showed, add the outcome, drop old buttons."""
    kept = list(message.embeds) if message is not None else []
    embeds = [*kept[-(MAX_EMBEDS - 1) :], rendered.embed] if kept else [rendered.embed]
    while len(embeds) > 1 and sum(len(e) for e in embeds) > EMBED_TOTAL_LIMIT:
        embeds.pop(0)
    old_files = list(message.attachments) if message is not None else []
    return {
        "embeds": embeds,
        "attachments": [*old_files, *rendered.files()],
        "view": rendered.view(),
        "allowed_mentions": NO_MENTIONS,
    }


@contextlib.asynccontextmanager
async def _translated(action: str) -> AsyncIterator[None]:
    """discord.py's HTTP errors become :class:`AdapterError` (status and code, no payload)."""
    try:
        yield
    except discord.HTTPException as exc:
        raise AdapterError(
            f"Discord refused to {action}: HTTP {exc.status} (code {exc.code})"
        ) from exc
