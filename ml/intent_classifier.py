"""The free-text intent classifier: TF-IDF word and character n-grams into a logistic
regression, trained at start-up from the utterances shipped in ``intents/data``.

It implements :class:`bot.ports.TextClassifier` and is injected into
:class:`intents.parser.IntentParser`, which keeps scikit-learn out of the core. Training reads
:func:`intents.features.classifier_view` of each utterance (slot values replaced by
placeholders), is deterministic (fixed ``random_state``, sorted data, single-threaded solver)
and takes a fraction of a second, so the model is rebuilt from the repository rather than
shipped as a pickle. The solver runs with BLAS limited to one thread: on a problem this
small, BLAS threads only contend (ten times slower on a busy two-core machine).

:func:`build_parser` is the one place the bot and the CLI get a parser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits

from intents.features import classifier_view
from intents.model import INTENT_NAMES
from intents.parser import IntentParser

SEED = 20240601


@dataclass(frozen=True, slots=True)
class Utterance:
    """One training sentence and the intent it means."""

    text: str
    intent: str


def default_utterances_path() -> Path:
    """Where the packaged training utterances live (``intents/data/utterances.yaml``)."""
    return Path(str(resources.files("intents") / "data" / "utterances.yaml"))


def load_utterances(path: Path | None = None) -> list[Utterance]:
    """The training utterances, in file order.

    The file maps each intent name to a list of sentences. Raises :class:`ValueError` naming
    the offending key for an unknown intent or a non-text entry.
    """
    source = path or default_utterances_path()
    data: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("intents"), dict):
        raise ValueError(f"{source}: expected a mapping with an 'intents' key")  # noqa: TRY004
    out: list[Utterance] = []
    for intent, texts in data["intents"].items():
        if intent not in INTENT_NAMES:
            raise ValueError(f"{source}: unknown intent {intent!r}")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"{source}: intents.{intent} must be a list of strings")
        out.extend(Utterance(text=t, intent=intent) for t in texts)
    return out


@dataclass(frozen=True, slots=True)
class _Block:
    """One fitted TF-IDF vectorizer, unpacked for single-message scoring: its analyzer,
    vocabulary, idf weights and where its columns start in the union's feature space."""

    analyze: Callable[[str], list[str]]
    vocabulary: Mapping[str, int]
    idf: npt.NDArray[np.float64]
    offset: int


class SklearnIntentClassifier:
    """Ranks intents for a message; see the module docstring for how it is built.

    ``predict`` returns every label with its probability, most likely first. It scores one
    message by hand from the fitted vectorizers (sublinear tf x idf, L2-normalised per block,
    exactly what ``TfidfVectorizer.transform`` computes) and the model's coefficients: about
    ten times faster than the generic scikit-learn path, which validates and builds sparse
    matrices for every call.
    """

    def __init__(self, features: FeatureUnion, model: LogisticRegression) -> None:
        self._features = features
        self._model = model
        self._labels: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        self._coef = np.asarray(model.coef_, dtype=np.float64).T.copy()
        self._intercept = np.asarray(model.intercept_, dtype=np.float64)
        self._blocks = _blocks(features)

    @classmethod
    def from_training_data(cls, path: Path | None = None) -> SklearnIntentClassifier:
        """Train on the utterances at ``path`` (default: the packaged set)."""
        return cls.fit(load_utterances(path))

    @classmethod
    def fit(cls, utterances: Sequence[Utterance]) -> SklearnIntentClassifier:
        """Train on ``utterances``; equal inputs give identical models."""
        ordered = sorted(utterances, key=lambda u: (u.intent, u.text))
        views = [classifier_view(u.text) for u in ordered]
        labels = [u.intent for u in ordered]
        features = _features()
        matrix = features.fit_transform(views)
        model = LogisticRegression(C=12.0, max_iter=3000, random_state=SEED)
        with threadpool_limits(limits=1):
            model.fit(matrix, labels)
        return cls(features, model)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict(self, text: str) -> list[tuple[str, float]]:
        """Every intent with its probability for ``text``, most likely first."""
        scores = self._intercept + self._score(classifier_view(text))
        scores -= scores.max()
        probs = np.exp(scores)
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        return [(self._labels[i], float(probs[i])) for i in order]

    def predict_with_sklearn(self, text: str) -> list[tuple[str, float]]:
        """:meth:`predict` through scikit-learn's own ``transform``/``predict_proba``: the
        reference the fast path is tested against."""
        row = self._features.transform([classifier_view(text)])
        probs = self._model.predict_proba(row)[0]
        order = np.argsort(-probs, kind="stable")
        return [(self._labels[i], float(probs[i])) for i in order]

    def _score(self, view: str) -> npt.NDArray[np.float64]:
        total = np.zeros(len(self._labels))
        for columns, weights in self._weights(view):
            total += weights @ self._coef[columns]
        return total

    def _weights(self, view: str) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]]:
        out = []
        for block in self._blocks:
            counts = Counter(t for t in block.analyze(view) if t in block.vocabulary)
            if not counts:
                continue
            local = np.fromiter((block.vocabulary[t] for t in counts), dtype=np.intp)
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))
            weights = tf * block.idf[local]
            weights /= np.sqrt(weights @ weights)
            out.append((local + block.offset, weights))
        return out


def build_parser(
    path: Path | None = None, *, actions: Collection[str] = (), timezone: tzinfo = UTC
) -> IntentParser:
    """The parser the bot and ``smartcloudops parse`` use, with the trained classifier."""
    return IntentParser(
        SklearnIntentClassifier.from_training_data(path), actions=actions, timezone=timezone
    )


def _blocks(features: FeatureUnion) -> tuple[_Block, ...]:
    blocks: list[_Block] = []
    offset = 0
    for _, vectorizer in features.transformer_list:
        vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
        idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        blocks.append(_Block(vectorizer.build_analyzer(), vocabulary, idf, offset))
        offset += len(vocabulary)
    return tuple(blocks)


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    token_pattern=r"[^\s]+",  # noqa: S106 - a regex, not a password
                    lowercase=False,
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2,
                    lowercase=False,
                ),
            ),
        ]
    )
