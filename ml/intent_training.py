"""Fits the intent classifier with scikit-learn and writes the weights the bot ships.

The bot scores messages with numpy from ``ml/data/intent_model.npz``
(:mod:`ml.intent_classifier`); this module is the only place that fits the model, from the
utterances in ``intents/data`` seen through :func:`intents.features.classifier_view`. Fitting
is deterministic (sorted data, fixed ``random_state``, single-threaded solver), so the shipped
file can be checked against a fresh fit::

    python -m ml.intent_training --write   # after changing intents/data or intents/features
    python -m ml.intent_training --check   # exit 1 when the shipped file is stale

The solver runs with BLAS limited to one thread: on a problem this small, BLAS threads only
contend (ten times slower on a busy two-core machine).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
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
from ml.intent_weights import (
    IntentWeights,
    VectorizerWeights,
    default_weights_path,
    differences,
    load_weights,
    save_weights,
)
from ml.text_analyzers import AnalyzerSettings

SEED = 20240601
#: The command that rebuilds the shipped weights (run from the repository root).
REGENERATE = "python -m ml.intent_training --write"


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
class FittedModel:
    """The fitted scikit-learn objects: the reference the shipped weights are exported from
    and tested against."""

    features: FeatureUnion
    model: LogisticRegression

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """scikit-learn's probabilities for raw messages, columns in ``model.classes_`` order."""
        rows = self.features.transform([classifier_view(t) for t in texts])
        return np.asarray(self.model.predict_proba(rows), dtype=np.float64)

    def weights(self) -> IntentWeights:
        """The fitted parameters as plain arrays. A two-label model's single row of
        coefficients becomes the equivalent pair (zeros, row), so the softmax the bot computes
        gives scikit-learn's sigmoid probabilities for it too."""
        coef = np.asarray(self.model.coef_, dtype=np.float64)
        intercept = np.asarray(self.model.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([np.zeros_like(intercept), intercept])
        return IntentWeights(
            labels=tuple(str(c) for c in self.model.classes_),
            vectorizers=tuple(_vectorizer(v) for _, v in self.features.transformer_list),
            coef=coef,
            intercept=intercept,
        )


def fit(utterances: Sequence[Utterance]) -> FittedModel:
    """Fit on ``utterances``; equal inputs, in any order, give identical models."""
    ordered = sorted(utterances, key=lambda u: (u.intent, u.text))
    features = _features()
    matrix = features.fit_transform([classifier_view(u.text) for u in ordered])
    model = LogisticRegression(C=12.0, max_iter=3000, random_state=SEED)
    with threadpool_limits(limits=1):
        model.fit(matrix, [u.intent for u in ordered])
    return FittedModel(features, model)


def train(utterances: Sequence[Utterance]) -> IntentWeights:
    """The weights of a model fitted on ``utterances``."""
    return fit(utterances).weights()


def stale(path: Path) -> list[str]:
    """How the weights at ``path`` differ from a fresh fit on the packaged utterances."""
    if not path.is_file():
        return [f"{path} does not exist"]
    return differences(load_weights(path), train(load_utterances()))


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(
        prog="python -m ml.intent_training", description=__doc__.splitlines()[0]
    )
    action = args.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="fit and write the weights file")
    action.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args.add_argument("--file", type=Path, default=default_weights_path(), help="weights file")
    options = args.parse_args(argv)
    path: Path = options.file
    if options.write:
        weights = train(load_utterances())
        save_weights(weights, path)
        features = weights.coef.shape[1]
        print(
            f"wrote {path}: {len(weights.labels)} labels, {features} features, "
            f"{path.stat().st_size} bytes"
        )
        return 0
    found = stale(path)
    if found:
        print(
            f"{path} differs from a fresh fit ({'; '.join(found)}); regenerate it with "
            f"`{REGENERATE}`",
            file=sys.stderr,
        )
        return 1
    print(f"{path} matches a fresh fit")
    return 0


def _vectorizer(vectorizer: TfidfVectorizer) -> VectorizerWeights:
    params = vectorizer.get_params()
    settings = AnalyzerSettings(
        analyzer=params["analyzer"],
        ngram_range=tuple(params["ngram_range"]),
        token_pattern=params["token_pattern"] if params["analyzer"] == "word" else None,
        lowercase=params["lowercase"],
        sublinear_tf=params["sublinear_tf"],
        norm=params["norm"],
    )
    columns = vectorizer.vocabulary_
    vocabulary = tuple(str(term) for term in sorted(columns, key=columns.__getitem__))
    return VectorizerWeights(settings, vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64))


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


if __name__ == "__main__":
    sys.exit(main())
