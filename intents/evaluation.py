"""Scoring the parser on a labelled evaluation set (the held-out and blind sets in
``tests/unit/data``), shared by the accuracy tests and ``bench/parser_bench.py`` so both
count the same way.

A set is YAML with ``cases`` (single messages, no history) and optionally ``conversations``
(each a list of ``turns`` parsed in order, every turn with the earlier turns' resolved
intents as history, as the bot does). Each case has ``text`` and ``intent``; ``slots``, when
given, must match exactly (a slot absent from the case must be absent from the parse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from intents.model import Intent, SlotValue, Turn
from intents.parser import IntentParser


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled message: the intent it means and, if given, its exact slots."""

    text: str
    intent: str
    slots: Mapping[str, SlotValue] | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    """A case the parser got wrong (intent, or slots where the case lists them)."""

    case: Case
    got: Intent


@dataclass(frozen=True, slots=True)
class Score:
    """Counts over a set: every case, cases with slots, out-of-scope cases."""

    cases: int = 0
    intent_ok: int = 0
    slot_cases: int = 0
    slots_ok: int = 0
    unknown_cases: int = 0
    unknown_ok: int = 0
    misses: tuple[Miss, ...] = field(default=())

    @property
    def intent_accuracy(self) -> float:
        return self.intent_ok / self.cases if self.cases else 0.0

    @property
    def slot_accuracy(self) -> float:
        """Of the cases that list slots, the share with the right intent and exact slots."""
        return self.slots_ok / self.slot_cases if self.slot_cases else 0.0

    @property
    def unknown_recall(self) -> float:
        """Of the out-of-scope cases, the share answered ``unknown``."""
        return self.unknown_ok / self.unknown_cases if self.unknown_cases else 0.0


def load_set(path: Path) -> list[list[Case]]:
    """The conversations of the set at ``path``; a single case is a one-turn conversation."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    singles = [[_case(c)] for c in data.get("cases", []) or []]
    turns = [[_case(t) for t in c["turns"]] for c in data.get("conversations", []) or []]
    return singles + turns


def labelled_texts(folder: Path) -> list[str]:
    """Every message of the sets in ``folder`` (``*.yaml``), sorted: the cases, the turns of
    the conversations, and the ``never_act`` and ``commands`` lists of the safety corpus."""
    texts: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts.update(str(case["text"]) for case in data.get("cases") or ())
        for conversation in data.get("conversations") or ():
            texts.update(str(turn["text"]) for turn in conversation["turns"])
        for key in ("never_act", "commands"):
            texts.update(t if isinstance(t, str) else str(t["text"]) for t in data.get(key) or ())
    return sorted(texts)


EVAL_NOW = 1_768_404_600.0
"""The moment every evaluation set is parsed at (2026-01-14 15:30 UTC, a Wednesday), so
"yesterday" and "since 3am" have fixed answers: ``start``/``end`` in the sets are for it."""


def score(
    parser: IntentParser, conversations: Sequence[Sequence[Case]], now: float = EVAL_NOW
) -> Score:
    """Parse every conversation of a set and count what the parser got right. Each turn is
    remembered, as the bot remembers it, a few seconds after the one before."""
    judged: list[tuple[Case, Intent]] = []
    for conversation in conversations:
        history: list[Turn] = []
        for at, case in enumerate(conversation):
            when = now + 5 * at
            got = parser.parse(case.text, history, when)
            history.append(Turn.of(got, when))
            judged.append((case, got))
    with_slots = [(c, g) for c, g in judged if c.slots is not None]
    out_of_scope = [(c, g) for c, g in judged if c.intent == "unknown"]
    return Score(
        cases=len(judged),
        intent_ok=sum(g.name == c.intent for c, g in judged),
        slot_cases=len(with_slots),
        slots_ok=sum(_exact(c, g) for c, g in with_slots),
        unknown_cases=len(out_of_scope),
        unknown_ok=sum(g.name == "unknown" for _, g in out_of_scope),
        misses=tuple(Miss(c, g) for c, g in judged if not _exact(c, g)),
    )


def _exact(case: Case, got: Intent) -> bool:
    """Right intent, and exactly the case's slots when it lists them."""
    slots = {k: list(v) if isinstance(v, tuple) else v for k, v in got.slots.items()}
    return got.name == case.intent and (case.slots is None or slots == case.slots)


def _case(data: Mapping[str, Any]) -> Case:
    slots = data.get("slots")
    return Case(
        text=str(data["text"]),
        intent=str(data["intent"]),
        slots=None if slots is None else {str(k): v for k, v in dict(slots).items()},
    )
