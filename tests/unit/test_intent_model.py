"""The shipped intent model (``ml/data/intent_model.npz``) is a fresh fit of ``intents/data``,
and the numpy-only scoring gives scikit-learn's answers.

If a test here fails after a change to ``intents/data`` or ``intents/features.py``, the
shipped weights are stale: regenerate them with ``python -m ml.intent_training --write``.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from intents.analysis import analyse
from intents.evaluation import load_set
from intents.features import classifier_view, view_of
from intents.parser import IntentParser
from intents.text import clean
from ml import intent_training
from ml.intent_classifier import IntentClassifier
from ml.intent_training import REGENERATE, FittedModel, fit, load_utterances
from ml.intent_weights import (
    FORMAT,
    default_weights_path,
    differences,
    load_weights,
    save_weights,
)
from ml.text_analyzers import build_analyzer

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
STALE = f"the shipped weights are stale; regenerate them with `{REGENERATE}`"

ODD = [
    "",
    " ",
    "a",
    "ab",
    "  leading and trailing  ",
    "many   spaces\tand\ttabs\nand\r\nnewlines",
    "\u00a0no-break\u2003em\u3000ideographic\u2028line\x1cfile\x1fsep",
    "naïve café résumé",
    "e\u0301 combining, zero\u200bwidth, \ufeffbom",
    "日本語のテキスト と 中文",
    "emoji 🚀🔥 web-1 👩‍💻",
    "lone \ud800 surrogate",
    "x" * 3000 + " y " + "z" * 7,
    " ".join(f"w{i}" for i in range(600)),
    "cpu cpu cpu web-1",
]


@pytest.fixture(scope="module")
def fitted() -> FittedModel:
    return fit(load_utterances())


@pytest.fixture(scope="module")
def shipped() -> IntentClassifier:
    return IntentClassifier.load()


def held_out_texts() -> list[str]:
    """Every message of the evaluation sets in ``tests/unit/data``."""
    paths = sorted(DATA.glob("*.yaml"))
    assert len(paths) >= 3
    return [case.text for path in paths for conversation in load_set(path) for case in conversation]


def test_analyzers_equal_scikit_learn(fitted: FittedModel) -> None:
    """Both plain-Python analyzers return exactly scikit-learn's n-grams, in order, for the
    classifier view of every training utterance and for odd strings."""
    texts = [classifier_view(u.text) for u in load_utterances()] + ODD
    vectorizers: list[TfidfVectorizer] = [v for _, v in fitted.features.transformer_list]
    for vectorizer, exported in zip(vectorizers, fitted.weights().vectorizers, strict=True):
        ours, theirs = build_analyzer(exported.settings), vectorizer.build_analyzer()
        for text in texts:
            assert ours(text) == theirs(text), (exported.settings.analyzer, text)


def test_shipped_weights_equal_a_fresh_fit(fitted: FittedModel) -> None:
    """Same labels, settings, vocabularies, idf and coefficients, to float32 precision."""
    assert differences(load_weights(), fitted.weights()) == [], STALE


def test_shipped_predictions_equal_scikit_learn(
    fitted: FittedModel, shipped: IntentClassifier
) -> None:
    """The shipped model's probabilities are scikit-learn's ``predict_proba`` (to 1e-6) on the
    training utterances, the held-out and blind sets and odd strings."""
    texts = [u.text for u in load_utterances()] + held_out_texts() + ODD
    reference = fitted.predict_proba(texts)
    labels = [str(c) for c in fitted.model.classes_]
    assert list(shipped.labels) == labels, STALE
    worst = 0.0
    for text, row in zip(texts, reference, strict=True):
        ours = dict(shipped.predict(text))
        worst = max(worst, max(abs(ours[label] - p) for label, p in zip(labels, row, strict=True)))
    assert worst <= 1e-6, STALE


def test_check_command_names_the_regenerate_command(
    fitted: FittedModel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--check`` exits 0 on the shipped file and 1 on a changed one, saying how to fix it."""
    monkeypatch.setattr(intent_training, "train", lambda _: fitted.weights())
    assert intent_training.main(["--check"]) == 0
    weights = fitted.weights()
    nudged = replace(weights, coef=weights.coef * (1 + 1e-5))
    save_weights(nudged, tmp_path / "nudged.npz")
    assert intent_training.main(["--check", "--file", str(tmp_path / "nudged.npz")]) == 1
    assert f"regenerate it with `{REGENERATE}`" in capsys.readouterr().err
    assert intent_training.main(["--check", "--file", str(tmp_path / "missing.npz")]) == 1


