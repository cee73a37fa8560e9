"""Discord -> the core: which messages address the bot, and as what :class:`IncomingMessage`.

Pure translation. :func:`facts_of_message` / :func:`facts_of_interaction` copy the few fields
that matter out of discord.py objects into frozen values; everything else here works on those
values, so the rules (mention, prefix, DM, bots ignored, threads) are tested without a gateway.
Ids are snowflakes rendered as strings: immutable, safe to authorise on. Names are display only.
The guild is the message's tenant; a direct message has none (it belongs to no guild).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.core.model import IncomingMessage

PLATFORM = "discord"
DIRECT_TEAM = "dm"
BARE_MENTION_TEXT = "help"
_SEPARATORS = " \t\r\n,:;"
_PLAIN_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


@dataclass(frozen=True, slots=True)
class Place:
    """Where something was said. In a thread, ``channel_id`` is the parent channel and
    ``thread_id`` the thread, so the thread's conversation is its own."""

    guild_id: int | None
    channel_id: int
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """The parts of a gateway MESSAGE_CREATE the adapter reads."""

    message_id: int
    content: str
    author: Person
    place: Place
    mention_ids: frozenset[int]
    is_plain: bool = True


@dataclass(frozen=True, slots=True)
class InteractionFacts:
    """The parts of an INTERACTION_CREATE (slash command or button click) the adapter reads."""

    interaction_id: int
    user: Person
    place: Place


def facts_of_message(message: discord.Message) -> MessageFacts:
    guild_id = message.guild.id if message.guild is not None else None
    return MessageFacts(
        message_id=message.id,
        content=message.content,
        author=_person(message.author),
        place=place_of(message.channel, message.channel.id, guild_id),
        mention_ids=frozenset(u.id for u in message.mentions) | set(message.raw_mentions),
        is_plain=message.type in _PLAIN_MESSAGE_TYPES and message.webhook_id is None,
    )


def facts_of_interaction(interaction: discord.Interaction[discord.Client]) -> InteractionFacts:
    channel_id = interaction.channel_id or 0
    return InteractionFacts(
        interaction_id=interaction.id,
        user=_person(interaction.user),
        place=place_of(interaction.channel, channel_id, interaction.guild_id),
    )


def place_of(channel: object, channel_id: int, guild_id: int | None) -> Place:
    if isinstance(channel, discord.Thread):
        return Place(guild_id, channel.parent_id, channel.id)
    return Place(guild_id, channel_id)


def addressed_text(facts: MessageFacts, *, bot_id: int, prefix: str | None) -> str | None:
    """The text meant for the bot, or None when the message is not for it.

    A message is for the bot when it is a plain user message (not a bot, webhook or system
    message) and it is in a DM, mentions the bot, or starts with ``prefix``. The mention or
    prefix is removed; a bare mention means ``help``.
    """
    if facts.author.is_bot or facts.author.id == bot_id or not facts.is_plain:
        return None
    if facts.place.guild_id is None or bot_id in facts.mention_ids:
        return _strip_mention(facts.content, bot_id) or BARE_MENTION_TEXT
    if prefix is not None:
        return _after_prefix(facts.content, prefix)
    return None


def from_message(facts: MessageFacts, *, bot_id: int, prefix: str | None) -> IncomingMessage | None:
    text = addressed_text(facts, bot_id=bot_id, prefix=prefix)
    if text is None:
        return None
    return _incoming(facts.author, facts.place, text, facts.message_id)


def from_interaction(facts: InteractionFacts, text: str) -> IncomingMessage:
    """A slash command's text, or a clicked button's command, as said by the clicking user."""
    return _incoming(facts.user, facts.place, text.strip(), facts.interaction_id)


def dedupe_key(kind: str, event_id: int) -> str:
    """The key that makes one gateway event (``kind`` "message" or "interaction") one answer,
    however many replicas receive it."""
    return f"discord:{kind}:{event_id}"


def _incoming(person: Person, place: Place, text: str, event_id: int) -> IncomingMessage:
    return IncomingMessage(
        platform=PLATFORM,
        team_id=str(place.guild_id) if place.guild_id is not None else DIRECT_TEAM,
        channel_id=str(place.channel_id),
        user_id=str(person.id),
        user_name=person.name,
        text=text,
        thread_id=str(place.thread_id) if place.thread_id is not None else None,
        message_id=str(event_id),
        is_direct=place.guild_id is None,
        tenant_id=str(place.guild_id) if place.guild_id is not None else None,
    )


def _person(user: discord.User | discord.Member | discord.abc.User) -> Person:
    return Person(id=user.id, name=user.display_name, is_bot=user.bot)


def _strip_mention(content: str, bot_id: int) -> str:
    """The text without the bot's own mention; anyone else's mention becomes a plain
    ``@<id>``, so the parser sees a message addressed to someone else (and never acts)."""
    without = re.sub(rf"<@!?{bot_id}>[,:;]?", " ", content)
    without = _OTHER_MENTION.sub(lambda m: f"@{m.group(1)}", without)
    return re.sub(r"[ \t]{2,}", " ", without).strip().lstrip(_SEPARATORS).strip()


_OTHER_MENTION = re.compile(r"<@[!&]?(\d+)>")


def _after_prefix(content: str, prefix: str) -> str | None:
    stripped = content.lstrip()
    if not stripped.casefold().startswith(prefix.casefold()):
        return None
    rest = stripped[len(prefix) :]
    if rest and prefix[-1].isalnum() and rest[0] not in _SEPARATORS:
        return None
    return rest.lstrip(_SEPARATORS).strip() or BARE_MENTION_TEXT
