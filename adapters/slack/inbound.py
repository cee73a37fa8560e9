"""Slack payloads in, the core's :class:`~bot.core.model.IncomingMessage` out. Pure functions.

Three kinds of payload reach the bot: slash commands (form fields), Events API callbacks
(``app_mention`` in channels, ``message`` in direct messages) and ``block_actions`` (a button
click). Every id taken from them is Slack's immutable one (``U…``, ``C…``, ``T…``); names are
for display only; the team (workspace) is the message's tenant. Slack's own markup in user
text (``<@U1>``, ``<#C1|ops>``, ``<!here>``, ``&amp;``) becomes plain text here, so the core
and the parser never see Slack syntax.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.model import IncomingMessage

PLATFORM = "slack"

#: Prefix of the ``action_id`` of every button the renderer makes from a core choice.
CHOICE_ACTION_PREFIX = "sco:choice:"
#: ``block_id`` prefix of the actions block holding those buttons.
CHOICES_BLOCK_PREFIX = "sco:choices"

_EMPTY_QUESTION = "help"
_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
#: Message subtypes that are still a person asking something.
_USER_SUBTYPES = frozenset({"file_share", "thread_broadcast"})

Payload = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Click:
    """A click on one of the bot's buttons.

    ``message`` is what the core receives: the choice's command, as the clicking user, in the
    channel and thread of the clicked message. The rest says how to update that message.
    """

    message: IncomingMessage
    label: str
    message_ts: str | None
    response_url: str | None
    original_blocks: tuple[Mapping[str, Any], ...]


def from_slash_command(body: Payload) -> IncomingMessage:
    """A slash command (``/ops cpu of web-1``); an empty command asks for help."""
    channel, team = _text(body, "channel_id"), _text(body, "team_id")
    return IncomingMessage(
        platform=PLATFORM,
        team_id=team,
        tenant_id=team or None,
        channel_id=channel,
        user_id=_text(body, "user_id"),
        user_name=_text(body, "user_name"),
        text=plain_text(_text(body, "text")) or _EMPTY_QUESTION,
        message_id=_text(body, "trigger_id") or None,
        is_direct=channel.startswith("D") or body.get("channel_name") == "directmessage",
    )


def from_event(body: Payload, *, bot_user_id: str | None) -> IncomingMessage | None:
    """An ``app_mention`` or direct ``message`` event, or None when the bot must not answer.

    Ignored: edits, deletions and other non-user subtypes; messages in channels (the bot
    answers there only when mentioned, via ``app_mention``); and anything a bot wrote,
    this one included, so two bots can never talk each other into a loop.
    """
    event = body.get("event")
    if not isinstance(event, Mapping):
        return None
    kind = event.get("type")
    if kind not in ("app_mention", "message") or _from_a_bot(event, bot_user_id):
        return None
    if kind == "message" and (
        event.get("channel_type") != "im"
        or event.get("subtype", None) not in (None, *_USER_SUBTYPES)
    ):
        return None
    user, channel, ts = _text(event, "user"), _text(event, "channel"), _text(event, "ts")
    if not (user and channel and ts):
        return None
    text = plain_text(_without_mention(_text(event, "text"), bot_user_id))
    team = _text(body, "team_id") or _text(event, "team")
    return IncomingMessage(
        platform=PLATFORM,
        team_id=team,
        tenant_id=team or None,
        channel_id=channel,
        user_id=user,
        user_name=user,
        text=text or _EMPTY_QUESTION,
        thread_id=_thread(event.get("thread_ts"), ts),
        message_id=ts,
        is_direct=event.get("channel_type") == "im" or channel.startswith("D"),
    )


def from_click(body: Payload, action: Payload) -> Click | None:
    """A ``block_actions`` click on a choice button, or None for any other action."""
    if not _text(action, "action_id").startswith(CHOICE_ACTION_PREFIX):
        return None
    user = _mapping(body, "user")
    container = _mapping(body, "container")
    original = _mapping(body, "message")
    channel = _text(_mapping(body, "channel"), "id") or _text(container, "channel_id")
    user_id = _text(user, "id")
    command = _text(action, "value")
    if not (user_id and channel and command):
        return None
    message_ts = _text(original, "ts") or _text(container, "message_ts") or None
    thread = original.get("thread_ts") or container.get("thread_ts")
    team = _text(_mapping(body, "team"), "id") or _text(user, "team_id")
    message = IncomingMessage(
        platform=PLATFORM,
        team_id=team,
        tenant_id=team or None,
        channel_id=channel,
        user_id=user_id,
        user_name=_text(user, "username") or _text(user, "name") or user_id,
        text=command,
        thread_id=_thread(thread, message_ts),
        message_id=_text(action, "action_ts") or None,
        is_direct=channel.startswith("D"),
    )
    blocks = original.get("blocks")
    return Click(
        message=message,
        label=_text(_mapping(action, "text"), "text") or command,
        message_ts=message_ts,
        response_url=_text(body, "response_url") or None,
        original_blocks=tuple(b for b in blocks if isinstance(b, Mapping))
        if isinstance(blocks, list)
        else (),
    )


def event_dedupe_key(body: Payload) -> str:
    """The key that makes one Events API delivery one answer, across retries and replicas.

    Slack retries a delivery with the same ``event_id`` (``X-Slack-Retry-Num`` on the retry).
    """
    event_id = _text(body, "event_id")
    if event_id:
        return f"slack:event:{event_id}"
    event = _mapping(body, "event")
    return f"slack:message:{_text(event, 'channel')}:{_text(event, 'ts')}"


def command_dedupe_key(body: Payload, signature: str | None) -> str | None:
    """The key that makes one slash command one answer, however often it is delivered.

    Over HTTP it is the request's signature, an HMAC of its timestamp and exact body: a
    replay of the signed request has the same key, a new command with the same words does
    not. Socket Mode signs nothing; there the command's ``trigger_id`` (one per invocation)
    is the key. None when neither is there (the command is then answered every time)."""
    if signature:
        return f"slack:command:{hashlib.sha256(signature.encode()).hexdigest()[:32]}"
    trigger = _text(body, "trigger_id")
    return f"slack:command:trigger:{trigger}" if trigger else None


def click_dedupe_key(click: Click) -> str:
    """One run per button, message and person, however often it is clicked or delivered.

    The clicking user is part of the key: several people answer one approval message (the
    requester's own click is refused, a second approver's must still count)."""
    message = click.message
    command = hashlib.sha256(message.text.encode("utf-8")).hexdigest()[:16]
    return f"slack:click:{message.channel_id}:{click.message_ts}:{message.user_id}:{command}"


def is_user_id(value: str) -> bool:
    """True for a Slack user id (``U…``/``W…``): safe to put in a ``<@…>`` mention."""
    return bool(_USER_ID.match(value))


def plain_text(text: str) -> str:
    """Slack's message markup turned into the plain text the user saw, trimmed.

    ``<@U1|ann>`` -> ``@ann``, ``<#C1|ops>`` -> ``#ops``, ``<!here>`` -> ``@here``,
    ``<https://x|x>`` -> ``x``, and the ``&amp;``, ``&lt;``, ``&gt;`` entities decoded.
    """
    text = _SLACK_MARKUP.sub(_markup_to_text, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.strip()


def _markup_to_text(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        if label:
            return label
        return "@" + target[1:].split("^", 1)[0]
    return label or target


def _without_mention(text: str, bot_user_id: str | None) -> str:
    if not bot_user_id:
        return text
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)


def _from_a_bot(event: Payload, bot_user_id: str | None) -> bool:
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return True
    return bool(bot_user_id) and event.get("user") == bot_user_id


def _thread(thread_ts: object, ts: str | None) -> str | None:
    """A thread id only for replies inside a thread (a thread's parent has thread_ts == ts)."""
    if isinstance(thread_ts, str) and thread_ts and thread_ts != ts:
        return thread_ts
    return None


def _text(payload: Payload, key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def _mapping(payload: Payload, key: str) -> Payload:
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}
