"""Answering exactly once: the one path from a delivered message to its answer, on every platform.

An adapter translates a platform event into an :class:`IncomingMessage` and hands it to
:meth:`Responder.respond` with two things of its own: an :class:`Outbox` (how its platform
acknowledges, shows a placeholder, delivers, replaces and apologises) and a :class:`Delivery`
(the platform's id of this delivery). The Responder then, in this order:

1. skips a delivery whose key this process has already seen (kept in memory for the claim's
   TTL; with a store in this process, a :class:`~bot.core.ports.LocalDedupeStore`, the store's
   own claims are asked instead of a second copy of every key), without a word to the
   platform or the store;
2. **acknowledges** (:meth:`Outbox.acknowledge`) before anything that may be slow, the claim
   included: Discord drops an interaction not acknowledged within 3 s. An outbox that cannot
   acknowledge cannot answer (or another replica already did), so nothing else happens;
3. **claims** the delivery's key in the shared :class:`~bot.core.ports.DedupeStore` (Redis
   across replicas): the first delivery of a key is answered, every later one (a platform
   retry, the same event at a second replica) is skipped;
4. **asks the core**; when the answer takes longer than ``placeholder_after`` seconds it shows
   a placeholder ("Working on it…") and later **replaces** it with the answer, where the
   platform can edit (elsewhere the outbox posts the answer anew);
5. **apologises** on any failure (the platform refused the answer, or something broke): the
   user sees a short note quoting a ref, the correlation id, never a traceback; the log has the
   details on lines carrying that id.

Each response is one turn (:mod:`bot.core.correlation`): it joins the id its entry point set
(the HTTP request's) or starts one, so every log line of it, the core's included, carries the
id the reply or apology quotes.

The rule when the dedupe store is unreachable, the same on every platform: **a first delivery
is answered; a delivery the platform marks as a redelivery (Slack's ``X-Slack-Retry-Num``) is
skipped**, as it was most likely answered when it first came. Better a question answered twice
than not at all: without the store two replicas may both answer one delivery, or answer a
redelivery the platform does not mark. That never makes an action run twice: an action runs
only under its own claim in the remediation store (a unique idempotency key in the database,
failing closed), so a repeated approval is told the request was already handled. At worst a
repeated "restart X" files a second request, which needs its own approvals.

A delivery without a key (the console; a Slack command with neither signature nor trigger id)
is answered every time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.correlation import correlated, current_correlation_id, new_correlation_id
from bot.core.errors import AdapterError, DependencyError
from bot.core.expiring import ExpiringKeys
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.ports import DedupeStore, LocalDedupeStore

log = logging.getLogger(__name__)

WORKING_ON_IT = "Working on it…"

Handle = Callable[[IncomingMessage], Awaitable[Reply]]
#: Waits the given number of seconds (by default the event loop's clock; tests pass one
#: driven by an event).
Timer = Callable[[float], Awaitable[None]]

DEFAULT_DEDUPE_TTL_SECONDS = 3600
#: Deliveries this process remembers claiming (a repeat is skipped before it is acknowledged
#: or claimed; beyond this many, the oldest are left to the dedupe store alone).
SEEN_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a message, as its platform identifies it.

    ``key`` names the delivery across retries and replicas (Slack's event id, a Teams activity
    id, a Discord interaction or message id); None answers every delivery. The claim on it
    holds for ``ttl_seconds``, longer than the platform keeps redelivering. ``redelivery`` is
    True when the platform says this is a retry of an earlier delivery.
    """

    key: str | None = None
    ttl_seconds: int = DEFAULT_DEDUPE_TTL_SECONDS
    redelivery: bool = False


EVERY_TIME = Delivery()


class Outbox(Protocol):
    """Where one answer goes, implemented per platform with its SDK.

    Every method raises :class:`~bot.core.errors.AdapterError` when the platform fails (SDK
    errors translated, carrying no token or credential URL). The outbox remembers what it
    posted (the placeholder's message id) so that :meth:`replace` and :meth:`apologise` can
    edit it.
    """

    async def acknowledge(self) -> None:
        """Tell the platform the event was received, if it insists on hearing that quickly
        (Discord's interaction deferral); nothing elsewhere. Called first, always."""
        ...

    async def placeholder(self) -> None:
        """Show that an answer is coming ("Working on it…"); called once, if the core is slow."""
        ...

    async def deliver(self, reply: Reply) -> None:
        """Post the answer (no placeholder is shown)."""
        ...

    async def replace(self, reply: Reply) -> None:
        """Turn the shown placeholder into the answer: an edit where the platform can, else
        (or when the edit is refused) the answer posted anew."""
        ...

    async def apologise(self, text: str) -> None:
        """Post ``text``, a one-line plain apology, in place of the placeholder if one is
        shown. As plain as the platform allows, so it does not fail the way the answer did."""
        ...


