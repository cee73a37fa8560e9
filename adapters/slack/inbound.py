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
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.model import IncomingMessage

PLATFORM = "slack"

#: Prefix of the ``action_id`` of every button the renderer makes from a core choice.
CHOICE_ACTION_PREFIX = "sco:choice:"
#: Prefix of the ``action_id`` of every select menu made from a core menu.
MENU_ACTION_PREFIX = "sco:menu:"
#: Prefix of the ``action_id`` of a button that opens a core form's dialog (a modal).
FORM_ACTION_PREFIX = "sco:form:"
#: ``callback_id`` of that modal; its submission is the form's command.
FORM_CALLBACK_ID = "sco:form"
#: ``block_id`` / ``action_id`` of the modal's one text input.
FORM_INPUT_BLOCK = "sco:text"
FORM_INPUT_ACTION = "text"
#: ``block_id`` prefix of the actions blocks holding those buttons and menus.
CHOICES_BLOCK_PREFIX = "sco:choices"

_EMPTY_QUESTION = "help"
_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]{2,}$")
_TS = re.compile(r"^\d{1,12}\.\d{1,8}$")
#: Bounds of what a form may carry (Slack: a button value is at most 2000 characters, a
#: plain-text input at most 3000).
MAX_FORM_COMMAND = 500
MAX_FORM_TEXT = 3000
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
    ephemeral: bool = False


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
    """A ``block_actions`` click on a choice button or a pick from a menu, or None for any
    other action."""
    action_id = _text(action, "action_id")
    if action_id.startswith(CHOICE_ACTION_PREFIX):
        command = _text(action, "value")
        label = _text(_mapping(action, "text"), "text") or command
    elif action_id.startswith(MENU_ACTION_PREFIX):
        picked = _mapping(action, "selected_option")
        command = _text(picked, "value")
        label = _text(_mapping(picked, "text"), "text") or command
    else:
        return None
    user = _mapping(body, "user")
    container = _mapping(body, "container")
    original = _mapping(body, "message")
    channel = _text(_mapping(body, "channel"), "id") or _text(container, "channel_id")
    user_id = _text(user, "id")
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
        label=label,
        message_ts=message_ts,
        response_url=_text(body, "response_url") or None,
        original_blocks=tuple(b for b in blocks if isinstance(b, Mapping))
        if isinstance(blocks, list)
        else (),
        ephemeral=container.get("is_ephemeral") is True,
    )


@dataclass(frozen=True, slots=True)
class FormSpec:
    """What a form button carries (its ``value``) and its modal keeps (``private_metadata``):
    the command with ``{text}``, the dialog's words, and where the answer goes."""

    command: str
    title: str
    prompt: str
    max_length: int
    channel_id: str = ""
    thread_ts: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"c": self.command, "t": self.title, "p": self.prompt, "m": self.max_length,
             "ch": self.channel_id, "th": self.thread_ts},
            separators=(",", ":"),
        )  # fmt: skip

    @classmethod
    def from_json(cls, raw: str) -> FormSpec | None:
        """The spec in ``raw``, or None unless every part is sane: a command with one
        ``{text}`` within the limits, a Slack channel id, a message ts, a sane length."""
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, Mapping):
            return None
        command, title, prompt = data.get("c"), data.get("t"), data.get("p")
        limit, channel, thread = data.get("m"), data.get("ch", ""), data.get("th")
        sane = (
            isinstance(command, str) and command.count("{text}") == 1
            and len(command) <= MAX_FORM_COMMAND
            and isinstance(title, str) and isinstance(prompt, str)
            and type(limit) is int and 1 <= limit <= MAX_FORM_TEXT
            and isinstance(channel, str) and (not channel or _CHANNEL_ID.match(channel))
            and (thread is None or (isinstance(thread, str) and _TS.match(thread)))
        )  # fmt: skip
        if not sane:
            return None
        return cls(command, title, prompt, limit, channel, thread)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class FormClick:
    """A click on a form's button: open its modal with ``trigger_id`` (valid 3 seconds)."""

    trigger_id: str
    spec: FormSpec


def from_form_click(body: Payload, action: Payload) -> FormClick | None:
    """A click on a form button, with the channel and thread of the clicked message put into
    the spec (so the submission is answered there), or None."""
    if not _text(action, "action_id").startswith(FORM_ACTION_PREFIX):
        return None
    spec = FormSpec.from_json(_text(action, "value"))
    trigger = _text(body, "trigger_id")
    container, original = _mapping(body, "container"), _mapping(body, "message")
    channel = _text(_mapping(body, "channel"), "id") or _text(container, "channel_id")
    if spec is None or not trigger or not _CHANNEL_ID.match(channel):
        return None
    message_ts = _text(original, "ts") or _text(container, "message_ts") or None
    thread = original.get("thread_ts") or container.get("thread_ts") or message_ts
    thread = thread if isinstance(thread, str) and _TS.match(thread) else None
    placed = FormSpec(spec.command, spec.title, spec.prompt, spec.max_length, channel, thread)
    return FormClick(trigger, placed)


def from_submission(body: Payload) -> IncomingMessage | None:
    """A ``view_submission`` of a form's modal: its command with the typed text, as the
    submitting user, in the channel and thread of the form's button; None when it is not
    one of ours or anything in it is not sane. The typed text is untrusted: Slack markup in
    it is made plain, and it is folded to one line and cut to the form's length."""
    view = _mapping(body, "view")
    if _text(view, "callback_id") != FORM_CALLBACK_ID:
        return None
    spec = FormSpec.from_json(_text(view, "private_metadata"))
    user = _mapping(body, "user")
    user_id = _text(user, "id")
    if spec is None or not spec.channel_id or not _USER_ID.match(user_id):
        return None
    values = _mapping(_mapping(_mapping(view, "state"), "values"), FORM_INPUT_BLOCK)
    typed = " ".join(plain_text(_text(_mapping(values, FORM_INPUT_ACTION), "value")).split())
    if not typed:
        return None
    team = _text(_mapping(body, "team"), "id") or _text(user, "team_id")
    return IncomingMessage(
        platform=PLATFORM,
        team_id=team,
        tenant_id=team or None,
        channel_id=spec.channel_id,
        user_id=user_id,
        user_name=_text(user, "username") or _text(user, "name") or user_id,
        text=spec.command.replace("{text}", typed[: spec.max_length]),
        thread_id=spec.thread_ts,
        message_id=_text(view, "id") or None,
        is_direct=spec.channel_id.startswith("D"),
    )


def submission_dedupe_key(body: Payload) -> str:
    """One answer per submitted modal (a view id is unique), however often delivered."""
    view = _mapping(body, "view")
    return f"slack:view:{_text(view, 'id')}:{_text(view, 'hash')}"


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
