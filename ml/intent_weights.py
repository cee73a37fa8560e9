"""The fitted intent classifier as plain arrays, and the package data file that ships them.

:mod:`ml.intent_training` fits the model with scikit-learn and writes
``ml/data/intent_model.npz``; :mod:`ml.intent_classifier` reads it with numpy alone, so the bot
neither trains at start-up nor imports scikit-learn. The file is a zip of ``.npy`` members
(readable by ``numpy.load`` with ``allow_pickle=False``):

* ``meta``: UTF-8 JSON with the format version, the labels and, per vectorizer, its
  :class:`~ml.text_analyzers.AnalyzerSettings` and vocabulary in column order;
* ``idf``: the idf weights of every vectorizer, concatenated in column order;
* ``coef`` (labels x features) and ``intercept``: the logistic regression.

Floats are stored as float32, which halves the file and is far below anything that changes a
ranking; :func:`differences` compares at that precision. Members are written in a fixed order
with a fixed timestamp, so the same weights always give the same bytes (with the same zlib).
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ml.text_analyzers import AnalyzerSettings

FORMAT = 1
_STORED = np.float32
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


@dataclass(frozen=True, slots=True)
class VectorizerWeights:
    """One fitted ``TfidfVectorizer``: how it cuts text, its terms and their idf."""

    settings: AnalyzerSettings
    #: Terms in column order (position = column within this vectorizer's block).
    vocabulary: tuple[str, ...]
    idf: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class IntentWeights:
    """Everything needed to score a message: TF-IDF blocks in feature order, then the
    multinomial logistic regression over their concatenation."""

    labels: tuple[str, ...]
    vectorizers: tuple[VectorizerWeights, ...]
    #: Shape (labels, features).
    coef: npt.NDArray[np.float64]
    intercept: npt.NDArray[np.float64]


def default_weights_path() -> Path:
    """The shipped weights (package data of ``ml``)."""
    return Path(str(resources.files("ml") / "data" / "intent_model.npz"))


def save_weights(weights: IntentWeights, path: Path) -> None:
    """Write ``weights`` to ``path`` (see the module docstring for the layout)."""
    meta = {
        "format": FORMAT,
        "labels": list(weights.labels),
        "vectorizers": [
            {"settings": dataclasses.asdict(v.settings), "vocabulary": list(v.vocabulary)}
            for v in weights.vectorizers
        ],
    }
    text = json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    members = {
        "meta": np.frombuffer(text.encode("utf-8"), dtype=np.uint8),
        "idf": np.concatenate([v.idf for v in weights.vectorizers]).astype(_STORED),
        "coef": weights.coef.astype(_STORED),
        "intercept": weights.intercept.astype(_STORED),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in members.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", _EPOCH), npy.getvalue())
    path.write_bytes(buffer.getvalue())


def load_weights(path: Path | None = None) -> IntentWeights:
    """Read weights written by :func:`save_weights` (default: the shipped file).

    Raises :class:`ValueError` for a file of another format version."""
    with np.load(path or default_weights_path(), allow_pickle=False) as data:
        meta: Any = json.loads(data["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"intent weights format {meta.get('format')!r}, expected {FORMAT}")
        idf = data["idf"].astype(np.float64)
        coef = data["coef"].astype(np.float64)
        intercept = data["intercept"].astype(np.float64)
    vectorizers: list[VectorizerWeights] = []
    start = 0
    for entry in meta["vectorizers"]:
        vocabulary = tuple(str(term) for term in entry["vocabulary"])
        end = start + len(vocabulary)
        vectorizers.append(
            VectorizerWeights(_settings(entry["settings"]), vocabulary, idf[start:end])
        )
        start = end
    return IntentWeights(tuple(meta["labels"]), tuple(vectorizers), coef, intercept)


def differences(shipped: IntentWeights, fresh: IntentWeights) -> list[str]:
    """What differs between two sets of weights, at the stored (float32) precision: labels,
    settings and vocabularies exactly; each array to within float32 resolution at its largest
    magnitude (rounding to float32 moves a value by at most half of that). Empty when equal."""
    found: list[str] = []
    if shipped.labels != fresh.labels:
        found.append(f"labels {shipped.labels} != {fresh.labels}")
    if len(shipped.vectorizers) != len(fresh.vectorizers):
        return [*found, "a different number of vectorizers"]
    for i, (old, new) in enumerate(zip(shipped.vectorizers, fresh.vectorizers, strict=True)):
        if old.settings != new.settings:
            found.append(f"vectorizer {i} settings {old.settings} != {new.settings}")
        if old.vocabulary != new.vocabulary:
            added = len(set(new.vocabulary) - set(old.vocabulary))
            removed = len(set(old.vocabulary) - set(new.vocabulary))
            found.append(f"vectorizer {i} vocabulary: {added} terms added, {removed} removed")
        elif not _close(old.idf, new.idf):
            found.append(f"vectorizer {i} idf")
    if not found:
        for name in ("coef", "intercept"):
            if not _close(getattr(shipped, name), getattr(fresh, name)):
                found.append(name)
    return found


def _close(stored: npt.NDArray[np.float64], fresh: npt.NDArray[np.float64]) -> bool:
    if stored.shape != fresh.shape:
        return False
    resolution = float(np.finfo(_STORED).eps) * float(np.abs(fresh).max(initial=0.0))
    return bool(np.all(np.abs(stored - fresh) <= resolution))


def _settings(entry: Any) -> AnalyzerSettings:
    low, high = entry["ngram_range"]
    return AnalyzerSettings(
        analyzer=str(entry["analyzer"]),
        ngram_range=(int(low), int(high)),
        token_pattern=entry["token_pattern"],
        lowercase=bool(entry["lowercase"]),
        sublinear_tf=bool(entry["sublinear_tf"]),
        norm=entry["norm"],
    )
