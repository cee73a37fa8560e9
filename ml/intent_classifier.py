"""The free-text intent classifier the bot runs: TF-IDF word and character n-grams into a
logistic regression, scored with numpy from the weights shipped in ``ml/data``.

It implements :class:`intents.ports.TextClassifier` and is injected into
:class:`intents.parser.IntentParser`, which keeps machine learning out of the core. The model
is fitted by :mod:`ml.intent_training` (scikit-learn, from ``intents/data``) and shipped as
``ml/data/intent_model.npz``, so start-up neither trains nor imports scikit-learn: this module
needs numpy and the standard library only. A test proves the shipped file equals a fresh fit
and that :meth:`IntentClassifier.predict` equals scikit-learn's ``predict_proba``.

:func:`build_parser` is the one place the bot and the CLI get a parser.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

import numpy as np
import numpy.typing as npt

from intents.features import classifier_view
from intents.parser import IntentParser
from ml.intent_weights import IntentWeights, load_weights
from ml.text_analyzers import build_analyzer

#: Rankings kept by :meth:`IntentClassifier.predict` (a few KB each, most recent first).
RANKING_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class _Block:
    """One TF-IDF vectorizer, ready for single-message scoring: its analyzer, vocabulary
    (term -> column), idf weights and where its columns start in the model's feature space."""

    analyze: Callable[[str], list[str]]
    vocabulary: Mapping[str, int]
    idf: npt.NDArray[np.float64]
    offset: int


class IntentClassifier:
    """Ranks intents for a message from fitted :class:`~ml.intent_weights.IntentWeights`.

    ``predict`` computes what scikit-learn's ``FeatureUnion.transform`` and
    ``LogisticRegression.predict_proba`` would, for one message: per vectorizer, sublinear tf
    (``1 + log count``) times idf, L2-normalised; then the softmax of the linear scores.
    Only the message's own terms are touched, so one call takes a few microseconds of numpy.

    The ranking is a pure function of the message's placeholder view, so the last
    :data:`RANKING_CACHE_SIZE` are kept, by view and by text: chat repeats itself ("what's
    down?", "what alerts are firing", "cpu of <any target> last <any duration>").
    """

    def __init__(self, weights: IntentWeights) -> None:
        self._labels = weights.labels
        # Transposed so one term's row holds its weight for every label.
        self._coef = np.ascontiguousarray(weights.coef.T)
        self._intercept = weights.intercept
        blocks: list[_Block] = []
        offset = 0
        for vectorizer in weights.vectorizers:
            vocabulary = {term: i for i, term in enumerate(vectorizer.vocabulary)}
            analyze = build_analyzer(vectorizer.settings)
            blocks.append(_Block(analyze, vocabulary, vectorizer.idf, offset))
            offset += len(vocabulary)
        self._blocks = tuple(blocks)
        self._ranked = functools.lru_cache(maxsize=RANKING_CACHE_SIZE)(self._rank)
        self._ranked_text = functools.lru_cache(maxsize=RANKING_CACHE_SIZE)(self._rank_text)

    @classmethod
    def load(cls, path: Path | None = None) -> IntentClassifier:
        """The classifier stored at ``path`` (default: the shipped weights)."""
        return cls(load_weights(path))

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict(self, text: str) -> list[tuple[str, float]]:
        """Every intent with its probability for ``text``, most likely first."""
        return list(self._ranked_text(text))

    def predict_view(self, view: str) -> list[tuple[str, float]]:
        """:meth:`predict` of the message whose placeholder view is ``view`` (the parser
        passes the view of its own reading, so the text is not analysed twice)."""
        return list(self._ranked(view))

    def _rank_text(self, text: str) -> tuple[tuple[str, float], ...]:
        return self._ranked(classifier_view(text))

    def _rank(self, view: str) -> tuple[tuple[str, float], ...]:
        scores = self._intercept + self._score(view)
        scores -= scores.max()
        probs = np.exp(scores)
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        return tuple((self._labels[i], float(probs[i])) for i in order)

    def _score(self, view: str) -> npt.NDArray[np.float64]:
        total = np.zeros(len(self._labels))
        for block in self._blocks:
            counts = Counter(t for t in block.analyze(view) if t in block.vocabulary)
            if not counts:
                continue
            local = np.fromiter((block.vocabulary[t] for t in counts), dtype=np.intp)
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))
            weights = tf * block.idf[local]
            weights /= np.sqrt(weights @ weights)
            total += weights @ self._coef[local + block.offset]
        return total


def build_parser(
    path: Path | None = None, *, actions: Collection[str] = (), timezone: tzinfo = UTC
) -> IntentParser:
    """The parser the bot and ``smartcloudops parse`` use, with the shipped classifier
    (or the weights at ``path``), the policy's custom ``actions`` and the ``timezone``."""
    return IntentParser(IntentClassifier.load(path), actions=actions, timezone=timezone)
