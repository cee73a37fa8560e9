"""Admission: how much answering one process takes on at once.

Without a bound, a bot that is asked faster than it answers accepts every message and queues
its work: memory and the wait for every answer grow until the process falls over. With one,
the overflow is told at once that the bot is busy, and everything it did accept stays quick.

Two lanes, both :class:`~bot.core.bound.ConcurrencyLimit`\\ s, both applied by the dispatcher
so every platform gets them:

- ``turns``: messages being answered at once. A message that finds no free turn within a
  short wait is not parsed and not run: its answer says the bot is busy and that nothing was
  run or changed, so a command refused for load fails closed and says so.
- ``heavy``: the expensive kinds (charts, anomaly reports, forecasts; a
  :class:`~bot.core.registry.HandlerSpec` marked ``heavy``), a smaller lane inside a turn,
  so a burst of charts cannot take every turn from the cheap questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.bound import ConcurrencyLimit

TURNS = "turns"
HEAVY = "heavy"
LANES = frozenset({TURNS, HEAVY})

DEFAULT_MAX_TURNS = 64
DEFAULT_TURN_WAIT_SECONDS = 1.0
DEFAULT_MAX_HEAVY = 4
DEFAULT_HEAVY_WAIT_SECONDS = 5.0


def turns_busy(size: int) -> str:
    """The answer to a message refused for want of a turn."""
    return (
        f"I'm answering {size} questions right now, so I have not started on yours: nothing "
        "was run or changed. Try again in a minute."
    )


def heavy_busy(size: int) -> str:
    """The answer to a chart or report refused for want of a heavy slot."""
    return f"I'm drawing {size} charts and reports right now. Try yours again in a minute."


@dataclass(frozen=True, slots=True)
class Admission:
    """The process's two lanes (see the module docstring)."""

    turns: ConcurrencyLimit
    heavy: ConcurrencyLimit

    @classmethod
    def bounded(
        cls,
        max_turns: int = DEFAULT_MAX_TURNS,
        turn_wait: float = DEFAULT_TURN_WAIT_SECONDS,
        max_heavy: int = DEFAULT_MAX_HEAVY,
        heavy_wait: float = DEFAULT_HEAVY_WAIT_SECONDS,
    ) -> Admission:
        """Lanes of these sizes, each waiting at most its ``wait`` seconds for a slot."""
        turns = ConcurrencyLimit(
            TURNS, max_turns, wait=turn_wait, busy_message=turns_busy(max_turns)
        )
        heavy = ConcurrencyLimit(
            HEAVY, max_heavy, wait=heavy_wait, busy_message=heavy_busy(max_heavy)
        )
        return cls(turns, heavy)