class Responder:
    """Answers each delivered message once, around the core's ``handle`` (see the module
    docstring for the order of things and the rule for an unreachable dedupe store)."""

    def __init__(
        self,
        handle: Handle,
        dedupe: DedupeStore | None = None,
        *,
        placeholder_after: float,
        timer: Timer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._handle = handle
        self._dedupe = dedupe
        self._after = placeholder_after
        self._timer = timer
        #: Keys claimed here, when the store is elsewhere (Redis); a store in this process
        #: already holds each of them until its TTL is over, so they are not kept twice.
        self._seen: ExpiringKeys | None = None
        self._holds: Callable[[str], bool]
        if isinstance(dedupe, LocalDedupeStore):
            self._holds = dedupe.holds
        else:
            self._seen = ExpiringKeys(clock, limit=SEEN_LIMIT)
            self._holds = self._seen.holds

    async def respond(
        self, message: IncomingMessage, outbox: Outbox, delivery: Delivery = EVERY_TIME
    ) -> Reply | None:
        """Answer ``message`` through ``outbox`` unless ``delivery`` was answered already.

        Returns what the user was shown (the answer, or the apology), None when nothing was
        (a duplicate, or an outbox that could not acknowledge). Raises only on cancellation,
        or TypeError for a wiring mistake: a delivery key given to a Responder without a store.
        """
        with correlated():
            return await self._respond(message, outbox, delivery)

    async def _respond(
        self, message: IncomingMessage, outbox: Outbox, delivery: Delivery
    ) -> Reply | None:
        where = f"{message.platform} {message.channel_id}"
        if delivery.key is not None and self._holds(delivery.key):
            log.info("skipped a repeated delivery on %s (%s)", where, delivery.key)
            return None
        try:
            await outbox.acknowledge()
        except AdapterError as exc:
            log.warning("not answering on %s: could not acknowledge: %s", where, exc)
            return None
        if not await self._first(delivery, where):
            return None
        return await self._answer(message, outbox, where)

    async def _first(self, delivery: Delivery, where: str) -> bool:
        """Whether this delivery is the one to answer."""
        if delivery.key is None:
            return True
        if self._dedupe is None:
            raise TypeError("a Responder without a dedupe store was given a delivery key")
        if self._seen is not None:
            self._seen.add(delivery.key, delivery.ttl_seconds)
        try:
            first = await self._dedupe.claim(delivery.key, delivery.ttl_seconds)
        except DependencyError as exc:
            verdict = "skipping a redelivery" if delivery.redelivery else "answering"
            log.warning("dedupe store down (%s); %s on %s", exc.message, verdict, where)
            return not delivery.redelivery
        if not first:
            log.info("skipped a duplicate delivery on %s (%s)", where, delivery.key)
        return first

    async def _answer(self, message: IncomingMessage, outbox: Outbox, where: str) -> Reply | None:
        reply: Reply | None = None
        try:
            reply, shown = await self._ask(message, outbox, where)
            await (outbox.replace(reply) if shown else outbox.deliver(reply))
        except AdapterError as exc:
            ref = _ref(reply)
            log.warning("could not answer on %s: %s", where, exc)
            text = f"Sorry, {message.platform.capitalize()} refused my answer ({exc}). {_next(ref)}"
            return await self._apologise(outbox, text, ref, where)
        except Exception:
            ref = _ref(reply)
            log.exception("answering on %s failed", where)
            text = f"Sorry, something went wrong on my side. {_next(ref)}"
            return await self._apologise(outbox, text, ref, where)
        return reply

    async def _ask(
        self, message: IncomingMessage, outbox: Outbox, where: str
    ) -> tuple[Reply, bool]:
        """The core's answer, and whether a placeholder was shown while it was worked on.

        A refused placeholder is logged and the answer still awaited: the work may be an
        executed action whose result the user must see."""
        work = asyncio.ensure_future(self._handle(message))
        if self._timer is None:  # the loop's own timeout: no task for the wait
            await asyncio.wait({work}, timeout=self._after)
        else:
            due = asyncio.ensure_future(self._timer(self._after))
            try:
                await asyncio.wait({work, due}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                due.cancel()
        if work.done():
            return work.result(), False
        try:
            await outbox.placeholder()
        except AdapterError as exc:
            log.warning("could not show the placeholder on %s: %s", where, exc)
            return await work, False
        return await work, True

    @staticmethod
    async def _apologise(outbox: Outbox, text: str, ref: str, where: str) -> Reply | None:
        try:
            await outbox.apologise(text)
        except Exception as exc:  # the platform is unreachable: the log is all there is
            log.warning("could not apologise on %s either: %s", where, exc)
            return None
        return Reply(text=text, severity=Severity.ERROR, correlation_id=ref)


def _next(ref: str) -> str:
    return f"Try again; if it keeps failing, quote ref {ref}."


def _ref(reply: Reply | None) -> str:
    """The answer's correlation id when the core gave one, else the turn's."""
    if reply is not None and reply.correlation_id:
        return reply.correlation_id
    return current_correlation_id() or new_correlation_id()
