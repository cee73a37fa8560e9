"""Outbound calls to the Bot Connector: retried on throttling and server errors, translated
into :class:`~bot.core.errors.AdapterError` when they finally fail.

Teams throttles bots per conversation (HTTP 429, with ``Retry-After``) and its connector has
transient 5xx. Each send or update is retried here with exponential backoff and jitter,
honouring ``Retry-After`` up to a cap. The SDK's own HTTP layer (msrest over requests)
would retry some of those itself (5xx on PUT, never 429, never POST); :func:`own_retries`
turns that off on a turn's connector client so one policy, this one, decides.

Errors name the status and the operation, never a header or token.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botbuilder.core import BotAdapter
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.core.errors import AdapterError

log = logging.getLogger(__name__)

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently an outbound call is retried."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    #: Longest ``Retry-After`` honoured; a longer one fails the call (the user would give up).
    max_retry_after: float = 15.0


class OutboundError(AdapterError):
    """A Bot Connector call failed. ``status`` is the HTTP status (None: no response)."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


async def call_with_retries(
    operation: str,
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """``await call()``, retried per ``policy`` on 429, 5xx and connection failures.

    Raises :class:`OutboundError` (an ``AdapterError``) ``from`` the SDK's exception.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return await call()
        except (HttpOperationError, ClientRequestError) as exc:
            status = status_of(exc)
            delay = _delay(exc, status, attempt, policy)
            if delay is None or attempt == policy.attempts:
                raise OutboundError(_describe(operation, status, attempt), status) from exc
            log.info(
                "teams: %s got %s, retrying in %.1fs (attempt %d of %d)",
                operation, status or "no response", delay, attempt, policy.attempts,
            )  # fmt: skip
            await sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a connector failure, or None when no response came back."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def own_retries(turn_context: Any) -> None:
    """Switch off the SDK's HTTP-level retries on this turn's connector client."""
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    policy = getattr(getattr(client, "config", None), "retry_policy", None)
    if policy is not None:
        policy.retries = 0


def _delay(
    exc: BaseException, status: int | None, attempt: int, policy: RetryPolicy
) -> float | None:
    if status is not None and status != 429 and status < 500:
        return None
    jitter = random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not security
    backoff = min(policy.base_delay * 2.0 ** (attempt - 1) * jitter, policy.max_delay)
    retry_after = _retry_after(exc)
    if retry_after is None:
        return backoff
    if retry_after > policy.max_retry_after:
        return None
    return max(retry_after, backoff)


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _describe(operation: str, status: int | None, attempts: int) -> str:
    outcome = f"HTTP {status}" if status is not None else "no response"
    tries = "" if attempts == 1 else f" after {attempts} attempts"
    return f"Teams {operation} failed: {outcome}{tries}"
