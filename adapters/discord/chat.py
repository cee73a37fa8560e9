"""One Discord event in, one answer out: messages, ``/ops`` commands and button clicks.

A replica answers only while it holds the shard's lease (:class:`Fence`, a local check).
Everything else is the core's :class:`~bot.core.responder.Responder`: acknowledging first (a
deferral, for interactions), claiming the event id in the shared dedupe store so one event gets
one answer even if two replicas briefly both see it, the "Working on it…" placeholder, the
answer and the apology. This module picks the outbox (:mod:`adapters.discord.outbox`) and the
event's key.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord import inbound
from adapters.discord.complete import Vocabulary
from adapters.discord.lease import Fence
from adapters.discord.outbox import ChoiceOutbox, CommandOutbox, Interaction, MessageOutbox
from bot.core.responder import Delivery, Responder

log = logging.getLogger(__name__)


class DiscordChat:
    """Translates Discord events for the core (through ``responder``)."""

    def __init__(
        self,
        responder: Responder,
        vocabulary: Vocabulary,
        fence: Fence,
        *,
        prefix: str | None,
        dedupe_ttl_seconds: int,
    ) -> None:
        self._responder = responder
        self._vocabulary = vocabulary
        self._fence = fence
        self._prefix = prefix
        self._ttl = dedupe_ttl_seconds

    async def on_message(self, message: discord.Message, bot_id: int) -> None:
        """Answer ``message`` if it is for the bot (mention, prefix or DM)."""
        facts = inbound.facts_of_message(message)
        incoming = inbound.from_message(facts, bot_id=bot_id, prefix=self._prefix)
        if incoming is None or not self._holds("message", message.id):
            return
        delivery = self._delivery("message", message.id)
        await self._responder.respond(incoming, MessageOutbox(message), delivery)

    async def on_command(self, interaction: Interaction, text: str) -> None:
        """Answer ``/ops text``: deferred at once, answered by a follow-up."""
        incoming = inbound.from_interaction(inbound.facts_of_interaction(interaction), text)
        if not self._holds("interaction", interaction.id):
            return
        delivery = self._delivery("interaction", interaction.id)
        await self._responder.respond(incoming, CommandOutbox(interaction), delivery)

    async def on_choice(self, interaction: Interaction, command: str, label: str) -> None:
        """A button click: ``command`` goes to the core as the clicking user; the message with
        the button is edited to show who chose what and the core's answer."""
        facts = inbound.facts_of_interaction(interaction)
        if not self._holds("interaction", interaction.id):
            return
        outbox = ChoiceOutbox(interaction, f"{facts.user.name} chose {label}")
        delivery = self._delivery("interaction", interaction.id)
        await self._responder.respond(inbound.from_interaction(facts, command), outbox, delivery)

    async def on_autocomplete(self, current: str) -> list[str]:
        return await self._vocabulary.suggest(current)

    def _holds(self, kind: str, event_id: int) -> bool:
        """Whether this replica holds the shard (and so may answer event ``event_id``)."""
        if self._fence.holds():
            return True
        log.info(
            "not answering discord %s %s: this replica does not hold the shard", kind, event_id
        )
        return False

    def _delivery(self, kind: str, event_id: int) -> Delivery:
        return Delivery(inbound.dedupe_key(kind, event_id), self._ttl)
