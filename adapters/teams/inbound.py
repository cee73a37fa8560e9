"""A Teams activity as the core's :class:`~bot.core.model.IncomingMessage`: pure translation.

Reads a Bot Framework ``Activity`` by attribute (``from_property``, ``recipient``,
``conversation``, ``entities``, ``channel_data``, ``value``, ...), the names both
botbuilder's models and the Microsoft 365 Agents SDK's use, so it does no I/O and imports no SDK.

Ids:

- ``user_id`` is the sender's Entra (AAD) object id, immutable across the tenant and every
  bot; the channel-scoped ``from.id`` only when Teams sends no object id.
- ``channel_id`` is the conversation id without the ``;messageid=`` suffix (the channel,
  group chat or personal chat); ``thread_id`` is that suffix, the root post of a channel
  thread. Replies and stored references use the same two values.
- ``team_id`` is the team's id in a channel, otherwise the tenant id.
- ``tenant_id`` is always the Entra tenant (lower case, as GUIDs compare): the unit that the
  tenant allowlist admits and that remediation requests are scoped to.

Text: the bot's own ``<at>`` mention is removed; another user's mention keeps only its name;
HTML entities Teams adds (``&nbsp;``) are decoded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.model import IncomingMessage

PLATFORM = "teams"
THREAD_MARK = ";messageid="
COMMAND_LIMIT = 1000
LABEL_LIMIT = 200
#: What a bare mention of the bot ("@SmartCloudOps" and nothing else) is taken to mean.
EMPTY_MENTION_TEXT = "help"

_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True, slots=True)
class Click:
    """An ``Action.Submit`` click: the button's command and label, and the card's id."""

    command: str
    label: str
    card_id: str | None


def to_incoming(activity: Any, *, text: str | None = None) -> IncomingMessage:
    """The message ``activity`` carries (``text`` overrides it, e.g. a click's command)."""
    channel_id, thread_id = split_conversation_id(_conversation_id(activity))
    sender = getattr(activity, "from_property", None)
    return IncomingMessage(
        platform=PLATFORM,
        team_id=team_id(activity),
        channel_id=channel_id,
        user_id=user_id(sender),
        user_name=_str(getattr(sender, "name", None)) or "someone",
        text=message_text(activity) if text is None else text,
        thread_id=thread_id,
        message_id=_str(getattr(activity, "id", None)) or None,
        is_direct=_conversation_type(activity) == "personal",
        tenant_id=tenant_of(activity).lower() or None,
    )


def click_of(activity: Any) -> Click | None:
    """The button click ``activity`` carries, or None when it is ordinary text.

    A click is a message whose ``value`` holds a string ``command`` (the data this adapter
    put on the button); anything else in ``value`` is ignored.
    """
    value = getattr(activity, "value", None)
    if not isinstance(value, Mapping):
        return None
    command = value.get("command")
    if not isinstance(command, str) or not command.strip() or len(command) > COMMAND_LIMIT:
        return None
    label = value.get("label")
    if not isinstance(label, str) or not label.strip():
        label = command
    reply_to = _str(getattr(activity, "reply_to_id", None)) or None
    return Click(command=command.strip(), label=label.strip()[:LABEL_LIMIT], card_id=reply_to)


def dedupe_key(activity: Any) -> str | None:
    """The key that makes one activity one answer across connector retries and replicas
    (its conversation and id), or None for an activity without an id."""
    activity_id = _str(getattr(activity, "id", None))
    if not activity_id:
        return None
    return f"teams:activity:{_conversation_id(activity)}:{activity_id}"


def message_text(activity: Any) -> str:
    """The user's words: the bot's mention removed, other mentions reduced to ``@name`` (the
    parser never acts on a message addressed to someone else)."""
    raw = _str(getattr(activity, "text", None))
    bot_tags = _bot_mention_texts(activity)

    def replace(match: re.Match[str]) -> str:
        if match.group(0) in bot_tags or _is_bot_name(match.group(1), activity):
            return " "
        return "@" + "".join(match.group(1).split())

    text = html.unescape(_AT_TAG.sub(replace, raw))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def user_id(account: Any) -> str:
    """The immutable id of a Teams account: its AAD object id, else its channel id."""
    return _str(getattr(account, "aad_object_id", None)) or _str(getattr(account, "id", None))


def team_id(activity: Any) -> str:
    """The team (channels) or tenant (chats) the activity belongs to."""
    data = getattr(activity, "channel_data", None)
    team = _nested(data, "team", "id")
    if team:
        return team
    tenant = _nested(data, "tenant", "id")
    if tenant:
        return tenant
    conversation = getattr(activity, "conversation", None)
    return _str(getattr(conversation, "tenant_id", None)) or PLATFORM


def tenant_of(activity: Any) -> str:
    """The Entra tenant the activity comes from (``channelData.tenant.id``, else the
    conversation's ``tenantId``); empty when it names none."""
    tenant = _nested(getattr(activity, "channel_data", None), "tenant", "id")
    conversation = getattr(activity, "conversation", None)
    return tenant or _str(getattr(conversation, "tenant_id", None))


def split_conversation_id(conversation_id: str) -> tuple[str, str | None]:
    """``19:x@thread.tacv2;messageid=17`` -> (``19:x@thread.tacv2``, ``17``)."""
    base, mark, thread = conversation_id.partition(THREAD_MARK)
    return base, (thread or None) if mark else None


def join_conversation_id(channel_id: str, thread_id: str | None) -> str:
    """The conversation id that addresses ``thread_id`` in ``channel_id`` (or the channel)."""
    return f"{channel_id}{THREAD_MARK}{thread_id}" if thread_id else channel_id


def is_bot_account(activity: Any, account: Any) -> bool:
    """Whether ``account`` (e.g. one of ``members_added``) is this bot."""
    recipient = getattr(activity, "recipient", None)
    bot = _str(getattr(recipient, "id", None))
    return bool(bot) and _str(getattr(account, "id", None)) == bot


def _bot_mention_texts(activity: Any) -> set[str]:
    recipient = _str(getattr(getattr(activity, "recipient", None), "id", None))
    found: set[str] = set()
    for entity in getattr(activity, "entities", None) or ():
        if (_str(getattr(entity, "type", None)) or "").lower() != "mention":
            continue
        mentioned = _entity_field(entity, "mentioned")
        if recipient and _nested(mentioned, "id") == recipient:
            found.add(_str(_entity_field(entity, "text")))
    return found


def _is_bot_name(name: str, activity: Any) -> bool:
    bot_name = _str(getattr(getattr(activity, "recipient", None), "name", None))
    return bool(bot_name) and html.unescape(name).strip().lower() == bot_name.strip().lower()


def _entity_field(entity: Any, name: str) -> Any:
    extra = getattr(entity, "additional_properties", None)
    if isinstance(extra, Mapping) and name in extra:
        return extra[name]
    return getattr(entity, name, None)


def _conversation_id(activity: Any) -> str:
    return _str(getattr(getattr(activity, "conversation", None), "id", None))


def _conversation_type(activity: Any) -> str:
    return _str(getattr(getattr(activity, "conversation", None), "conversation_type", None))


def _nested(data: Any, *path: str) -> str:
    for key in path:
        data = data.get(key) if isinstance(data, Mapping) else getattr(data, key, None)
    return _str(data)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
