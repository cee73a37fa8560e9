"""The Slack adapter: Bolt listeners that hand every question to the core and send the answer.

Slack wants an acknowledgement within 3 seconds, so every listener acknowledges first and
does the work in a task of its own (:meth:`SlackAdapter.drain` waits for those on shutdown).
A slow answer shows "Working on it…" after ``placeholder_after`` seconds, later replaced.

Duplicates: Slack redelivers an event it thinks was missed (``X-Slack-Retry-Num``, same
``event_id``), and with several replicas the redelivery can land on another one; a claim in
the shared dedupe store (Redis across replicas) lets exactly one delivery be answered. If that
store is down, a first delivery is answered (better twice than never) and a retry is not.
Slash commands are claimed too, by their signature: a signed command replayed within the
signature window (on any replica) is acknowledged but not run again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack import inbound
from adapters.slack.outbound import ClickOutbox, Outbox, ResponseUrlOutbox, SlackWeb, ThreadOutbox
from bot.core.errors import AdapterError, DependencyError
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.ports import DedupeStore
from bot.core.progress import with_placeholder

log = logging.getLogger(__name__)

Handle = Callable[[IncomingMessage], Awaitable[Reply]]

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
_CHOICE_ACTION = re.compile("^" + re.escape(inbound.CHOICE_ACTION_PREFIX))


@dataclass(frozen=True, slots=True)
class _Once:
    """A dedupe claim: the key, how long it holds, and what to do if the store is down."""

    key: str
    ttl_seconds: int
    fail_open: bool


class SlackAdapter:
    """Translates Slack traffic for the core: listeners in, outboxes out, nothing else."""

    def __init__(
        self,
        handle: Handle,
        web: SlackWeb,
        dedupe: DedupeStore,
        *,
        placeholder_after: float = PLACEHOLDER_AFTER_SECONDS,
    ) -> None:
        self._handle = handle
        self._web = web
        self._dedupe = dedupe
        self._placeholder_after = placeholder_after
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, app: AsyncApp) -> None:
        """Attach the listeners to a Bolt app (HTTP mode and Socket Mode share them)."""
        app.command(_ANY_COMMAND)(self._on_command)
        app.event("app_mention")(self._on_event)
        app.event("message")(self._on_event)
        app.action(_CHOICE_ACTION)(self._on_click)

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
        once = _Once(key, COMMAND_DEDUPE_TTL_SECONDS, fail_open=True) if key else None
        outbox = ResponseUrlOutbox(self._web_for(context), url, message.channel_id)
        self._spawn(self._converse(message, outbox, once))

    async def _on_event(
        self, body: dict[str, Any], context: AsyncBoltContext, request: AsyncBoltRequest
    ) -> None:
        message = inbound.from_event(body, bot_user_id=context.bot_user_id)
        if message is None:
            return
        retried = retry_count(request.headers) > 0
        key = inbound.event_dedupe_key(body)
        outbox = ThreadOutbox(self._web_for(context), message.channel_id, message.thread_id)
        once = _Once(key, EVENT_DEDUPE_TTL_SECONDS, fail_open=not retried)
        self._spawn(self._converse(message, outbox, once))

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
        once = _Once(inbound.click_dedupe_key(click), CLICK_DEDUPE_TTL_SECONDS, fail_open=True)
        self._spawn(self._converse(click.message, ClickOutbox(self._web_for(context), click), once))

    def _web_for(self, context: AsyncBoltContext) -> SlackWeb:
        """The Web API as the workspace the request came from (the token Bolt's authorize
        found for it), so with several workspaces each answer goes out as its own."""
        token = context.bot_token
        return self._web.with_token(token) if token else self._web

    async def _first(self, once: _Once) -> bool:
        """Whether this delivery is the one to answer."""
        try:
            return await self._dedupe.claim(once.key, once.ttl_seconds)
        except DependencyError as exc:
            log.warning("dedupe store down (%s); %s", exc.message,
                        "answering" if once.fail_open else "skipping a redelivery")  # fmt: skip
            return once.fail_open

    async def _converse(
        self, message: IncomingMessage, outbox: Outbox, once: _Once | None = None
    ) -> None:
        """Ask the core, showing a placeholder if it is slow, then deliver the answer; with
        ``once``, only if this delivery wins the claim. All of it runs in a tracked task."""
        try:
            if once is not None and not await self._first(once):
                return
            reply, _ = await with_placeholder(
                self._handle(message), after=self._placeholder_after, on_slow=outbox.placeholder
            )
            await outbox.deliver(reply)
        except AdapterError as exc:
            log.warning("could not answer on Slack in %s: %s", message.channel_id, exc)
            await _apologise(outbox, exc)
        except Exception:
            log.exception("answering on Slack in %s failed", message.channel_id)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _apologise(outbox: Outbox, exc: AdapterError) -> None:
    """Replace a placeholder (or the silence) with a short note when Slack refused the answer
    itself, e.g. ``invalid_blocks``; if Slack is unreachable this fails too, and is logged."""
    note = Reply(text=f"Sorry, Slack refused my answer ({exc}).", severity=Severity.ERROR)
    try:
        await outbox.deliver(note)
    except AdapterError as again:
        log.warning("could not tell the Slack user either: %s", again)


def retry_count(headers: Mapping[str, Sequence[str]]) -> int:
    """``X-Slack-Retry-Num`` as a number (0 for a first delivery; Bolt lower-cases names)."""
    values = headers.get("x-slack-retry-num") or ()
    try:
        return int(values[0]) if values else 0
    except ValueError:
        return 0