def test_write_is_deterministic_and_round_trips(
    fitted: FittedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--write`` twice gives the same bytes, and reading them back gives the weights."""
    monkeypatch.setattr(intent_training, "train", lambda _: fitted.weights())
    first, second = tmp_path / "first.npz", tmp_path / "second.npz"
    assert intent_training.main(["--write", "--file", str(first)]) == 0
    assert intent_training.main(["--write", "--file", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert differences(load_weights(first), fitted.weights()) == []


def test_weights_file_is_package_data() -> None:
    """The shipped file is inside ``ml`` and matched by pyproject's package-data, so wheels
    (and the Docker image) carry it."""
    path = default_weights_path()
    assert path.is_file()
    assert path.parent.parent == ROOT / "ml"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"].get("ml", [])
    assert any(fnmatch("data/intent_model.npz", p) for p in patterns), patterns


def test_unreproducible_settings_are_refused(fitted: FittedModel) -> None:
    """Weights trained with settings the plain-Python analyzers cannot copy do not load."""
    weights = fitted.weights()
    lowered = replace(weights.vectorizers[0].settings, lowercase=True)
    broken = replace(weights, vectorizers=(replace(weights.vectorizers[0], settings=lowered),))
    with pytest.raises(ValueError, match="unsupported vectorizer settings"):
        IntentClassifier(broken)


def test_other_format_versions_are_refused(tmp_path: Path) -> None:
    """A file written in another format version fails with a clear error."""
    path = tmp_path / "future.npz"
    np.savez(path, meta=np.frombuffer(b'{"format": 99}', dtype=np.uint8))
    with pytest.raises(ValueError, match=f"format 99, expected {FORMAT}"):
        load_weights(path)


def test_a_repeated_message_is_ranked_once_and_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ranking is a pure function of the text: a repeat is served from the cache, equal to
    the first and not shared (a caller may change its list)."""
    classifier = IntentClassifier.load()
    seen: list[str] = []

    def counting_view(text: str) -> str:
        seen.append(text)
        return classifier_view(text)

    monkeypatch.setattr("ml.intent_classifier.classifier_view", counting_view)
    first = classifier.predict("what's down?")
    first.clear()
    again = classifier.predict("what's down?")
    assert seen == ["what's down?"]
    assert again == IntentClassifier.load().predict("what's down?")
    assert again[0][0] == "status"


def test_the_parser_ranks_its_own_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser hands the classifier the view of the analysis it already made (the text
    is not analysed a second time), and that ranks as the text does, for every training
    utterance."""
    classifier = IntentClassifier.load()
    for utterance in load_utterances():
        cleaned = clean(utterance.text)
        view = view_of(analyse(cleaned))
        assert classifier.predict_view(view) == classifier.predict(cleaned), utterance.text
    analysed: list[str] = []
    monkeypatch.setattr(
        "ml.intent_classifier.classifier_view", lambda text: analysed.append(text) or text
    )
    views: list[str] = []
    rank_view = classifier.predict_view
    monkeypatch.setattr(classifier, "predict_view", lambda v: views.append(v) or rank_view(v))
    intent = IntentParser(classifier, kept=0).parse("how is the checkout service holding up")
    assert (analysed, views) == ([], ["how is the xtarget service holding up"])
    assert intent.name == "health"
