"""The window a question asks about: a look-back ("last 2h"), an absolute window ("yesterday",
"between 15:00 and 17:00", "since 3am") or the default, bounded and stepped for a chart.

Absolute windows reach the source as the exact ``start``/``end`` the parser read; the end is
clipped to now (nothing is measured in the future). The label says which kind it was, so an
answer reads "last 2h" or "14:00-16:00 UTC" as asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.errors import InvalidInput
from bot.core.formatting import format_between, format_duration, format_when
from bot.features.metrics.lookup import step_for
from bot.features.metrics.ports import Window
from intents.model import SlotValue

MIN_SPAN = 60.0
MAX_SPAN = 90 * 86400.0


@dataclass(frozen=True, slots=True)
class Asked:
    """A question's window and how to name it; ``live`` when it runs up to now."""

    window: Window
    label: str
    live: bool

    @property
    def span(self) -> float:
        return self.window.span


def asked_window(
    slots: Mapping[str, SlotValue],
    now: float,
    default: float,
    *,
    least: float = MIN_SPAN,
    most: float = MAX_SPAN,
) -> Asked:
    """The window of ``slots`` (``start``/``end`` or ``range``), or the last ``default``."""
    start, end = slots.get("start"), slots.get("end")
    if isinstance(start, int):
        until = min(float(end), now) if isinstance(end, int | float) else now
        span = _bounded(until - start, least, most)
        live = until >= now - 60
        since = f"since {format_when(start, now)}"
        label = since if live else format_between(start, until, now)
        return Asked(Window(until - span, until, step_for(span)), label, live)
    raw = slots.get("range", default)
    span = _bounded(float(raw) if isinstance(raw, int | float) else default, least, most)
    return Asked(Window(now - span, now, step_for(span)), f"last {format_duration(span)}", True)


def _bounded(span: float, least: float, most: float) -> float:
    if not least <= span <= most:
        raise InvalidInput(
            f"I can look at {format_duration(least)} to {format_duration(most)} at a time.",
            hint="Try `2h`, `7d` or `yesterday`.",
        )
    return span
