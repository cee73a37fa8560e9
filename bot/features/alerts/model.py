"""Values of the alert-posting side: who is subscribed to what, what was posted where, who
acknowledged a group, and Alertmanager silences.

Severities are ordered ``info < warning < critical``; a subscription's severity is a floor
("``subscribe warning``" gets warning and critical posts). Label values from outside are
mapped onto those three (``page`` -> critical, ``warn`` -> warning, anything else -> info), so
an unusual label never hides an alert from a channel that wants everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core.ports import ChannelRef, PostedRef

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
_SEVERITY_ALIASES = {
    "critical": "critical",
    "crit": "critical",
    "page": "critical",
    "high": "critical",
    "error": "critical",
    "fatal": "critical",
    "emergency": "critical",
    "warning": "warning",
    "warn": "warning",
    "medium": "warning",
}


def normalise_severity(raw: str | None) -> str:
    """One of ``critical``, ``warning``, ``info`` for any severity label value."""
    return _SEVERITY_ALIASES.get((raw or "").strip().lower(), "info")


def highest_severity(severities: Iterable[str]) -> str:
    """The most severe of ``severities`` (``info`` for none)."""
    return max(severities, key=SEVERITY_RANK.__getitem__, default="info")


@dataclass(frozen=True, slots=True)
class Audience:
    """What a notification is about, for choosing the subscriptions it goes to: its severity
    and every target name it concerns (lower case; ``web-1`` and ``web-1:9100`` both)."""

    severity: str
    targets: frozenset[str] = frozenset()

    @classmethod
    def of(cls, severity: str, targets: Iterable[str] = ()) -> Audience:
        return cls(normalise_severity(severity), frozenset(t.lower() for t in targets if t))


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's wish for alert posts. ``severity`` is the lowest severity wanted (None:
    all); ``target`` limits posts to one target (None: every target)."""

    channel: ChannelRef
    severity: str | None = None
    target: str | None = None
    created_by: str = ""
    created_by_name: str = ""

    def matches(self, audience: Audience) -> bool:
        if self.severity is not None and (
            SEVERITY_RANK[audience.severity] < SEVERITY_RANK[self.severity]
        ):
            return False
        return self.target is None or self.target.lower() in audience.targets

    def describe(self) -> str:
        """``critical alerts for checkout-api``, ``all alerts``, ..."""
        if self.severity is None:
            what = "all alerts"
        elif self.severity == "info":
            what = "alerts of every severity"
        elif self.severity == "warning":
            what = "warning and critical alerts"
        else:
            what = "critical alerts"
        return f"{what} for {self.target}" if self.target else what


@dataclass(frozen=True, slots=True)
class PostClaim:
    """The outcome of claiming the right to make the first post of a key in a channel.

    ``won``: this caller must post (and then record it). Otherwise ``posted`` is the stored
    post (None while another replica is still posting) and ``digest`` its content's hash.
    """

    won: bool
    posted: PostedRef | None = None
    digest: str = ""


@dataclass(frozen=True, slots=True)
class StoredPost:
    """A post made for a key: where it went, the message, and the hash of what it shows."""

    channel: ChannelRef
    posted: PostedRef
    digest: str


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Who acknowledged an alert group (immutable id, display name) and when."""

    user_id: str
    user_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """An Alertmanager group as stored: its last notification (JSON) and acknowledgement.

    ``epoch`` counts the group's incidents: it grows when a resolved group fires again, so
    a new incident gets new posts instead of editing the old, resolved ones.
    """

    key_hash: str
    group_key: str
    status: str
    epoch: int
    snapshot: str
    ack: Acknowledgement | None = None

    @property
    def short_id(self) -> str:
        return self.key_hash[:8]


#: Appended to a host name so an ``instance`` matcher takes it with or without a port.
ANY_PORT = "(:[0-9]+)?"
_OPERATORS = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}


@dataclass(frozen=True, slots=True)
class Matcher:
    """An Alertmanager label matcher: ``name="value"``, ``name=~"regex"`` or their negations
    (``!=``, ``!~``; chat never makes those, but lists show them)."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def describe(self) -> str:
        return f'{self.name}{_OPERATORS[self.is_regex, self.is_equal]}"{self.value}"'

    def subject(self) -> str:
        """What the matcher is about, as chat says it: ``web-2`` for the
        ``instance=~"web-2(:[0-9]+)?"`` that a chat silence of ``web-2`` makes."""
        if self.is_regex and self.value.endswith(ANY_PORT):
            return self.value.removesuffix(ANY_PORT).replace("\\", "")
        return self.value


@dataclass(frozen=True, slots=True)
class SilenceDraft:
    """A silence to create: at least one matcher, a bounded window, and who asked."""

    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str


@dataclass(frozen=True, slots=True)
class Silence:
    """A silence as Alertmanager reports it. ``state`` is ``active``, ``pending`` or
    ``expired``."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str

    @property
    def short_id(self) -> str:
        return self.id[:8]
