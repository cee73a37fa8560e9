"""The Teams bot: one ``ActivityHandler`` that hands messages and button clicks to the core
and renders its replies as Adaptive Cards.

Per message activity (personal chat, group chat or channel):

1. the conversation's reference is stored, so alerts can be posted there later;
2. text goes to the core as the sender (their AAD object id); a click on one of our buttons
   (a message whose ``value`` holds ``command``) goes to the core as the *clicking* user, and
   the clicked card is updated in place to show who chose what and the outcome
   (:mod:`adapters.teams.outgoing` has the two outboxes);
3. the :class:`~bot.core.responder.Responder` answers once per conversation and activity id (a
   connector retry or a second replica is skipped), with a "Working on it…" card first when
   the answer is slow, and an apology with a ref if it fails.

Invokes, answered in the HTTP response (:mod:`adapters.teams.endpoint` runs them inline):

- ``adaptiveCard/action`` (Universal Actions, :mod:`adapters.teams.actions`): a person's
  click or menu pick runs its command as them, answered with their card
  (:class:`~adapters.teams.outgoing.ActionOutbox`), or with "Working on it…" when the answer
  is not in within the invoke deadline, the answer then following on its own
  (:mod:`adapters.teams.late`); a ``refresh`` only reads that person's view of the card
  (:mod:`adapters.teams.views`) and never runs anything;
- ``task/fetch`` / ``task/submit`` (:mod:`adapters.teams.dialogs`): a form's dialog, then its
  filled command run as the submitter, answered in the conversation the dialog came from;
- ``fileConsent/invoke`` (:mod:`adapters.teams.files`): a long answer offered as a file in a
  personal chat, uploaded on accept.

Installing or adding the bot stores the reference too; removing it forgets it.

With ``tenant_id`` set (``TEAMS_TENANT_ID``), an activity of any other tenant, or naming none,
is dropped before any of this: logged, not answered, nothing stored. Bot Framework
authentication proves the activity came through the Bot Framework, not from which tenant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.core.teams import TeamsActivityHandler

from adapters.teams.actions import (
    card_response,
    click_of_execute,
    error_response,
    execute_of,
    message_response,
    refresh_card_id,
)
from adapters.teams.dialogs import EMPTY, closing_message, dialog_response, form_of, submitted_text
from adapters.teams.files import DECLINED, FAILED, FileOffers, PendingFile, file_info_activity
from adapters.teams.inbound import (
    EMPTY_MENTION_TEXT,
    click_of,
    dedupe_key,
    is_bot_account,
    message_text,
    split_conversation_id,
    tenant_of,
    to_incoming,
    user_id,
)
from adapters.teams.late import INVOKE_DEADLINE_SECONDS, LateClicks
from adapters.teams.outgoing import ActionOutbox, CardOutbox, Conversation, ReplyOutbox
from adapters.teams.references import ReferenceBook, ReferenceStore
from adapters.teams.render import render_notice
from adapters.teams.retry import RetryPolicy, own_retries
from adapters.teams.views import CardViews, Viewer, views_key
from bot.core.model import IncomingMessage
from bot.core.responder import Delivery, Outbox, Responder, Timer

log = logging.getLogger(__name__)

PLACEHOLDER_AFTER_SECONDS = 1.5
#: How long an activity id is remembered; Bot Framework redeliveries come within minutes.
DEDUPE_TTL_SECONDS = 6 * 3600


ALREADY_HANDLED = "Already handled."
UNKNOWN_ACTION = "That button is not one of mine, or its card is out of date."


class TeamsBot(TeamsActivityHandler):  # type: ignore[misc]  # botbuilder ships no type hints
    """Translates Teams activities for the core (through ``responder``) and renders its
    replies. ``documents`` keeps per-viewer card views and files offered but not yet
    accepted (Redis when configured, so any replica can answer the invoke that follows).
    A click's invoke is answered within ``invoke_deadline`` seconds (waited with ``timer``);
    :meth:`drain` waits for the answers that outlasted it."""

    def __init__(
        self,
        responder: Responder,
        references: ReferenceBook,
        *,
        documents: ReferenceStore,
        retry: RetryPolicy | None = None,
        dedupe_ttl: int = DEDUPE_TTL_SECONDS,
        tenant_id: str | None = None,
        app_id: str = "",
        allow_http_uploads: bool = False,
        invoke_deadline: float = INVOKE_DEADLINE_SECONDS,
        timer: Timer = asyncio.sleep,
    ) -> None:
        super().__init__()
        self._app_id = app_id
        self._tenant = tenant_id.lower() if tenant_id else None
        self._responder = responder
        self._references = references
        self._retry = retry or RetryPolicy()
        self._dedupe_ttl = dedupe_ttl
        self._views = CardViews(documents)
        self._files = FileOffers(documents, allow_http=allow_http_uploads)
        self._clicks = LateClicks(deadline=invoke_deadline, timer=timer)

    async def drain(self) -> None:
        """Wait for (and, past a bound, cancel) clicks' answers that outlasted their invoke."""
        await self._clicks.drain()

    async def on_turn(self, turn_context: Any) -> None:
        activity = turn_context.activity
        if self._tenant is not None and tenant_of(activity).lower() != self._tenant:
            log.warning(
                "teams: dropped a %s activity from tenant %r (only %s is served)",
                activity.type,
                tenant_of(activity) or "none",
                self._tenant,
            )
            return
        own_retries(turn_context)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: Any) -> None:
        activity = turn_context.activity
        await self._references.remember(activity)
        conversation = self._conversation(turn_context)
        message, outbox = self._question(activity, conversation)
        await self._responder.respond(message, outbox, self._delivery(activity))

    async def on_invoke_activity(self, turn_context: Any) -> InvokeResponse | None:
        name = turn_context.activity.name
        if name == "adaptiveCard/action":
            return _invoke(await self._card_action(turn_context))
        if name == "task/fetch":
            return _invoke(self._dialog(turn_context.activity))
        if name == "task/submit":
            return _invoke(await self._dialog_submitted(turn_context))
        return await super().on_invoke_activity(turn_context)

    async def on_teams_file_consent_accept(self, turn_context: Any, response: Any) -> None:
        viewer = user_id(turn_context.activity.from_property)
        pending = await self._files.take(response.context, viewer)
        conversation = self._conversation(turn_context)
        if not isinstance(pending, PendingFile):
            await conversation.reply(render_notice(pending))
            return
        upload = response.upload_info
        if upload is None or not await self._files.upload(pending, upload.upload_url or ""):
            await conversation.reply(render_notice(FAILED))
            return
        await conversation.send(file_info_activity(upload))

    async def on_teams_file_consent_decline(self, turn_context: Any, response: Any) -> None:
        viewer = user_id(turn_context.activity.from_property)
        pending = await self._files.take(response.context, viewer)
        text = DECLINED if isinstance(pending, PendingFile) else pending
        await self._conversation(turn_context).reply(render_notice(text))

    async def on_conversation_update_activity(self, turn_context: Any) -> None:
        activity = turn_context.activity
        if any(is_bot_account(activity, m) for m in activity.members_removed or ()):
            await self._references.forget(activity)
        elif any(is_bot_account(activity, m) for m in activity.members_added or ()):
            await self._references.remember(activity)

    async def on_installation_update_add(self, turn_context: Any) -> None:
        await self._references.remember(turn_context.activity)

    async def on_installation_update_remove(self, turn_context: Any) -> None:
        await self._references.forget(turn_context.activity)

    # ----------------------------------------------------------------------- invokes

    async def _card_action(self, turn_context: Any) -> dict[str, Any]:
        """A Universal Actions invoke: a person's click (acts) or a refresh (only reads)."""
        activity = turn_context.activity
        execute = execute_of(activity.value)
        if execute is None:
            return error_response("The invoke holds no Action.Execute.")
        viewer = _viewer(activity)
        channel_id, _ = split_conversation_id(_conversation_id(activity))
        refresh = refresh_card_id(execute)
        if refresh is not None:
            card_id = _str(activity.reply_to_id) or refresh
            card = await self._views.refreshed(views_key(channel_id, card_id), card_id, viewer)
            return card_response(card) if card is not None else message_response("Up to date.")
        clicked = _str(activity.reply_to_id) or None
        click = click_of_execute(execute, clicked)
        if click is None:
            return error_response(UNKNOWN_ACTION)
        await self._references.remember(activity)
        delivery = self._delivery(activity)
        running = self._clicks.running(delivery.key)
        if running is not None:  # Teams retrying an invoke whose answer is still running
            return card_response(running.answer_now())
        message = to_incoming(activity, text=click.command)
        outbox = ActionOutbox(
            self._conversation(turn_context),
            click,
            viewer,
            views=self._views,
            views_key=views_key(channel_id, clicked or ""),
            outcome=f"{message.user_name} chose “{click.label}”",
        )
        work = self._responder.respond(message, outbox, delivery)
        card = await self._clicks.answer(delivery.key, outbox, work)
        if card is None:
            return message_response(ALREADY_HANDLED)
        return card_response(card)

    def _dialog(self, activity: Any) -> dict[str, Any]:
        form = form_of(_data(activity.value))
        if form is None:
            return closing_message(UNKNOWN_ACTION)
        return dialog_response(form)

    async def _dialog_submitted(self, turn_context: Any) -> dict[str, Any] | None:
        """A filled dialog: its command, as the submitter, answered in the conversation."""
        activity = turn_context.activity
        data = _data(activity.value)
        form = form_of(data)
        if form is None:
            return closing_message(UNKNOWN_ACTION)
        text = submitted_text(data)
        if not text.strip():
            return closing_message(EMPTY)
        await self._references.remember(activity)
        message = to_incoming(activity, text=form.filled(text))
        outbox = ReplyOutbox(self._conversation(turn_context))
        await self._responder.respond(message, outbox, self._delivery(activity))
        return None

    # ----------------------------------------------------------------------- helpers

    def _conversation(self, turn_context: Any) -> Conversation:
        return Conversation(turn_context, self._retry, app_id=self._app_id)

    def _delivery(self, activity: Any) -> Delivery:
        return Delivery(dedupe_key(activity), self._dedupe_ttl)

    def _question(
        self, activity: Any, conversation: Conversation
    ) -> tuple[IncomingMessage, Outbox]:
        """What the core is asked, as whom, and where the answer goes: text from the sender,
        answered in a reply; a button's command (a click on an ``Action.Submit`` card from a
        client without Universal Actions) from the clicking user, answered on its card."""
        click = click_of(activity)
        if click is None:
            text = message_text(activity) or EMPTY_MENTION_TEXT
            message = to_incoming(activity, text=text)
            return message, ReplyOutbox(conversation, files=self._files, user_id=message.user_id)
        message = to_incoming(activity, text=click.command)
        outcome = f"{message.user_name} chose “{click.label}”"
        return message, CardOutbox(conversation, click.card_id, outcome)


def _invoke(body: dict[str, Any] | None) -> InvokeResponse:
    return InvokeResponse(status=200, body=body)


def _viewer(activity: Any) -> Viewer:
    sender = activity.from_property
    return Viewer(user_id=user_id(sender), mri=_str(getattr(sender, "id", None)))


def _data(value: Any) -> Any:
    return value.get("data") if isinstance(value, Mapping) else None


def _conversation_id(activity: Any) -> str:
    return _str(getattr(getattr(activity, "conversation", None), "id", None))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
