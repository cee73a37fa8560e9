"""Chat handlers for alert posts: subscriptions, silences and acknowledgements.

They translate between intents and the services of :mod:`bot.features.alerts`; refusals are
:class:`~bot.core.errors.UserError`s, which the dispatcher shows as they are. Every command that
changes something (silence, unsilence, subscribe, unsubscribe, ack) is first checked against
the policy's ``alerts:`` grants (:class:`~bot.features.alerts.access.AlertAccess`); lists are open.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.errors import InvalidInput
from bot.core.formatting import format_duration
from bot.core.model import Field, Reply, Severity, Table
from bot.core.registry import Handler, HandlerSpec, Request
from bot.features.alerts.access import AlertAccess
from bot.features.alerts.alerting import Alerting
from bot.features.alerts.help import ALERT_HELP
from bot.features.alerts.model import Silence, Subscription
from bot.features.alerts.silences import names
from bot.features.alerts.subscriptions import command
from bot.features.metrics.tables import plural
from bot.features.remediation.model import format_time
from bot.features.remediation.policy import Policy
from intents.model import IntentName, SlotValue

_SILENCE_KEYS = ("silence_id", "alertname", "target")
_SOURCE = "Source: Alertmanager"


def alert_specs(alerting: Alerting, policy: Policy) -> list[HandlerSpec]:
    """Handlers for ``alert_silence``, ``silences``, ``unsilence``, ``subscribe``,
    ``unsubscribe``, ``subscriptions`` and ``ack``; ``policy`` says who may change what
    (an empty policy lets nobody)."""
    h = AlertHandlers(alerting, AlertAccess(policy))
    handlers: dict[IntentName, Handler] = {
        IntentName.ALERT_SILENCE: h.silence,
        IntentName.SILENCES: h.silences,
        IntentName.UNSILENCE: h.unsilence,
        IntentName.SUBSCRIBE: h.subscribe,
        IntentName.UNSUBSCRIBE: h.unsubscribe,
        IntentName.SUBSCRIPTIONS: h.subscriptions,
        IntentName.ACK: h.ack,
    }
    return [help_.spec(handlers[help_.intent]) for help_ in ALERT_HELP]


class AlertHandlers:
    """The seven handlers over one :class:`Alerting`, guarded by ``access``."""

    def __init__(self, alerting: Alerting, access: AlertAccess) -> None:
        self._alerting = alerting
        self._access = access

    # ----------------------------------------------------------------------- silences

    async def silence(self, request: Request) -> Reply:
        self._access.check(request.message, "silence")
        slots = request.intent.slots
        seconds = slots.get("duration")
        alertname, target = _text(slots, "alertname"), _text(slots, "target")
        made = await self._alerting.silences.create(
            request.message,
            alertname=alertname,
            target=target,
            seconds=seconds if isinstance(seconds, int) else None,
        )
        silence = made.silence
        length = format_duration((silence.ends_at - silence.starts_at).total_seconds())
        default = " (the default; say `for 4h` for longer)" if made.default_duration else ""
        return Reply(
            title=f"Silenced {_subject(silence)} for {length}",
            text=(
                f"Until {format_time(silence.ends_at)}{default}. "
                f"`unsilence {silence.short_id}` ends it early."
            ),
            fields=(
                Field("Matchers", ", ".join(m.describe() for m in silence.matchers)),
                Field("Silence", silence.short_id),
                Field("Created by", silence.created_by),
            ),
            severity=Severity.SUCCESS,
            footer=_SOURCE,
        )

    async def silences(self, request: Request) -> Reply:
        live = await self._alerting.silences.active()
        wanted = [_text(request.intent.slots, k) for k in ("alertname", "target")]
        for name in filter(None, wanted):
            live = [s for s in live if names(s, name)]
        about = " for " + " on ".join(filter(None, wanted)) if any(wanted) else ""
        if not live:
            return Reply(title="Silences", text=f"No active silences{about}.", footer=_SOURCE)
        rows = tuple(
            (
                s.short_id,
                ", ".join(m.describe() for m in s.matchers),
                format_time(s.ends_at),
                s.created_by,
                s.state,
            )
            for s in live
        )
        return Reply(
            title="Silences",
            text=f"{plural(len(live), 'silence')}, the soonest to end first. "
            "`unsilence ID` ends one.",
            table=Table(("id", "matchers", "until", "created by", "state"), rows),
            footer=_SOURCE,
        )

    async def unsilence(self, request: Request) -> Reply:
        self._access.check(request.message, "silence")
        slots = request.intent.slots
        wanted = next(filter(None, (_text(slots, k) for k in _SILENCE_KEYS)), None)
        if wanted is None:
            raise InvalidInput("Which silence?", hint="`silences` lists them with their ids.")
        ended = await self._alerting.silences.expire(wanted)
        return Reply(
            title=f"Silence {ended.short_id} ended",
            text=f"Alerts for {_subject(ended)} notify again.",
            severity=Severity.SUCCESS,
            footer=_SOURCE,
        )

    # ----------------------------------------------------------------------- subscriptions

    async def subscribe(self, request: Request) -> Reply:
        self._access.check(request.message, "subscribe")
        _refuse_for_oneself(request)
        slots = request.intent.slots
        subscription, added = await self._alerting.subscriptions.subscribe(
            request.message, _text(slots, "severity"), _text(slots, "target")
        )
        what = subscription.describe()
        if not added:
            return Reply(text=f"This channel is already subscribed to {what}.")
        return Reply(
            title="Subscribed",
            text=f"I will post {what} here, and update each post as its alerts change. "
            "`unsubscribe` stops them.",
            severity=Severity.SUCCESS,
        )

    async def unsubscribe(self, request: Request) -> Reply:
        self._access.check(request.message, "subscribe")
        _refuse_for_oneself(request)
        slots = request.intent.slots
        removed = await self._alerting.subscriptions.unsubscribe(
            request.message, _text(slots, "severity"), _text(slots, "target")
        )
        if not removed:
            return Reply(text="This channel has no subscriptions.")
        what = "; ".join(s.describe() for s in removed)
        return Reply(title="Unsubscribed", text=f"No more posts here for {what}.")

    async def subscriptions(self, request: Request) -> Reply:
        found = await self._alerting.subscriptions.subscriptions(request.message)
        if not found:
            return Reply(
                title="Subscriptions",
                text="This channel gets no alert posts. `subscribe critical` starts them.",
            )
        return Reply(
            title="Subscriptions",
            text=f"This channel gets {_list(found)}.",
            table=Table(
                ("subscription", "by"), tuple((command(s), s.created_by_name) for s in found)
            ),
        )

    # ----------------------------------------------------------------------- ack

    async def ack(self, request: Request) -> Reply:
        self._access.check(request.message, "acknowledge")
        wanted = _text(request.intent.slots, "alert_id")
        if wanted is None:
            raise InvalidInput(
                "Which alert group?",
                hint="Use the post's Acknowledge button, or `ack` with the group id from "
                "its footer.",
            )
        outcome = await self._alerting.notifier.acknowledge(wanted, request.message)
        name = outcome.group.alertname or f"group {outcome.group.short_id}"
        if not outcome.new:
            return Reply(
                text=f"{name} was already acknowledged by {outcome.ack.user_name} at "
                f"{format_time(outcome.ack.at)}."
            )
        where = plural(outcome.posts_updated, "post")
        return Reply(
            title=f"Acknowledged {name}",
            text=f"By {outcome.ack.user_name}; {where} updated to show it.",
            severity=Severity.SUCCESS,
        )


def _text(slots: Mapping[str, SlotValue], name: str) -> str | None:
    value = slots.get(name)
    return str(value) if value is not None and str(value).strip() else None


def _subject(silence: Silence) -> str:
    return " on ".join(m.subject() for m in silence.matchers)


def _refuse_for_oneself(request: Request) -> None:
    """ "unsubscribe me" in a team channel: posts go to a channel, not to one person, so
    doing it would change them for everyone there. In a direct message the channel is the
    person's own, and it goes ahead."""
    if request.intent.rejected.get("for") != "me" or request.message.is_direct:
        return
    command = request.intent.canonical or request.intent.name.value
    raise InvalidInput(
        f"Nothing was changed: alert posts go to a channel, not to one person, so `{command}` "
        "here would change them for everyone in this channel.",
        hint=f"Say `{command}` on its own to do that, or say it in a direct message to me "
        "for posts of your own.",
    )


def _list(subscriptions: list[Subscription]) -> str:
    return "; ".join(s.describe() for s in subscriptions)
