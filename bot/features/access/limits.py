"""Per-person limits on expensive queries (``policy.limits``).

Anomaly scans, forecasts and PromQL over a long range (more than
``promql_long_range_seconds``) each fetch and score a lot of data. One person may run
``expensive.count`` of them in any ``expensive.per_seconds`` (a sliding window, counted per
``platform:user`` principal and, with Redis, across every replica); the next is refused with
how long to wait. Everything else is never limited.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.formatting import format_duration
from bot.core.model import Reply
from bot.core.registry import HandlerSpec, Request
from bot.features.access.ports import RateLimiter
from bot.features.remediation.model import Actor
from bot.features.remediation.refusals import Reason, Refusal
from intents.model import Intent, IntentName

if TYPE_CHECKING:  # the policy's models (pydantic) load with the policy, not with this module
    from bot.features.remediation.policy import Limits

_ALWAYS_EXPENSIVE = frozenset({IntentName.ANOMALY_QUERY, IntentName.FORECAST})
MAY_BE_EXPENSIVE = _ALWAYS_EXPENSIVE | {IntentName.PROMQL}
"""The intents :meth:`ExpensiveQueries.guard` may limit; it leaves every other one alone."""
_WINDOW_NAMES = {60: "minute", 3600: "hour", 86400: "day"}


class ExpensiveQueries:
    """Counts expensive queries per person through ``limiter``.

    ``clock`` is wall time for the window; ``data_clock`` is the metrics' notion of now,
    against which an open-ended PromQL window (``since 3am``) is measured.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.time,
        data_clock: Callable[[], float] = time.time,
    ) -> None:
        self._limiter = limiter
        self._limits = limits
        self._clock = clock
        self._data_clock = data_clock

    def guard(self, spec: HandlerSpec) -> HandlerSpec:
        """``spec`` that first takes one expensive query from the asker's allowance."""
        if self._limits.expensive is None or spec.intent not in MAY_BE_EXPENSIVE:
            return spec

        async def limited(request: Request) -> Reply:
            if self.is_expensive(request.intent):
                await self.take(Actor.from_message(request.message).principal)
            return await spec.handler(request)

        return dataclasses.replace(spec, handler=limited)

    def is_expensive(self, intent: Intent) -> bool:
        if intent.name in _ALWAYS_EXPENSIVE:
            return True
        if intent.name is not IntentName.PROMQL:
            return False
        return self._promql_span(intent) > self._limits.promql_long_range_seconds

    async def take(self, principal: str) -> None:
        """Use one expensive query of ``principal``'s; raise a :class:`Refusal` when none
        is left, saying how many were run and when to try again."""
        limit = self._limits.expensive
        if limit is None:
            return
        allowance = await self._limiter.take(
            f"expensive:{principal}", limit.count, limit.per_seconds, self._clock()
        )
        if allowance.allowed:
            return
        wait = format_duration(math.ceil(max(1.0, allowance.retry_after)))
        window = _WINDOW_NAMES.get(limit.per_seconds) or format_duration(limit.per_seconds)
        long_range = format_duration(self._limits.promql_long_range_seconds)
        raise Refusal(
            Reason.RATE_LIMITED,
            f"You've run {_queries(allowance.used)} in the last {window}; try again in {wait}.",
            hint=f"Anomaly scans, forecasts and PromQL over more than {long_range} count; "
            "everything else is not limited.",
        )

    def _promql_span(self, intent: Intent) -> float:
        slots = intent.slots
        start, end, seconds = slots.get("start"), slots.get("end"), slots.get("range")
        if isinstance(start, int):
            until = end if isinstance(end, int) else self._data_clock()
            return float(until - start)
        return float(seconds) if isinstance(seconds, int) else 0.0


def _queries(count: int) -> str:
    return f"{count} expensive {'query' if count == 1 else 'queries'}"
