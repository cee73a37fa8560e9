"""Intent values shared by the parser, the context store and the dispatcher (see CONTRACT.md).

:class:`IntentName` is the whole vocabulary: every intent the bot acts on is listed here and
produced only by :mod:`intents.parser`. :data:`STATE_CHANGING` are the intents that change
something in the world; the parser gives them only for an explicit imperative command
(:mod:`intents.commands`), never for a question, a hypothetical, a negation, a report or a
typo, and never on the classifier's word alone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

SlotValue = str | int | float | tuple[str, ...]
"""A slot's value: names and ids as written, whole seconds, a number, or a list of targets."""


class IntentName(enum.StrEnum):
    """Every intent there is (CONTRACT.md "Intent JSON")."""

    HELP = "help"
    METRIC_QUERY = "metric_query"
    PROMQL = "promql"
    STATUS = "status"
    HEALTH = "health"
    ALERTS_LIST = "alerts_list"
    ALERT_SILENCE = "alert_silence"
    SILENCES = "silences"
    UNSILENCE = "unsilence"
    ACK = "ack"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    SUBSCRIPTIONS = "subscriptions"
    ANOMALY_QUERY = "anomaly_query"
    FORECAST = "forecast"
    REMEDIATION = "remediation"
    APPROVE = "approve"
    DENY = "deny"
    REASON = "reason"
    HISTORY = "history"
    WHOAMI = "whoami"
    SHARE = "share"
    CONFIRM = "confirm"
    UNKNOWN = "unknown"


class SpeechAct(enum.StrEnum):
    """What a message does with its words: only a ``command`` may change anything.

    ``question`` asks ("is web-1 up?", "can I restart payments?"); ``hypothetical`` wonders
    ("what happens if I restart X", "should I", "is it safe to"); ``negation`` forbids ("don't
    restart X"); ``report`` tells ("I restarted payments already", "the restart went fine");
    ``how_to`` asks for instructions; ``statement`` is anything else said about an action
    ("silences are annoying").
    """

    COMMAND = "command"
    QUESTION = "question"
    HYPOTHETICAL = "hypothetical"
    NEGATION = "negation"
    REPORT = "report"
    HOW_TO = "how_to"
    STATEMENT = "statement"


INTENT_NAMES: Final[tuple[str, ...]] = tuple(n.value for n in IntentName)

STATE_CHANGING: Final = frozenset(
    {
        IntentName.REMEDIATION,
        IntentName.APPROVE,
        IntentName.DENY,
        IntentName.REASON,
        IntentName.ALERT_SILENCE,
        IntentName.UNSILENCE,
        IntentName.SUBSCRIBE,
        IntentName.UNSUBSCRIBE,
        IntentName.ACK,
    }
)
"""Intents that change the world (a restart, a silence, a subscription, a decision) or write
in a person's name (the reason for a request, in the audit log)."""

METRICS: Final[tuple[str, ...]] = (
    "cpu",
    "memory",
    "disk",
    "network",
    "latency",
    "error_rate",
    "request_rate",
)

SEVERITIES: Final[tuple[str, ...]] = ("critical", "warning", "info")

_WINDOW: Final = ("start", "end")
INTENT_SLOTS: Final[Mapping[IntentName, tuple[str, ...]]] = {
    IntentName.HELP: ("topic",),
    IntentName.METRIC_QUERY: ("metric", "target", "targets", "range", *_WINDOW, "quantile"),
    IntentName.PROMQL: ("expr", "range", *_WINDOW),
    IntentName.STATUS: ("target",),
    IntentName.HEALTH: ("target",),
    IntentName.ALERTS_LIST: ("severity", "target"),
    IntentName.ALERT_SILENCE: ("alertname", "target", "duration"),
    IntentName.SILENCES: ("target", "alertname"),
    IntentName.UNSILENCE: ("silence_id", "alertname", "target"),
    IntentName.ACK: ("alert_id",),
    IntentName.SUBSCRIBE: ("severity", "target"),
    IntentName.UNSUBSCRIBE: ("severity", "target"),
    IntentName.SUBSCRIPTIONS: (),
    IntentName.ANOMALY_QUERY: ("target", "metric", "range", *_WINDOW),
    IntentName.FORECAST: ("metric", "target", "threshold", "horizon", "quantile", "direction"),
    IntentName.REMEDIATION: ("action", "target", "replicas"),
    IntentName.APPROVE: ("request_id",),
    IntentName.DENY: ("request_id",),
    IntentName.REASON: ("request_id", "text"),
    IntentName.HISTORY: ("target", "action", "range", *_WINDOW),
    IntentName.WHOAMI: (),
    IntentName.SHARE: (),
    IntentName.CONFIRM: ("answer",),
    IntentName.UNKNOWN: (),
}
"""The slots each intent may carry (CONTRACT.md "Intent JSON")."""


