"""The dispatcher: one path from an incoming message to a reply, for every platform.

parse (with the conversation's recent turns) -> handler -> reply, with a correlation id on
every message (the turn's, :mod:`bot.core.correlation`: the one its entry point set, else a
new one). A ``gate`` may refuse a message before anything reads it (a tenant that is not
served): its answer is sent as is, and the message is neither parsed nor remembered. User
errors become their own text; dependency failures a short, specific notice; the bot's own
overload a "busy, try again" that blames no backend (also when one of the process's lanes,
:mod:`bot.core.admission`, is full: a message finding no free turn is not even parsed, so a
command refused for load does nothing, and says so); anything else is logged (every log line
of the turn carries the id) and the user sees a short apology whose ``ref`` is that id.
If the context store is down the bot answers without context, says so once, and picks the
context up again by itself when the store returns.

Help, errors, refusals, "did you mean" and whoami are answered privately (the asker's own
business; :class:`~bot.core.model.Visibility`), everything else publicly; ``share`` posts the
asker's last private answer to the channel (:mod:`bot.core.sharing`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from bot.core.admission import LANES, Admission
from bot.core.conversation import ConversationMemory
from bot.core.correlation import correlated
from bot.core.errors import DependencyError, Overloaded, UserError
from bot.core.model import Choice, IncomingMessage, Menu, Reply, Severity, Visibility
from bot.core.ports import ContextStore, IntentParserPort
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.sharing import PrivateAnswers
from bot.core.telemetry import Telemetry
from intents.canonical import canonical_command
from intents.model import INTENT_SLOTS, STATE_CHANGING, Intent, IntentName

log = logging.getLogger(__name__)

Gate = Callable[[IncomingMessage], Reply | None]
"""Admits a message (None) or answers it with a refusal, before it is parsed."""

_CONTEXT_DOWN_NOTE = (
    'Conversation memory is unavailable right now, so follow-ups like "and memory?" need the '
    "full question until it is back."
)


#: Answers for the asker alone: help, "I did not understand", refusals and "did you mean"
#: (all ``unknown``), a yes/no with nothing to confirm, and whoami.
PRIVATE_INTENTS = frozenset(
    {IntentName.HELP, IntentName.UNKNOWN, IntentName.CONFIRM, IntentName.WHOAMI}
)


class Dispatcher:
    """Routes a message to its handler and never lets an exception reach the user."""

    def __init__(
        self,
        parser: IntentParserPort,
        context: ContextStore,
        registry: Registry,
        telemetry: Telemetry,
        *,
        history_limit: int = 10,
        clock: Callable[[], float] = time.time,
        gate: Gate | None = None,
        private_answers: PrivateAnswers | None = None,
        admission: Admission | None = None,
    ) -> None:
        self._parser = parser
        self._gate = gate
        self._memory = ConversationMemory(context, telemetry, history_limit=history_limit)
        self._registry = registry
        self._telemetry = telemetry
        self._clock = clock
        self._private = private_answers or PrivateAnswers()
        self._admission = admission or Admission.bounded()

    @property
    def registry(self) -> Registry:
        return self._registry

    @property
    def admission(self) -> Admission:
        """The lanes this dispatcher admits messages through."""
        return self._admission

    async def parse(
        self, message: IncomingMessage, now: float | None = None
    ) -> tuple[Intent, bool]:
        """The intent of ``message`` in its conversation; the flag is True when context was
        unavailable and this is the first message to notice. A ``yes`` to an open "did you
        mean" becomes the command it confirms, parsed afresh as if the user had typed it."""
        at = self._clock() if now is None else now
        history, newly_down = await self._memory.history(message.key)
        intent = self._parser.parse(message.text, history, at)
        yes = intent.slots.get("answer") == "yes"
        if intent.name is IntentName.CONFIRM and yes and intent.suggestion:
            confirmed = self._parser.parse(intent.suggestion, history, at)
            if confirmed.name is not IntentName.UNKNOWN:
                intent = confirmed
        return intent, newly_down

    async def remember(self, message: IncomingMessage, intent: Intent, at: float) -> None:
        """Keep the turn for the conversation's next messages (follow-ups, ``yes``)."""
        await self._memory.remember(message.key, intent, at)

    async def handle(self, message: IncomingMessage) -> Reply:
        with correlated() as cid:
            return await self._handle(message, cid)

    async def _handle(self, message: IncomingMessage, cid: str) -> Reply:
        started = time.perf_counter()
        refused = self._gate(message) if self._gate is not None else None
        if refused is not None:
            log.warning("refused a %s message from tenant %r [cid=%s]", message.platform,
                        message.tenant_id, cid)  # fmt: skip
            self._telemetry.errors.labels(message.platform, "not_admitted").inc()
            return self._finish(refused, cid, context_down=False)
        turns = self._admission.turns
        try:
            await turns.acquire()
        except Overloaded as exc:
            return self._finish(self._busy(message.platform, exc, cid), cid, False)
        try:
            return await self._answer(message, cid, started)
        finally:
            turns.release()

    async def _answer(self, message: IncomingMessage, cid: str, started: float) -> Reply:
        at = self._clock()
        intent, newly_down = Intent(IntentName.UNKNOWN, 0.0), False
        kind = "ok"
        parsed = False
        try:
            intent, newly_down = await self.parse(message, at)
            parsed = True
            if intent.name is IntentName.SHARE:
                reply = await self._private.share(message)
            else:
                spec = self._registry.get(intent.name) or self._registry.get(IntentName.UNKNOWN)
                reply = _visible(await self._run(spec, Request(message, intent, cid)), intent.name)
        except UserError as exc:
            kind = "user"
            text = exc.message if not exc.hint else f"{exc.message}\n{exc.hint}"
            reply = Reply(text=text, severity=Severity.WARNING, visibility=Visibility.PRIVATE)
            reply = _which_target(reply, exc.candidates, intent)
        except Overloaded as exc:
            kind = "busy"
            reply = self._busy(message.platform, exc, cid, count=False)
        except DependencyError as exc:
            kind = "dependency"
            self._telemetry.dependency_failures.labels(exc.dependency).inc()
            log.warning("dependency %s failed: %s", exc.dependency, exc.message)
            reply = Reply(
                text=f"{exc.message}\nTry again in a minute; if it persists, check `/readyz`.",
                severity=Severity.ERROR,
                visibility=Visibility.PRIVATE,
            )
        except Exception:
            kind = "internal"
            log.exception("handler for %s failed", intent.name)
            reply = Reply(
                text="Sorry, something went wrong on my side. If it keeps happening, give the "
                "ref below to whoever runs the bot.",
                severity=Severity.ERROR,
                visibility=Visibility.PRIVATE,
            )
        if parsed:
            await self.remember(message, intent, at)
        self._observe(message.platform, intent.name, kind, started)
        reply = self._finish(_echoed(reply, intent), cid, newly_down)
        if reply.private:
            await self._private.keep(message, reply)
        return reply

    async def _run(self, spec: HandlerSpec | None, request: Request) -> Reply:
        if spec is None or not spec.weighs(request.intent):
            return await _call(spec, request)
        async with self._admission.heavy.slot():
            return await spec.handler(request)

    def _busy(self, platform: str, exc: Overloaded, cid: str, *, count: bool = True) -> Reply:
        """The "busy, try again" answer; a full lane of this process quotes the ref and is
        counted in ``smartcloudops_busy_refusals``."""
        if exc.dependency not in LANES:
            log.warning("too busy for %s [cid=%s]", exc.dependency, cid)
            text = exc.message
        else:
            log.warning("busy: no free %s slot for a %s message [cid=%s]", exc.dependency,
                        platform, cid)  # fmt: skip
            self._telemetry.busy_refusals.labels(platform, exc.dependency).inc()
            text = f"{exc.message} (ref {cid})"
        if count:
            self._telemetry.errors.labels(platform, "busy").inc()
        return Reply(text=text, severity=Severity.WARNING, visibility=Visibility.PRIVATE)

    def _observe(self, platform: str, intent: str, kind: str, started: float) -> None:
        self._telemetry.messages.labels(platform, intent).inc()
        self._telemetry.handling.labels(platform, intent).observe(time.perf_counter() - started)
        if kind != "ok":
            self._telemetry.errors.labels(platform, kind).inc()

    @staticmethod
    def _finish(reply: Reply, cid: str, context_down: bool) -> Reply:
        footer = reply.footer
        if context_down:
            footer = f"{footer}\n{_CONTEXT_DOWN_NOTE}" if footer else _CONTEXT_DOWN_NOTE
        return dataclasses.replace(reply, footer=footer, correlation_id=cid)


