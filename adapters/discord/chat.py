"""One Discord event in, one answer out: messages, ``/ops`` commands and button clicks.

Each answer is claimed first: the replica must hold the shard's lease (:class:`Fence`) and be
the first to claim the event id in the shared dedupe store, so one message gets one answer even
if two replicas briefly both see it. Slow answers get Discord's native placeholders: a "Working
on it…" reply that is edited into the answer, a deferred ("thinking") interaction followed by a
follow-up, or a deferred button update followed by an edit of the original message.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import discord

from adapters.discord import inbound
from adapters.discord.complete import Vocabulary
from adapters.discord.lease import Fence
from adapters.discord.render import EMBED_TOTAL_LIMIT, NO_MENTIONS, Rendered, render
from bot.core.errors import AdapterError, DependencyError
from bot.core.model import IncomingMessage, Reply
from bot.core.ports import DedupeStore
from bot.core.progress import WORKING_ON_IT, with_placeholder

log = logging.getLogger(__name__)

Handle = Callable[[IncomingMessage], Awaitable[Reply]]
Interaction = discord.Interaction[Any]
MAX_EMBEDS = 10


class DiscordChat:
    """Translates Discord events for the core (``handle``) and renders its replies back."""

    def __init__(
        self,
        handle: Handle,
        dedupe: DedupeStore,
        vocabulary: Vocabulary,
        fence: Fence,
        *,
        prefix: str | None,
        placeholder_after: float,
        dedupe_ttl_seconds: int,
    ) -> None:
        self._handle = handle
        self._dedupe = dedupe
        self._vocabulary = vocabulary
        self._fence = fence
        self._prefix = prefix
        self._after = placeholder_after
        self._ttl = dedupe_ttl_seconds

    async def on_message(self, message: discord.Message, bot_id: int) -> None:
        """Answer ``message`` if it is for the bot (mention, prefix or DM)."""
        facts = inbound.facts_of_message(message)
        incoming = inbound.from_message(facts, bot_id=bot_id, prefix=self._prefix)
        if incoming is None or not await self._claim("message", message.id):
            return
        placeholder: list[discord.Message] = []

        async def working() -> None:
            with _logged("placeholder"):
                placeholder.append(
                    await message.reply(
                        WORKING_ON_IT, mention_author=False, allowed_mentions=NO_MENTIONS
                    )
                )

        reply, _ = await with_placeholder(
            self._handle(incoming), after=self._after, on_slow=working
        )
        rendered = render(reply)
        async with _translated("reply to a message"):
            if placeholder:
                await _replace(placeholder[0], rendered)
            else:
                await message.reply(mention_author=False, **rendered.message_kwargs())

    async def on_command(self, interaction: Interaction, text: str) -> None:
        """Answer ``/ops text``: in the interaction response, or deferred plus a follow-up."""
        incoming = inbound.from_interaction(inbound.facts_of_interaction(interaction), text)
        if not await self._claim("interaction", interaction.id):
            return

        async def thinking() -> None:
            await interaction.response.defer(thinking=True)

        async with _translated("answer a slash command"):
            reply, deferred = await with_placeholder(
                self._handle(incoming), after=self._after, on_slow=thinking
            )
            rendered = render(reply)
            if deferred:
                await interaction.followup.send(**rendered.message_kwargs())
            else:
                await interaction.response.send_message(**rendered.message_kwargs())

    async def on_choice(self, interaction: Interaction, command: str, label: str) -> None:
        """A button click: ``command`` goes to the core as the clicking user; the message with
        the button is edited to show who chose what and the core's answer."""
        facts = inbound.facts_of_interaction(interaction)
        if not await self._claim("interaction", interaction.id):
            return

        async def acknowledge() -> None:
            await interaction.response.defer()

        async with _translated("update a clicked message"):
            reply, deferred = await with_placeholder(
                self._handle(inbound.from_interaction(facts, command)),
                after=self._after,
                on_slow=acknowledge,
            )
            outcome = f"{facts.user.name} chose {label}"
            rendered = render(reply, outcome=outcome, file_prefix=f"{interaction.id}-")
            edit = _outcome_edit(interaction.message, rendered)
            if deferred:
                await interaction.edit_original_response(**edit)
            else:
                await interaction.response.edit_message(**edit)

    async def on_autocomplete(self, current: str) -> list[str]:
        return await self._vocabulary.suggest(current)

    async def _claim(self, kind: str, event_id: int) -> bool:
        """Whether this replica answers event ``event_id`` (lease held, first to claim it)."""
        if not self._fence.holds():
            log.info(
                "not answering discord %s %s: this replica does not hold the shard", kind, event_id
            )
            return False
        try:
            return await self._dedupe.claim(f"discord:{kind}:{event_id}", self._ttl)
        except DependencyError as exc:
            log.warning("dedupe unavailable (%s); answering under the shard lease alone", exc)
            return True


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


async def _replace(placeholder: discord.Message, rendered: Rendered) -> None:
    await placeholder.edit(
        content=None,
        embed=rendered.embed,
        attachments=rendered.files(),
        view=rendered.view(),
        allowed_mentions=NO_MENTIONS,
    )


@contextlib.asynccontextmanager
async def _translated(action: str) -> AsyncIterator[None]:
    """discord.py's HTTP errors become :class:`AdapterError` (status and code, no payload)."""
    try:
        yield
    except discord.HTTPException as exc:
        raise AdapterError(
            f"Discord refused to {action}: HTTP {exc.status} (code {exc.code})"
        ) from exc


@contextlib.contextmanager
def _logged(action: str) -> Iterator[None]:
    try:
        yield
    except discord.HTTPException as exc:
        log.warning(
            "could not post the discord %s: HTTP %s (code %s)", action, exc.status, exc.code
        )
