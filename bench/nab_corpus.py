"""Score NAB-format corpora with the detector and evaluate them per category.

Shared by ``nab_bench.py`` (one run at the default parameters) and ``nab_loco.py`` (a small
grid). Every file is scored with :meth:`Detector.score_online` - fully causal, fit included -
across a process pool, and evaluated with the shared NAB scorer at one fixed threshold. Per
category the raw score comes with the scorer's null and perfect raw scores, so any union of
categories can be normalised afterwards without scoring again (NAB's normalisation is
``100 * (raw - null) / (perfect - null)`` and all three are sums over files).
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import multiprocessing
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from ml.anomaly import Detector, DetectorParams
from ml.anomaly.detect_cli import read_series_csv

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
Key = tuple[str, str]  # (corpus name, "category/file.csv")


@dataclass(frozen=True)
class Tally:
    """Raw score of a set of files for one profile, with what never firing and a perfect
    detector would score on the same files."""

    raw: float
    null: float
    perfect: float

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.raw + other.raw, self.null + other.null, self.perfect + other.perfect)

    @property
    def normalised(self) -> float:
        return 100.0 * (self.raw - self.null) / (self.perfect - self.null)


@dataclass(frozen=True)
class Evaluation:
    """One corpus (or category) at the fixed threshold: a tally per profile, windows hit,
    windows and false-positive rows (these three do not depend on the profile)."""

    tallies: dict[str, Tally]
    hits: int
    windows: int
    fp_rows: int


def load_scorer(path: Path) -> ModuleType:
    """Import the shared scorer from its path, as-is."""
    spec = importlib.util.spec_from_file_location("nab_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot import scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def data_files(root: Path) -> list[Path]:
    return sorted((root / "data").glob("*/*.csv"))


def _score_file(task: tuple[Path, DetectorParams]) -> np.ndarray:
    path, params = task
    series = read_series_csv(path)
    return Detector(params).score_online(series.timestamps, series.values).scores


def score_corpora(
    roots: dict[str, Path], params: DetectorParams, procs: int
) -> dict[Key, np.ndarray]:
    """Scores of every file of every corpus; the longest files go first to balance the pool."""
    keys = [(name, p) for name, root in roots.items() for p in data_files(root)]
    keys.sort(key=lambda k: -k[1].stat().st_size)
    tasks = [(path, params) for _, path in keys]
    if procs > 1:
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            scores = pool.map(_score_file, tasks, chunksize=1)
    else:
        scores = [_score_file(task) for task in tasks]
    return {
        (name, path.relative_to(roots[name] / "data").as_posix()): s
        for (name, path), s in zip(keys, scores, strict=True)
    }


def write_scores(root: Path, corpus: str, scores: dict[Key, np.ndarray], out: Path) -> None:
    """``<out>/<category>/<file>.csv`` with ``timestamp,value,anomaly_score``, for the scorer's
    own command line."""
    for (name, rel), s in scores.items():
        if name != corpus:
            continue
        series = read_series_csv(root / "data" / rel)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(("timestamp", "value", "anomaly_score"))
            for row in zip(series.timestamp_text, series.value_text, s, strict=True):
                writer.writerow((row[0], row[1], f"{row[2]:.6f}"))


def load_corpus(scorer: ModuleType, root: Path) -> object:
    """The scorer's corpus (labels and windows); its warnings about odd files are dropped."""
    with contextlib.redirect_stderr(io.StringIO()):
        return scorer.load_corpus(str(root))


def _evaluate(
    scorer: ModuleType, corpus: object, scores: dict[str, np.ndarray], t: float
) -> Evaluation:
    result = scorer.evaluate(corpus, scores, thresholds=t, sweep=False)
    tallies = {
        p: Tally(result[p]["fixed"]["raw"], result[p]["null_raw"], result[p]["perfect_raw"])
        for p in PROFILES
    }
    fixed = result["standard"]["fixed"]
    hits = fixed["windows_hit"]
    return Evaluation(tallies, hits, hits + fixed["windows_missed"], fixed["fp_rows"])


def evaluate_by_category(
    scorer: ModuleType, corpus: object, scores: dict[str, np.ndarray], threshold: float
) -> dict[str, Evaluation]:
    """An :class:`Evaluation` per category (first path component), and ``ALL``."""
    files: dict[str, object] = corpus.files  # type: ignore[attr-defined]
    out = {"ALL": _evaluate(scorer, corpus, scores, threshold)}
    for category in sorted({rel.split("/")[0] for rel in files}):
        rels = [rel for rel in files if rel.startswith(category + "/")]
        subset = corpus.subset(rels)  # type: ignore[attr-defined]
        out[category] = _evaluate(scorer, subset, {r: scores[r] for r in rels}, threshold)
    return out
