"""The Slack adapter: Bolt listeners that hand every question to the core and send the answer.

Slack wants an acknowledgement within 3 seconds, so every listener acknowledges first and
does the work in a task of its own (:meth:`SlackAdapter.drain` waits for those on shutdown).
Each task is one :meth:`~bot.core.responder.Responder.respond`: the Responder claims the
delivery, shows "Working on it…" when the answer is slow, delivers it and apologises on
failure; this module supplies only the outbox and the delivery's key.

Duplicates: Slack redelivers an event it thinks was missed (``X-Slack-Retry-Num``, same
``event_id``), and with several replicas the redelivery can land on another one; the key is
the event id, and a retry is marked as a redelivery (skipped while the dedupe store is down).
Slash commands are keyed by their signature (a signed command replayed within the signature
window, on any replica, is acknowledged but not run again), clicks by button, message and user.

Controls: a button or a pick from a select menu is its command sent as the clicking user; a
form's button opens a modal (``views.open``, within the click's 3-second trigger), and the
modal's submission (``view_submission``) is the form's command with the typed text, sent as
the submitter and answered in the channel and thread where the button was.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack import inbound
from adapters.slack.outbound import (
    ClickOutbox,
    DialogOutbox,
    ResponseUrlOutbox,
    SlackWeb,
    ThreadOutbox,
)
from adapters.slack.render import render_form_modal
from bot.core.errors import AdapterError
from bot.core.model import IncomingMessage, Reply
from bot.core.responder import Delivery, Outbox, Responder

log = logging.getLogger(__name__)


#: What the Slack app must grant and subscribe to for these listeners (the manifests in
#: ``deploy/slack`` are checked against these by the tests).
BOT_SCOPES = frozenset({"app_mentions:read", "chat:write", "commands", "files:write", "im:history"})
BOT_EVENTS = frozenset({"app_mention", "message.im"})
COMMAND = "/ops"

PLACEHOLDER_AFTER_SECONDS = 1.5
#: Slack retries an event for up to about an hour; a click is a one-off.
EVENT_DEDUPE_TTL_SECONDS = 3600
CLICK_DEDUPE_TTL_SECONDS = 24 * 3600
#: A signed command can be replayed while its timestamp is within 5 minutes either side of
#: the clock, so its claim outlives that whole window.
COMMAND_DEDUPE_TTL_SECONDS = 15 * 60

_ANY_COMMAND = re.compile(r"^/")
_CHOICE_ACTION = re.compile(
    f"^(?:{re.escape(inbound.CHOICE_ACTION_PREFIX)}|{re.escape(inbound.MENU_ACTION_PREFIX)})"
)
_FORM_ACTION = re.compile("^" + re.escape(inbound.FORM_ACTION_PREFIX))


class SlackAdapter:
    """Translates Slack traffic for the core: listeners in, outboxes out, nothing else."""

    def __init__(self, responder: Responder, web: SlackWeb) -> None:
        self._responder = responder
        self._web = web
        self._tasks: set[asyncio.Task[Reply | None]] = set()

    def register(self, app: AsyncApp) -> None:
        """Attach the listeners to a Bolt app (HTTP mode and Socket Mode share them)."""
        app.command(_ANY_COMMAND)(self._on_command)
        app.event("app_mention")(self._on_event)
        app.event("message")(self._on_event)
        app.action(_CHOICE_ACTION)(self._on_click)
        app.action(_FORM_ACTION)(self._on_form)
        app.view(inbound.FORM_CALLBACK_ID)(self._on_submission)

    async def drain(self, within_seconds: float | None = None) -> None:
        """Wait for the answers still being worked on (on shutdown, and in tests)."""
        while self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=within_seconds)
            if pending:
                log.warning("%d Slack answers still running at shutdown", len(pending))
                return

    async def _on_command(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        message = inbound.from_slash_command(body)
        url = body.get("response_url")
        if not isinstance(url, str) or not url:
            log.warning("a Slack slash command without response_url was ignored")
            return
        signatures = request.headers.get("x-slack-signature") or ()
        key = inbound.command_dedupe_key(body, signatures[0] if signatures else None)
        outbox = ResponseUrlOutbox(self._web_for(context), url, message.channel_id)
        self._answer(message, outbox, Delivery(key, COMMAND_DEDUPE_TTL_SECONDS))

    async def _on_event(
        self, body: dict[str, Any], context: AsyncBoltContext, request: AsyncBoltRequest
    ) -> None:
        message = inbound.from_event(body, bot_user_id=context.bot_user_id)
        if message is None:
            return
        delivery = Delivery(
            inbound.event_dedupe_key(body),
            EVENT_DEDUPE_TTL_SECONDS,
            redelivery=retry_count(request.headers) > 0,
        )
        outbox = ThreadOutbox(
            self._web_for(context), message.channel_id, message.thread_id,
            user_id=message.user_id, is_direct=message.is_direct,
        )  # fmt: skip
        self._answer(message, outbox, delivery)

    async def _on_click(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        click = inbound.from_click(body, action)
        if click is None:
            return
        delivery = Delivery(inbound.click_dedupe_key(click), CLICK_DEDUPE_TTL_SECONDS)
        self._answer(click.message, ClickOutbox(self._web_for(context), click), delivery)

    async def _on_form(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        """Open the form's modal at once: its trigger is valid for 3 seconds."""
        await ack()
        click = inbound.from_form_click(body, action)
        if click is None:
            log.warning("a Slack form click that was not sane was ignored")
            return
        try:
            await self._web_for(context).open_view(click.trigger_id, render_form_modal(click.spec))
        except AdapterError as exc:
            log.warning("could not open a Slack dialog: %s", exc)

    async def _on_submission(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """Close the modal and answer its command where the form's button was."""
        await ack()
        message = inbound.from_submission(body)
        if message is None:
            log.warning("a Slack dialog submission that was not sane was ignored")
            return
        delivery = Delivery(inbound.submission_dedupe_key(body), CLICK_DEDUPE_TTL_SECONDS)
        outbox = DialogOutbox(
            self._web_for(context), message.channel_id, message.thread_id,
            user_id=message.user_id, is_direct=message.is_direct,
        )  # fmt: skip
        self._answer(message, outbox, delivery)

    def _web_for(self, context: AsyncBoltContext) -> SlackWeb:
        """The Web API as the workspace the request came from (the token Bolt's authorize
        found for it), so with several workspaces each answer goes out as its own."""
        token = context.bot_token
        return self._web.with_token(token) if token else self._web

    def _answer(self, message: IncomingMessage, outbox: Outbox, delivery: Delivery) -> None:
        """Respond in a task of its own (tracked, so :meth:`drain` can wait for it)."""
        task = asyncio.create_task(self._responder.respond(message, outbox, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def retry_count(headers: Mapping[str, Sequence[str]]) -> int:
    """``X-Slack-Retry-Num`` as a number (0 for a first delivery; Bolt lower-cases names)."""
    values = headers.get("x-slack-retry-num") or ()
    try:
        return int(values[0]) if values else 0
    except ValueError:
        return 0
