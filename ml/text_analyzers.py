"""Plain-Python copies of the two scikit-learn analyzers the intent classifier is trained with.

The bot loads a fitted model at start-up and must not import scikit-learn to use it
(scikit-learn and SciPy cost about a second of start-up; see ``bench/RESULTS_STARTUP.md``), so
the shipped model turns a message into n-grams itself. The functions below follow
``sklearn.feature_extraction.text`` (``_word_ngrams`` and ``_char_wb_ngrams``) step by step,
including the order of the n-grams, for the settings :mod:`ml.intent_training` uses: no
preprocessing, no lowercasing, no stop words. ``tests/unit/test_intent_model.py`` proves they
return exactly scikit-learn's lists on every training sentence and on odd strings.

:class:`AnalyzerSettings` is stored with the weights, so a model trained with settings this
module cannot reproduce is refused when it is loaded instead of scoring wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: The analyzers reproduced here (scikit-learn's ``analyzer`` parameter).
ANALYZERS = ("word", "char_wb")


@dataclass(frozen=True, slots=True)
class AnalyzerSettings:
    """The parameters of one ``TfidfVectorizer`` that decide its n-grams and their weights."""

    analyzer: str
    ngram_range: tuple[int, int]
    #: Word analyzer only; None for ``char_wb``.
    token_pattern: str | None
    lowercase: bool
    sublinear_tf: bool
    norm: str | None


def build_analyzer(settings: AnalyzerSettings) -> Callable[[str], list[str]]:
    """The n-gram function for ``settings``, as ``TfidfVectorizer.build_analyzer()`` would
    return it. Raises :class:`ValueError` for settings this module does not reproduce (the
    scoring in :mod:`ml.intent_classifier` also assumes sublinear tf and L2 rows)."""
    supported = (settings.lowercase, settings.sublinear_tf, settings.norm) == (False, True, "l2")
    low, high = settings.ngram_range
    if not supported or not 1 <= low <= high:
        raise ValueError(f"unsupported vectorizer settings: {settings}")
    if settings.analyzer == "word" and settings.token_pattern is not None:
        pattern = re.compile(settings.token_pattern)
        if pattern.groups:
            raise ValueError(f"token_pattern must have no groups: {settings.token_pattern!r}")
        return lambda text: word_ngrams(pattern.findall(text), low, high)
    if settings.analyzer == "char_wb":
        return lambda text: char_wb_ngrams(text, low, high)
    raise ValueError(f"unsupported vectorizer settings: {settings}")


def word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """The ``low``..``high``-grams of ``tokens`` joined by a space: all unigrams first (when
    ``low`` is 1), then all bigrams, and so on, each in text order."""
    count = len(tokens)
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, count) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(count - n + 1))
    return grams


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character ``low``..``high``-grams inside each whitespace-separated word padded with one
    space on each side; a padded word shorter than ``n`` counts once, whole, and ends that
    word's n-grams (scikit-learn's ``char_wb``)."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(max(1, length - n + 1)))
            if length <= n:
                break
    return grams