def _visible(reply: Reply, name: IntentName) -> Reply:
    """Private when the intent's answers are the asker's own business; a handler may also
    make any answer private itself."""
    if name in PRIVATE_INTENTS and not reply.private:
        return dataclasses.replace(reply, visibility=Visibility.PRIVATE)
    return reply


WHICH_TARGET = "Which target?"


def _which_target(reply: Reply, candidates: tuple[str, ...], intent: Intent) -> Reply:
    """Offer the same command with each known target that fits what was typed ("Which
    target?"): a menu for several, a button for one. Each option is an ordinary command sent
    by whoever picks it, so a state-changing pick goes through the policy like typing it."""
    if "target" not in INTENT_SLOTS[intent.name] or "targets" in intent.slots:
        return reply
    options = tuple(
        Choice(name, command)
        for name in dict.fromkeys(candidates)
        if (command := canonical_command(intent.name.value, {**intent.slots, "target": name}))
    )
    if len(options) > 1:
        return dataclasses.replace(reply, menus=(*reply.menus, Menu(WHICH_TARGET, options)))
    return dataclasses.replace(reply, choices=(*reply.choices, *options))


def _echoed(reply: Reply, intent: Intent) -> Reply:
    """A state-changing answer starts with the command the bot understood, refusals too."""
    if intent.name in STATE_CHANGING and intent.canonical and reply.echo is None:
        return dataclasses.replace(reply, echo=intent.canonical)
    return reply


async def _call(spec: HandlerSpec | None, request: Request) -> Reply:
    if spec is None:
        raise UserError("I did not understand that. Try `help`.")
    return await spec.handler(request)
