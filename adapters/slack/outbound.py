"""Sending to Slack: the Web API calls the adapter makes, and the three ways an answer goes out.

Each outbox is a :class:`bot.core.responder.Outbox`; the Responder decides when to show the
placeholder, deliver, replace or apologise, the outbox how on Slack:

* a slash command is answered through its ``response_url`` (which works even in channels the
  bot is not a member of), the placeholder replaced with ``replace_original``;
* a mention or direct message is answered with ``chat.postMessage`` in the same thread, the
  placeholder replaced with ``chat.update``;
* a click updates the clicked message through the click's ``response_url``.

A private answer (:attr:`~bot.core.model.Reply.private`) is shown to the asker alone, with a
Share button: ``response_type: ephemeral`` through a ``response_url``, ``chat.postEphemeral``
for a mention in a channel (a public placeholder is deleted first; Slack cannot edit a message
into an ephemeral one), a plain message in a direct message (private already). Files are not
uploaded with a private answer in a channel: an upload is visible to everyone. A public answer
to a click on an ephemeral message (Share) is posted to the channel as a new message.

Charts and the full text of a cut reply go up with the files upload v2 flow
(``files.getUploadURLExternal`` -> upload -> ``files.completeUploadExternal``). Every SDK and
HTTP failure becomes :class:`~bot.core.errors.AdapterError` carrying only Slack's error code: no
token, no ``response_url`` (which is itself a credential for 30 minutes) in any message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

from adapters.slack.hooks import HookPoster, HookResponse
from adapters.slack.inbound import Click
from adapters.slack.render import (
    SlackFile,
    SlackMessage,
    render,
    render_click_outcome,
    render_notice,
    render_placeholder,
)
from bot.core.errors import AdapterError
from bot.core.model import Reply, Severity
from bot.core.sharing import with_share_button

log = logging.getLogger(__name__)

_SLACK_HOOK_DOMAINS = (".slack.com", ".slack-gov.com")
UPLOAD_FAILED_NOTE = (
    "I could not attach the chart or full text here ({error}). Invite me to this channel "
    "and ask again to get them."
)


def trusted_response_urls(api_url: str | None) -> Callable[[str], bool]:
    """Which ``response_url``s the bot will POST to: Slack's own https hosts, plus the origin
    of ``SLACK_API_URL`` (a proxy, or the local fake in tests). Signed payloads already carry
    only Slack's URLs; this keeps a leaked signing secret from turning the bot into a relay."""
    extra = urlsplit(api_url) if api_url else None
    # A URL starting with one of these names that host, however the rest is read: the
    # common case is answered without parsing the URL.
    known = tuple(
        f"{scheme}://{host}/"
        for scheme, host in [("https", "hooks.slack.com")]
        + ([(extra.scheme, extra.netloc)] if extra is not None and extra.netloc else [])
    )

    def trusted(url: str) -> bool:
        if url.startswith(known):
            return True
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme == "https" and host.endswith(_SLACK_HOOK_DOMAINS):
            return True
        return extra is not None and (parts.scheme, parts.netloc) == (extra.scheme, extra.netloc)

    return trusted


