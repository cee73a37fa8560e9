"""Fitted-state versioning, serialisation and the per-series cache (memory and disk)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bot.features.metrics.ports import Series
from ml.anomaly import AnomalyService, Detector, DetectorParams, FittedState, StateCache
from ml.anomaly.model import DETECTOR_NAME, DETECTOR_VERSION

T0 = 1_700_000_000.0


def series(n: int = 2000, step: float = 300.0, seed: int = 0) -> Series:
    t = T0 + step * np.arange(n)
    rows_per_day = 86_400 / step
    x = 50 + 20 * np.sin(2 * np.pi * np.arange(n) / rows_per_day)
    x = x + np.random.default_rng(seed).normal(0, 1, n)
    return Series({"job": "api"}, tuple(t.tolist()), tuple(x.tolist()))


def state_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def set_stored_version(path: Path, version: int) -> None:
    data = json.loads(path.read_text())
    data["state"]["version"] = version
    path.write_text(json.dumps(data))


def stored_version(path: Path) -> int:
    return int(json.loads(path.read_text())["state"]["version"])


def fitted(params: DetectorParams | None = None) -> FittedState:
    s = series()
    return Detector(params).fit(np.asarray(s.timestamps), np.asarray(s.values))


def test_state_records_name_version_params_and_training_window() -> None:
    """A fitted state says which detector, version and parameters made it, on what rows."""
    s = series()
    state = fitted()
    assert (state.detector, state.version) == (DETECTOR_NAME, DETECTOR_VERSION)
    assert state.params == DetectorParams()
    assert (state.train_start, state.train_end) == (s.timestamps[0], s.timestamps[-1])
    assert state.train_rows == len(s.timestamps)
    assert state.step_seconds == 300.0


def test_state_round_trips_through_json() -> None:
    """to_json/from_json give back an equal state, parameters included."""
    state = fitted(DetectorParams(refractory_rows=50))
    again = FittedState.from_json(state.to_json())
    assert again == state
    assert json.loads(state.to_json())["params"]["refractory_rows"] == 50


@pytest.mark.parametrize("text", ["", "[]", '{"format": 99}', '{"format": 1, "detector": "x"}'])
def test_garbage_is_not_a_state(text: str) -> None:
    """Anything that is not a state in the current format raises ValueError."""
    with pytest.raises(ValueError):
        FittedState.from_json(text)


def test_compatibility_follows_version_and_parameters() -> None:
    """A state is compatible only with the same detector version and parameters."""
    state = fitted()
    assert state.is_compatible(DetectorParams())
    assert not state.is_compatible(DetectorParams(refractory_rows=7))
    assert not dataclasses.replace(state, version=DETECTOR_VERSION + 1).is_compatible(
        DetectorParams()
    )


def test_cache_is_an_lru_of_bounded_size() -> None:
    """The least recently used key is evicted first."""
    cache = StateCache(capacity=2)
    state = fitted()
    cache.put("a", state)
    cache.put("b", state)
    assert cache.get("a", state.params) is state  # touch a
    cache.put("c", state)
    assert cache.get("b", state.params) is None
    assert cache.get("a", state.params) is state
    assert len(cache) == 2


async def test_second_question_about_a_series_does_not_refit() -> None:
    """Asking twice about the same series fits once."""
    detector = Detector()
    service = AnomalyService(detector, StateCache())
    await service.find([("cpu", series())])
    await service.find([("cpu", series())])
    assert detector.fit_count == 1


async def test_restarted_service_reuses_the_disk_cache(tmp_path: Path) -> None:
    """A new process (new detector and cache) on the same directory does not refit."""
    first = AnomalyService(Detector(), StateCache(directory=tmp_path))
    before = await first.find([("cpu", series())])
    restarted_detector = Detector()
    restarted = AnomalyService(restarted_detector, StateCache(directory=tmp_path))
    after = await restarted.find([("cpu", series())])
    assert restarted_detector.fit_count == 0
    assert after == before
    assert len(state_files(tmp_path)) == 1


async def test_parameter_change_invalidates_the_cached_state(tmp_path: Path) -> None:
    """Different parameters refit, even with a state on disk for the same series."""
    await AnomalyService(Detector(), StateCache(directory=tmp_path)).find([("cpu", series())])
    other = Detector(DetectorParams(refractory_rows=10))
    await AnomalyService(other, StateCache(directory=tmp_path)).find([("cpu", series())])
    assert other.fit_count == 1


async def test_version_change_invalidates_the_cached_state(tmp_path: Path) -> None:
    """A state written by another detector version is dropped and refitted."""
    await AnomalyService(Detector(), StateCache(directory=tmp_path)).find([("cpu", series())])
    (path,) = state_files(tmp_path)
    set_stored_version(path, DETECTOR_VERSION - 1)
    detector = Detector()
    await AnomalyService(detector, StateCache(directory=tmp_path)).find([("cpu", series())])
    assert detector.fit_count == 1
    assert stored_version(path) == DETECTOR_VERSION


async def test_new_sampling_step_or_stale_state_refits() -> None:
    """A series fetched at another resolution, or much later, is refitted."""
    detector = Detector()
    service = AnomalyService(detector, StateCache(), refit_after=3600)
    await service.find([("cpu", series(step=300.0))])
    await service.find([("cpu", series(n=1000, step=600.0))])
    assert detector.fit_count == 2
    later = series()
    shifted = Series(later.labels, tuple(t + 7200 for t in later.timestamps), later.values)
    await service.find([("cpu", shifted)])
    assert detector.fit_count == 3


def test_unreadable_cache_file_is_ignored(tmp_path: Path) -> None:
    """A corrupt file on disk is a cache miss, not an error."""
    cache = StateCache(directory=tmp_path)
    cache.put("cpu", fitted())
    (path,) = state_files(tmp_path)
    path.write_text("{not json")
    assert StateCache(directory=tmp_path).get("cpu", DetectorParams()) is None
