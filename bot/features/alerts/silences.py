"""Silences from chat, made in Alertmanager through its v2 API.

``silence HighLatency for 2h`` silences by alert name, ``silence alerts on web-2 for 1h`` by
target, both together narrow it further. A silence is refused when it would match every
alert (neither name nor target), or would last longer than :data:`MAX_DURATION`. The
silence records who asked (display name plus immutable id) as ``createdBy`` and says it
came from chat in its comment. ``unsilence ID`` accepts any unique prefix of an id.

A length that cannot be read is refused, never replaced by the default: ``for -5m`` or
``for 10 years`` (which the parser leaves without a ``duration``, see
:func:`check_length_words`) and a "target" such as ``0s`` (the parser's reading of
``for 0s``) make no silence at all.

A target becomes a matcher on the label that carries it among the alerts Alertmanager holds
(``instance`` with or without its port, then ``job``, ``service``, ...), and on ``instance``
when no alert carries it yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.errors import InvalidInput, NotFoundError, UserError
from bot.core.formatting import format_duration
from bot.core.model import IncomingMessage
from bot.features.alerts.group import PLAIN_NAME
from bot.features.alerts.model import ANY_PORT, Matcher, Silence, SilenceDraft
from bot.features.alerts.ports import SilenceBackend
from bot.features.alerts.publisher import utc_now
from bot.features.metrics.targets import strip_port
from intents.durations import LENGTH_RANGE

MAX_DURATION = timedelta(days=7)
MIN_DURATION = timedelta(minutes=1)
DEFAULT_DURATION = timedelta(hours=1)
NOT_CONFIGURED = "Alertmanager is not configured, so I cannot silence alerts or list silences."
NOT_CONFIGURED_HINT = (
    "Set ALERTMANAGER_URL to your Alertmanager's address (for example "
    "http://alertmanager:9093) and restart the bot."
)
_REGEX_SPECIAL = re.compile(r"([.\\+*?()|\[\]{}^$])")
#: A word that reads as a length (``0s``, ``-5m``, ``10y``), never as an alert or a target.
_LENGTH_LIKE = re.compile(
    r"[+-]?\d+(?:[.,]\d+)?(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?"
    r"|w|wks?|weeks?|mo|mos|months?|y|yrs?|years?)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class NewSilence:
    """A silence made from chat, and whether its length was the default (none was given)."""

    silence: Silence
    default_duration: bool


class SilenceService:
    """Creates, lists and expires silences; refuses everything when Alertmanager is not
    configured (``backend`` None), saying what to set."""

    def __init__(
        self,
        backend: SilenceBackend | None,
        *,
        target_labels: Sequence[str],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._backend = backend
        self._target_labels = tuple(target_labels)
        self._clock = clock

    @property
    def configured(self) -> bool:
        return self._backend is not None

    async def create(
        self,
        message: IncomingMessage,
        *,
        alertname: str | None,
        target: str | None,
        seconds: int | None,
    ) -> NewSilence:
        backend = self._require()
        length = _duration(seconds)
        matchers = await self._matchers(backend, _name(alertname), _name(target))
        now = self._clock()
        who = f"{message.user_name} ({message.platform}:{message.user_id})"
        draft = SilenceDraft(
            matchers=matchers,
            starts_at=now,
            ends_at=now + length,
            created_by=who,
            comment=f"from chat by {who}",
        )
        silence_id = await backend.create_silence(draft)
        silence = Silence(
            silence_id, matchers, now, now + length, draft.created_by, draft.comment, "active"
        )
        return NewSilence(silence, default_duration=seconds is None)

    async def active(self) -> list[Silence]:
        """Active and pending silences, the soonest to end first."""
        silences = await self._require().list_silences()
        live = [s for s in silences if s.state in ("active", "pending")]
        return sorted(live, key=lambda s: s.ends_at)

    async def expire(self, wanted: str) -> Silence:
        """Expire the live silence whose id starts with ``wanted``, or else the one silence
        whose matchers name ``wanted`` (an alert or target name)."""
        backend = self._require()
        key = wanted.strip().lstrip("#")
        if not PLAIN_NAME.fullmatch(key):
            raise InvalidInput(
                f"'{wanted}' is not a silence id.", hint="`silences` lists them with ids."
            )
        live = await self.active()
        found = [s for s in live if s.id.lower().startswith(key.lower())]
        found = found or [s for s in live if names(s, key)]
        if not found:
            raise NotFoundError(
                f"No active silence has an id starting with {key} or is for {key}.",
                hint="`silences` lists the active ones.",
            )
        if len(found) > 1:
            ids = ", ".join(s.short_id for s in found)
            raise InvalidInput(f"{key} matches several silences ({ids}); give the id.")
        await backend.expire_silence(found[0].id)
        return found[0]

    def _require(self) -> SilenceBackend:
        if self._backend is None:
            raise UserError(NOT_CONFIGURED, hint=NOT_CONFIGURED_HINT)
        return self._backend

    async def _matchers(
        self, backend: SilenceBackend, alertname: str | None, target: str | None
    ) -> tuple[Matcher, ...]:
        if alertname is None and target is None:
            raise InvalidInput(
                "That would silence every alert, so I won't.",
                hint="Name the alert or the target: `silence HighLatency for 2h`, "
                "`silence alerts on web-2 for 1h`.",
            )
        matchers: list[Matcher] = []
        if alertname is not None:
            matchers.append(Matcher("alertname", alertname))
        if target is not None:
            matchers.append(await self._target_matcher(backend, target))
        return tuple(matchers)

    async def _target_matcher(self, backend: SilenceBackend, target: str) -> Matcher:
        wanted = target.lower()
        alerts = await backend.alerts()
        for label in self._target_labels:
            for alert in alerts:
                value = alert.labels.get(label, "")
                if label == "instance" and strip_port(value).lower() == wanted:
                    return _instance_matcher(strip_port(value))
                if value.lower() == wanted:
                    return Matcher(label, value)
        return _instance_matcher(target)


def _instance_matcher(host: str) -> Matcher:
    """``instance`` equal to ``host`` with or without a port."""
    return Matcher("instance", _REGEX_SPECIAL.sub(r"\\\1", host) + ANY_PORT, is_regex=True)


def _duration(seconds: int | None) -> timedelta:
    if seconds is None:
        return DEFAULT_DURATION
    length = timedelta(seconds=seconds)
    if length < MIN_DURATION:
        raise InvalidInput("A silence must last at least a minute.", hint="Try `for 30m`.")
    if length > MAX_DURATION:
        raise InvalidInput(
            f"A silence from chat can last at most {format_duration(MAX_DURATION.total_seconds())}"
            f", not {format_duration(seconds)}.",
            hint="Fix the cause, or silence again when this one ends.",
        )
    return length


def names(silence: Silence, name: str) -> bool:
    """Whether one of the silence's matchers is for ``name``."""
    return any(m.subject().lower() == name.lower() for m in silence.matchers)


def _name(raw: str | None) -> str | None:
    name = (raw or "").strip()
    if not name:
        return None
    if _LENGTH_LIKE.fullmatch(name) or LENGTH_RANGE.fullmatch(name):
        raise unreadable_length(name)
    if not PLAIN_NAME.fullmatch(name):
        raise InvalidInput(f"'{name}' is not an alert or target name.")
    return name


def unreadable_length(said: str) -> InvalidInput:
    """The refusal of a silence length that could not be read (nothing is silenced)."""
    return InvalidInput(
        f"I couldn't read the duration '{said}'; use e.g. 30m, 2h, 1d, at most "
        f"{format_duration(MAX_DURATION.total_seconds())}.",
        hint="Nothing was silenced. Try `silence HighLatency for 2h`.",
    )