class SlackWeb:
    """The Web API and ``response_url`` calls, with failures as :class:`AdapterError`."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        session: aiohttp.ClientSession | None,
        retry_handlers: Sequence[AsyncRetryHandler],
        trusted: Callable[[str], bool],
        logger: logging.Logger | None = None,
    ) -> None:
        self._client = client
        self._logger = logger or log
        self._session = session
        self._retry_handlers = list(retry_handlers)
        self._trusted = trusted
        self._hooks = (
            None
            if session is None
            else HookPoster(session, retry_handlers=self._retry_handlers, logger=self._logger)
        )

    def with_token(self, token: str) -> SlackWeb:
        """The same Web API (base URL, HTTP session, retries, logger) as the workspace whose
        bot token is ``token``: with several workspaces, each answer goes out as its own."""
        if token == self._client.token:
            return self
        client = self._client
        own = AsyncWebClient(
            token=token,
            base_url=client.base_url,
            session=client.session,
            timeout=client.timeout,
            retry_handlers=list(client.retry_handlers),
            logger=client.logger,
        )
        return SlackWeb(
            own,
            session=self._session,
            retry_handlers=self._retry_handlers,
            trusted=self._trusted,
            logger=self._logger,
        )

    async def post(self, channel: str, thread_ts: str | None, message: SlackMessage) -> str:
        """Post ``message``; returns its ``ts``."""
        response = await self._call(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks
            ),
        )
        ts = response.get("ts")
        if not isinstance(ts, str):
            raise AdapterError("Slack chat.postMessage returned no message ts")
        return ts

    async def post_private(
        self, channel: str, user: str, thread_ts: str | None, message: SlackMessage
    ) -> None:
        """Post ``message`` for ``user`` alone (``chat.postEphemeral``)."""
        await self._call(
            "chat.postEphemeral",
            self._client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, text=message.text,
                blocks=message.blocks,
            ),
        )  # fmt: skip

    async def delete(self, channel: str, ts: str) -> None:
        await self._call("chat.delete", self._client.chat_delete(channel=channel, ts=ts))

    async def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        await self._call(
            "chat.update",
            self._client.chat_update(
                channel=channel, ts=ts, text=message.text, blocks=message.blocks
            ),
        )

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal for the user whose click gave ``trigger_id`` (``views.open``)."""
        await self._call("views.open", self._client.views_open(trigger_id=trigger_id, view=view))

    async def upload(self, channel: str, thread_ts: str | None, files: Sequence[SlackFile]) -> None:
        """Upload ``files`` into the channel (and thread) with the files upload v2 flow."""
        uploads: list[dict[str, Any]] = [
            {"file": f.content, "filename": f.filename, "title": f.title, "alt_txt": f.alt_text}
            for f in files
        ]
        await self._call(
            "files upload",
            self._client.files_upload_v2(
                file_uploads=uploads, channel=channel, thread_ts=thread_ts
            ),
        )

    async def respond(
        self,
        response_url: str,
        message: SlackMessage,
        *,
        replace: bool,
        public: bool = True,
        delete: bool = False,
    ) -> None:
        """Send ``message`` to a ``response_url`` (a new message, or replacing the original);
        with ``delete`` the original is deleted instead."""
        if not self._trusted(response_url):
            raise AdapterError("refusing a response_url that is not Slack's")
        body = {
            "text": message.text,
            "blocks": message.blocks,
            "response_type": "in_channel" if public else "ephemeral",
            "replace_original": replace,
            "delete_original": delete or None,
        }
        try:
            response = await self._post_hook(response_url, body)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            raise AdapterError(f"Slack response_url failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise AdapterError(
                f"Slack response_url answered {response.status_code}: {response.body[:80]}"
            )

    async def _post_hook(self, url: str, body: dict[str, Any]) -> HookResponse | WebhookResponse:
        if self._hooks is not None:
            return await self._hooks.send(url, body)
        hook = AsyncWebhookClient(url, retry_handlers=self._retry_handlers, logger=self._logger)
        return await hook.send_dict(body)

    @staticmethod
    async def _call(what: str, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        try:
            return await call
        except SlackApiError as exc:
            raise AdapterError(f"Slack {what} failed: {exc.response.get('error')}") from exc
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            raise AdapterError(f"Slack {what} failed: {type(exc).__name__}") from exc


class ResponseUrlOutbox:
    """A slash command's answer, through its ``response_url``: visible to the channel (the
    placeholder replaced with ``replace_original``), or to the asker alone (the placeholder
    deleted)."""

    def __init__(self, web: SlackWeb, response_url: str, channel_id: str) -> None:
        self._web = web
        self._url = response_url
        self._channel = channel_id
        self._placeholder_shown = False

    async def acknowledge(self) -> None:
        """Bolt's ``ack()`` already did, before the work was handed over."""

    async def placeholder(self) -> None:
        await self._web.respond(self._url, render_placeholder(), replace=False)
        self._placeholder_shown = True

    async def deliver(self, reply: Reply) -> None:
        await self._send(reply, replace=False)

    async def replace(self, reply: Reply) -> None:
        await self._send(reply, replace=True)

    async def apologise(self, text: str) -> None:
        await self._web.respond(self._url, render_notice(text), replace=self._placeholder_shown)

    async def _send(self, reply: Reply, *, replace: bool) -> None:
        if reply.private:
            if replace:
                await self._web.respond(
                    self._url, SlackMessage(text=""), replace=False, delete=True
                )
            await self._tell_privately(render(with_share_button(reply)))
            return
        message = render(reply)
        await self._web.respond(self._url, message, replace=replace)
        await _attach(self._web, self._channel, None, message.files, self._tell_privately)

    async def _tell_privately(self, note: SlackMessage) -> None:
        await self._web.respond(self._url, note, replace=False, public=False)


class ThreadOutbox:
    """An answer to a mention or direct message: posted in the question's thread (or at top
    level for a top-level question), the placeholder edited into the answer (``chat.update``).
    A private answer in a channel goes to ``user`` alone (``chat.postEphemeral``)."""

    def __init__(
        self,
        web: SlackWeb,
        channel_id: str,
        thread_ts: str | None,
        *,
        user_id: str = "",
        is_direct: bool = True,
    ) -> None:
        self._web = web
        self._channel = channel_id
        self._thread = thread_ts
        self._user = user_id
        self._can_whisper = bool(user_id) and not is_direct
        self._placeholder_ts: str | None = None

    async def acknowledge(self) -> None:
        """Bolt acknowledged the event before the work was handed over."""

    async def placeholder(self) -> None:
        self._placeholder_ts = await self._web.post(
            self._channel, self._thread, render_placeholder()
        )

    async def deliver(self, reply: Reply) -> None:
        if reply.private and self._can_whisper:
            await self._whisper(reply)
            return
        message = render(reply)
        await self._web.post(self._channel, self._thread, message)
        await self._attach(message)

    async def replace(self, reply: Reply) -> None:
        if reply.private and self._can_whisper:
            if self._placeholder_ts is not None:
                await self._web.delete(self._channel, self._placeholder_ts)
                self._placeholder_ts = None
            await self._whisper(reply)
            return
        message = render(reply)
        await self._post_or_update(message)
        await self._attach(message)

    async def _whisper(self, reply: Reply) -> None:
        message = render(with_share_button(reply))
        if message.files:
            log.info("not uploading %d files with a private answer", len(message.files))
        await self._web.post_private(self._channel, self._user, self._thread, message)

    async def apologise(self, text: str) -> None:
        await self._post_or_update(render_notice(text))

    async def _post_or_update(self, message: SlackMessage) -> None:
        if self._placeholder_ts is None:
            await self._web.post(self._channel, self._thread, message)
        else:
            await self._web.update(self._channel, self._placeholder_ts, message)

    async def _attach(self, message: SlackMessage) -> None:
        await _attach(self._web, self._channel, self._thread, message.files, self._tell)

    async def _tell(self, note: SlackMessage) -> None:
        await self._web.post(self._channel, self._thread, note)


#: Slack error codes meaning the bot cannot post (or edit) in that conversation.
CANNOT_POST_THERE = (
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "message_not_found",
    "cant_update_message",
    "restricted_action",
)


def cannot_post_there(exc: AdapterError) -> str | None:
    """The Slack error code of ``exc`` when it means "not there", else None."""
    code = str(exc).rsplit(": ", 1)[-1]
    return code if code in CANNOT_POST_THERE else None


class DialogOutbox(ThreadOutbox):
    """A dialog's answer: like a mention's, in the channel and thread of the button that
    opened it. A request made with ``/ops`` in a channel the app was never invited to has
    its buttons there, but the app cannot post there; the answer then goes to the submitter's
    direct messages with the app, saying why, instead of being lost."""

    _ELSEWHERE = (
        "I could not answer in the channel of your request (Slack: {code}). "
        "Invite me there (`/invite @SmartCloudOps`) to get answers in the channel."
    )

    async def deliver(self, reply: Reply) -> None:
        try:
            await super().deliver(reply)
        except AdapterError as exc:
            await self._directly(exc, render(reply))

    async def replace(self, reply: Reply) -> None:
        try:
            await super().replace(reply)
        except AdapterError as exc:
            await self._directly(exc, render(reply))

    async def apologise(self, text: str) -> None:
        try:
            await super().apologise(text)
        except AdapterError as exc:
            await self._directly(exc, render_notice(text))

    async def _directly(self, exc: AdapterError, message: SlackMessage) -> None:
        code = cannot_post_there(exc)
        if code is None or not self._user:
            raise exc
        log.info("Slack dialog answer sent to the submitter directly (%s)", code)
        await self._web.post(self._user, None, render_notice(self._ELSEWHERE.format(code=code)))
        await self._web.post(self._user, None, message)


class ClickOutbox:
    """A click's outcome: the clicked message updated in place to say who chose what (at once
    as the placeholder, if the answer is slow), followed by the core's answer (through the
    click's ``response_url``, else ``chat.update``).

    A private answer to a click on a public message (a refusal) goes to the clicker alone and
    leaves the message as it was; a public answer to a click on an ephemeral message (Share)
    is posted to the channel and the ephemeral message removed."""

    def __init__(self, web: SlackWeb, click: Click) -> None:
        self._web = web
        self._click = click
        self._placeholder_shown = False

    async def acknowledge(self) -> None:
        """Bolt's ``ack()`` already did, before the work was handed over."""

    async def placeholder(self) -> None:
        await self._replace(None)
        self._placeholder_shown = True

    async def deliver(self, reply: Reply) -> None:
        url = self._click.response_url
        if url and reply.private and not self._click.ephemeral:
            if self._placeholder_shown:
                original = SlackMessage(
                    text=" ", blocks=tuple(map(dict, self._click.original_blocks))
                )
                await self._web.respond(url, original, replace=True)
            await self._web.respond(
                url, render(with_share_button(reply)), replace=False, public=False
            )
            return
        if url and not reply.private and self._click.ephemeral:
            message = render(reply)
            await self._web.respond(url, message, replace=False)
            await self._web.respond(url, SlackMessage(text=""), replace=False, delete=True)
            return
        message = await self._replace(reply)
        where = self._click.message
        await _attach(self._web, where.channel_id, where.thread_id, message.files, self._tell)

    async def replace(self, reply: Reply) -> None:
        await self.deliver(reply)

    async def apologise(self, text: str) -> None:
        await self._replace(Reply(text=text, severity=Severity.ERROR))

    async def _replace(self, reply: Reply | None) -> SlackMessage:
        click = self._click
        message = render_click_outcome(
            click.original_blocks, label=click.label, user_id=click.message.user_id, reply=reply
        )
        if click.response_url:
            await self._web.respond(click.response_url, message, replace=True)
        elif click.message_ts:
            await self._web.update(click.message.channel_id, click.message_ts, message)
        else:
            raise AdapterError("a Slack click without response_url or message ts")
        return message

    async def _tell(self, note: SlackMessage) -> None:
        where = self._click.message
        if self._click.response_url:
            await self._web.respond(self._click.response_url, note, replace=False, public=False)
        else:
            await self._web.post(where.channel_id, where.thread_id, note)


async def _attach(
    web: SlackWeb,
    channel: str,
    thread_ts: str | None,
    files: Sequence[SlackFile],
    tell: Callable[[SlackMessage], Awaitable[None]],
) -> None:
    """Upload the answer's files; if Slack refuses (typically ``not_in_channel``), say so
    rather than fail the answer that was already delivered."""
    if not files:
        return
    try:
        await web.upload(channel, thread_ts, files)
    except AdapterError as exc:
        log.warning("could not upload to Slack in %s: %s", channel, exc)
        await tell(SlackMessage(text=UPLOAD_FAILED_NOTE.format(error=_slack_error(exc))))


def _slack_error(exc: AdapterError) -> str:
    return str(exc).rsplit(": ", 1)[-1]
