"""Typo tolerance: snap a near-miss word onto the parser's vocabulary ("memroy" -> "memory").

Only words the parser does not already know are touched, and only onto its own vocabulary
(metric, severity, action, help and cue words), so targets and ordinary English stay as they
are. Distances are optimal-string-alignment edits (a transposition counts once): one edit for
words up to seven letters, two for longer ones; words of five letters or fewer must also keep
their first letter ("oops" is not "qps", "sunny" is not "funny"), and four-letter words may
not change a letter. Two edits also keep the first letter.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from intents import lexicon


def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set(lexicon.CUE_WORDS) | set(lexicon.ANOMALY_WORDS)
    for table in (
        lexicon.METRIC_PHRASES,
        lexicon.SEVERITY_PHRASES,
        lexicon.ACTION_PHRASES,
        lexicon.HELP_TOPICS,
    ):
        for phrase in table:
            words.update(phrase)
    words.update(lexicon.TIME_UNITS)
    return tuple(sorted(w for w in words if w.isalpha() and len(w) >= 3))


VOCABULARY: tuple[str, ...] = _vocabulary()
_KNOWN = (
    frozenset(VOCABULARY)
    | lexicon.COMMON_WORDS
    | lexicon.NON_TARGET_WORDS
    | lexicon.DOMAIN_WORDS
    | lexicon.OFF_DOMAIN_WORDS
    | lexicon.SERVICE_WORDS
)


def _plausible_short(word: str, choice: str) -> bool:
    """Four-letter words may only be transposed or lose/gain a letter ("dsik", "cpuu"); a
    changed letter too often makes another real word ("mate" is not "mute")."""
    return len(word) > 4 or len(word) != len(choice) or sorted(word) == sorted(choice)


@lru_cache(maxsize=8192)
def correct(word: str) -> str:
    """The vocabulary word ``word`` is a typo of, or ``word`` itself.

    Words shorter than four letters, words with digits or punctuation, and words the parser
    already knows are returned unchanged.
    """
    if len(word) < 4 or not word.isalpha() or word in _KNOWN:
        return word
    limit = 1 if len(word) <= 7 else 2
    best = process.extract(word, VOCABULARY, scorer=OSA.distance, score_cutoff=limit, limit=8)
    if len(word) <= 5:
        best = [hit for hit in best if hit[0][0] == word[0] and _plausible_short(word, hit[0])]
    # two edits and another first letter make another word, not a typo ("decrease" is not
    # "recreate")
    best = [hit for hit in best if hit[1] < 2 or hit[0][0] == word[0]]
    if not best:
        return word
    choice, _, _ = min(best, key=lambda hit: (hit[1], hit[0][0] != word[0], hit[0]))
    return str(choice)
