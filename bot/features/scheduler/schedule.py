"""When a job runs: ``every: 5m`` (fixed intervals) or ``cron: "0 9 * * *"`` (UTC).

Firing times are a pure function of the schedule and the wall clock, so every replica computes
the same ones: ``every`` fires on multiples of its interval since the Unix epoch (``every: 5m``
runs at :00, :05, :10 ... UTC whoever holds the job), and cron expressions are evaluated in UTC
by ``croniter`` (a well-kept implementation of the full syntax, ranges, steps, names and
``@daily`` style aliases, which hand-written code would get subtly wrong). Because the firings
are shared, a replica that takes a job over neither repeats nor skips a firing: it continues
with the next one, or catches up the latest one the previous holder missed.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from croniter import croniter

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: Cron gaps vary (weekdays only, several hours a day): the period is the shortest of these.
_CRON_GAPS_SAMPLED = 8


class Schedule(Protocol):
    """Firing times of a job, in unix seconds (UTC)."""

    def next_after(self, moment: float) -> float:
        """The first firing strictly after ``moment``."""
        ...

    def latest_until(self, moment: float) -> float:
        """The last firing at or before ``moment``."""
        ...

    @property
    def period(self) -> float:
        """The shortest gap between two firings (sizes the lease so a standby takes over
        within one interval)."""
        ...

    def describe(self) -> str: ...


def parse_duration(text: str | float) -> float:
    """Seconds in ``"5m"``, ``"1h30m"``, ``"90s"``, ``"1.5h"``, ``"250ms"`` or a plain number of
    seconds. Raises :class:`ValueError` with a message fit for a config error."""
    if isinstance(text, bool):
        raise ValueError("must be a duration like 30s, 5m, 1h or 1d")  # noqa: TRY004 - pydantic
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        cleaned = text.strip().lower().replace(" ", "")
        parts = _DURATION.findall(cleaned)
        if not cleaned or "".join(n + u for n, u in parts) != cleaned:
            raise ValueError(f"{text!r} is not a duration; write it like 30s, 5m, 1h30m or 1d")
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("must be a positive duration")
    return seconds


@dataclass(frozen=True, slots=True)
class Every:
    """Fires on every multiple of ``seconds`` since the epoch."""

    seconds: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.seconds) and self.seconds > 0):
            raise ValueError("an interval must be positive")

    def next_after(self, moment: float) -> float:
        return (math.floor(moment / self.seconds) + 1) * self.seconds

    def latest_until(self, moment: float) -> float:
        return math.floor(moment / self.seconds) * self.seconds

    @property
    def period(self) -> float:
        return self.seconds

    def describe(self) -> str:
        from bot.core.formatting import format_duration

        if self.seconds < 1:
            return f"every {self.seconds * 1000:g}ms"
        return f"every {format_duration(self.seconds).replace(' ', '')}"


@dataclass(frozen=True, slots=True)
class Cron:
    """Fires at the times of a five-field cron expression (or alias), evaluated in UTC."""

    expression: str

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.expression):
            raise ValueError(
                f"{self.expression!r} is not a cron expression "
                '(five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * *")'
            )
        if len(self.expression.split()) > 5:
            raise ValueError("use five cron fields; seconds are not supported (use every: 30s)")

    def next_after(self, moment: float) -> float:
        return float(croniter(self.expression, _utc(moment)).get_next(float))

    def latest_until(self, moment: float) -> float:
        # croniter's get_prev is strictly before its start: start just after ``moment``.
        return float(croniter(self.expression, _utc(moment + 1e-3)).get_prev(float))

    @property
    def period(self) -> float:
        times = croniter(self.expression, _utc(0.0))
        firings = [float(times.get_next(float)) for _ in range(_CRON_GAPS_SAMPLED + 1)]
        return min(b - a for a, b in itertools.pairwise(firings))

    def describe(self) -> str:
        return f"cron {self.expression} (UTC)"


def _utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, tz=UTC)
