"""Why a remediation was refused, in words meant for the person who asked.

Each refusal is a :class:`Refusal` (a :class:`~bot.core.errors.UserError`, so the dispatcher shows
its text as is) carrying a machine-readable :class:`Reason` for the audit log and the tests.
"""

from __future__ import annotations

import enum
from datetime import datetime

from bot.core.errors import UserError
from bot.features.remediation.model import RequestStatus, format_time


class Reason(enum.StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    UNSAFE_TARGET = "unsafe_target"
    UNKNOWN_TARGET = "unknown_target"
    MISSING_INPUT = "missing_input"
    NOT_ALLOWED = "not_allowed"
    DIRECT_MESSAGE = "direct_message"
    OUT_OF_BOUNDS = "out_of_bounds"
    COOLDOWN = "cooldown"
    RATE_LIMITED = "rate_limited"
    EXPIRED = "expired"
    SELF_APPROVAL = "self_approval"
    NOT_PENDING = "not_pending"
    ONE_TARGET = "one_target"
    RELATIVE_COUNT = "relative_count"


class Refusal(UserError):
    """A request, approval or denial the policy does not allow."""

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        hint: str | None = None,
        candidates: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, hint=hint, candidates=candidates)
        self.reason = reason


def unknown_action(action: str, known: list[str]) -> Refusal:
    if not known:
        return Refusal(
            Reason.UNKNOWN_ACTION,
            "Refused: no remediation actions are configured, so nothing can be run from chat.",
            hint="An admin can add a `policy:` section (see deploy/policy.example.yaml).",
        )
    return Refusal(
        Reason.UNKNOWN_ACTION,
        f"Refused: there is no action called {_quote(action)}. Actions: {', '.join(known)}.",
    )


def unsafe_target(target: str) -> Refusal:
    return Refusal(
        Reason.UNSAFE_TARGET,
        f"Refused: {_quote(target)} is not a valid target name. Targets are plain names "
        "(letters, digits, '.', '_', '-', ':'); shell syntax, options and line breaks are "
        "never passed on.",
    )


def unsafe_words(words: str) -> Refusal:
    """A whole message with shell, option or path syntax in it, wherever it stands: no part
    of it is run, reason included."""
    return Refusal(
        Reason.UNSAFE_TARGET,
        f"Refused: {_quote(words)} carries shell, option or path syntax (such as `;`, `|`, "
        "`&`, `$`, a backtick, `--flag` or `/path`), so I run nothing. Nothing typed in chat "
        "is passed to a shell, and targets are plain names (letters, digits, '.', '_', '-', "
        "':').",
        hint="Say the command on its own (`restart web-1`), with any reason in plain words.",
    )


def one_target(command: str, extra: str) -> Refusal:
    return Refusal(
        Reason.ONE_TARGET,
        f"Refused: I would run only `{command}` and ignore {_quote(extra)}, so I run nothing.",
        hint="Say one command for one target, with nothing after it but a replica count "
        "(`restart web-1`, then `restart web-2`; `scale checkout-api to 3`).",
    )


def relative_count(target: str) -> Refusal:
    return Refusal(
        Reason.RELATIVE_COUNT,
        "Refused: I scale to a replica count, not by a change in it; I would have to guess "
        "the current count, so I run nothing.",
        hint=f"Say how many replicas you want in all: `scale {target} to N`.",
    )


def unknown_target(
    action: str, target: str, allowed: str, candidates: tuple[str, ...] = ()
) -> Refusal:
    """``candidates``: the allowed names close to ``target`` (offered as "Which target?";
    picking one is a new request that goes through the policy like any other)."""
    return Refusal(
        Reason.UNKNOWN_TARGET,
        f"Refused: {action} is not allowed on {_quote(target)}. Allowed targets: {allowed}.",
        candidates=candidates,
    )


def missing(what: str, example: str) -> Refusal:
    return Refusal(Reason.MISSING_INPUT, f"Which {what}? For example `{example}`.")


def not_allowed(verb: str, action: str, role: str) -> Refusal:
    return Refusal(
        Reason.NOT_ALLOWED,
        f"Refused: you are not allowed to {verb} {action} (it needs the {role} role).",
        hint="Roles are granted by platform user id in the policy.",
    )


def direct_message(action: str) -> Refusal:
    return Refusal(
        Reason.DIRECT_MESSAGE,
        f"Refused: {action} cannot be requested in a direct message. Ask in a team channel "
        "so others can see it.",
    )


def out_of_bounds(message: str) -> Refusal:
    return Refusal(Reason.OUT_OF_BOUNDS, f"Refused: {message}")


def cooldown(action: str, target: str, until: datetime) -> Refusal:
    return Refusal(
        Reason.COOLDOWN,
        f"Refused: {action} {target} is cooling down until {format_time(until)}.",
    )


def rate_limited(action: str, count: int, per_seconds: int, retry_at: datetime) -> Refusal:
    return Refusal(
        Reason.RATE_LIMITED,
        f"Refused: rate limit reached, at most {count} {action} request(s) per "
        f"{_duration(per_seconds)}; try again after {format_time(retry_at)}.",
    )


def expired(request_id: int, at: datetime, canonical: str) -> Refusal:
    return Refusal(
        Reason.EXPIRED,
        f"Refused: request #{request_id} expired at {format_time(at)}.",
        hint=f"Ask again with `{canonical}`.",
    )


def self_approval(request_id: int) -> Refusal:
    return Refusal(
        Reason.SELF_APPROVAL,
        f"Refused: you requested #{request_id}, so your approval does not count; another "
        "authorised person must approve it.",
    )


def not_pending(request_id: int, status: RequestStatus) -> Refusal:
    said = {
        RequestStatus.DENIED: "was denied",
        RequestStatus.EXPIRED: "has expired",
        RequestStatus.EXECUTING: "is already executing",
        RequestStatus.SUCCEEDED: "was already executed",
        RequestStatus.FAILED: "was already executed (it failed)",
    }.get(status, f"is {status.value}")
    return Refusal(Reason.NOT_PENDING, f"Request #{request_id} {said}; nothing to do.")


def _quote(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return repr(shown)


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