@dataclass(frozen=True, slots=True)
class Mention:
    """A state-changing command a message talks about without commanding it: what it would
    be (``intent``, ``slots``) and how to say it (``canonical``, e.g. "restart payments")."""

    intent: IntentName
    slots: Mapping[str, SlotValue]
    canonical: str


@dataclass(frozen=True, slots=True)
class Intent:
    """What the user wants, and everything a handler needs to answer it.

    A slot the user did not give (and the conversation does not supply) is absent from
    ``slots``, never ``None``. Handlers read only this object, never the message text.
    """

    name: IntentName
    confidence: float
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    canonical: str | None = None
    """The terse command this intent means ("restart payments"); echoed before any change."""
    rejected: Mapping[str, str] = field(default_factory=dict)
    """What the user gave but the parser could not use, by slot name, as written
    (``{"range": "0s"}``, ``{"time": "since the deploy"}``, ``{"words": "and web-2"}``).
    Never a slot: the handler says what was wrong instead of silently using a default."""
    act: SpeechAct = SpeechAct.COMMAND
    about: Mention | None = None
    """The state-changing command a message talks about without commanding it ("should I
    restart payments?" -> ``restart payments``), so the answer can say how to request it,
    and a refusal can be audited for the action it concerns."""
    suggestion: str | None = None
    """A command the message was probably meant as (a typo of a verb, a near miss). Never
    acted on: the bot asks "Did you mean ...?" and waits for ``yes``."""
    refusal: str | None = None
    """Why a command was refused outright: ``unsafe`` (shell or markup syntax),
    ``extra_words`` (more than one command can run), ``negated``."""
    reason: str | None = None
    """Why, as the user said it with a remediation command ("restart payments because it is
    hung" -> ``it is hung``): stored with the request in the audit log, never acted on."""

    def __post_init__(self) -> None:
        if type(self.name) is not IntentName:  # "status" -> IntentName.STATUS
            object.__setattr__(self, "name", IntentName(self.name))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "intent": self.name.value,
            "confidence": round(float(self.confidence), 4),
            "slots": {k: _json_value(v) for k, v in self.slots.items()},
            "act": self.act.value,
        }
        for key in ("canonical", "suggestion", "refusal", "reason"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.about is not None:
            out["about"] = self.about.canonical
        if self.rejected:
            out["rejected"] = dict(self.rejected)
        return out


def _json_value(value: SlotValue) -> str | int | float | list[str]:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class Turn:
    """One remembered turn of a conversation: the resolved intent, its slots, and a pending
    ``suggestion`` the user may confirm with ``yes`` on the next turn."""

    intent: str
    slots: Mapping[str, SlotValue]
    at: float
    suggestion: str | None = None

    @classmethod
    def of(cls, intent: Intent, at: float) -> Turn:
        """The turn that remembers ``intent``, read at ``at``. A ``yes``/``no`` answers the
        "did you mean" before it for good: its turn carries no open question on, so "no"
        then "yes" runs nothing."""
        suggestion = None if intent.name is IntentName.CONFIRM else intent.suggestion
        return cls(intent.name.value, dict(intent.slots), at, suggestion)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "intent": self.intent,
            "slots": {k: _json_value(v) for k, v in self.slots.items()},
            "at": self.at,
        }
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Turn:
        slots: dict[str, SlotValue] = {}
        for key, value in dict(data.get("slots", {})).items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                slots[str(key)] = tuple(value)
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                slots[str(key)] = value
        suggestion = data.get("suggestion")
        return cls(
            intent=str(data["intent"]),
            slots=slots,
            at=float(data.get("at", 0.0)),
            suggestion=suggestion if isinstance(suggestion, str) else None,
        )
