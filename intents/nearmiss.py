"""Near misses of command words ("histroy", "promq up", "whats dwn") for a short message the
parser could not place: the same message with the word fixed, offered back as "did you
mean ...?" and never acted on until the user says yes.

The spelling corrector (:mod:`intents.spelling`) already fixes near misses of the metric and
cue vocabulary inside messages that parse; this is the last resort for words it leaves
alone (short words, command names), checked by parsing the fixed message again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from rapidfuzz import fuzz, process

from intents import lexicon
from intents.analysis import Analysis
from intents.lexicon import word_set

COMMAND_WORDS: Final = tuple(
    sorted(
        word_set(
            """
            help status health alerts silences subscriptions history promql anomalies
            forecast cpu memory disk network latency errors traffic down up restart scale
            rollback silence unsilence subscribe unsubscribe approve deny ack
            """
        )
    )
)
_UNDOING: Final = tuple(w for w in COMMAND_WORDS if w.startswith("un"))
_DOING: Final = tuple(w for w in COMMAND_WORDS if not w.startswith("un"))
_MAX_WORDS: Final = 5
_SCORE: Final = 70.0


def near_misses(a: Analysis) -> Iterator[str]:
    """Candidate fixed messages, best first: each replaces one unknown word of ``a`` with
    the command word it is closest to."""
    if not 0 < len(a.tokens) <= _MAX_WORDS:
        return
    words = [t.raw for t in a.tokens]
    for i, token in enumerate(a.tokens):
        if token.lower in COMMAND_WORDS or not token.lower.isalpha() or len(token.lower) < 3:
            continue
        if token.lower in lexicon.NOT_TYPOS or inflected(token.lower):
            continue
        # "unscribe" is a miss of unsubscribe, never of subscribe: the "un" decides
        choices = _UNDOING if token.lower.startswith("un") else _DOING
        match = process.extractOne(token.lower, choices, scorer=fuzz.ratio)
        if match is not None and match[1] >= _SCORE:
            yield " ".join([*words[:i], str(match[0]), *words[i + 1 :]])


def inflected(word: str) -> bool:
    """ "restores", "restored", "restoring", "subscriber": a form of a word that is no
    typo, or a form of a command word ("restarts" reports or describes, it asks for
    nothing)."""
    for ending in ("s", "es", "ed", "d", "ing", "r", "rs", "er", "ers"):
        stem = word.removesuffix(ending)
        if stem != word and (stem in lexicon.NOT_TYPOS or stem in COMMAND_WORDS):
            return True
    return False


def first_near_miss(a: Analysis, understood: Callable[[str], bool]) -> str | None:
    """The first near miss that ``understood`` accepts (it parses to a known intent)."""
    return next((fixed for fixed in near_misses(a) if understood(fixed)), None)
