"""Incremental scoring: partial rolling statistics, ``Detector.extend`` and the score memo.

Every shortcut here must give exactly the numbers of a full computation, so each test
compares against one.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.features.metrics.ports import Series
from ml.anomaly import AnomalyService, Detector, FittedState, ScoredSeries, StateCache
from ml.anomaly.memo import ScoreMemo
from ml.anomaly.model import FloatArray
from ml.anomaly.rolling import block_quantiles

T0 = 1_700_000_000.0
STEP = 300.0


def times(n: int) -> FloatArray:
    return T0 + STEP * np.arange(n, dtype=np.float64)


def rhythm(n: int, seed: int = 0) -> FloatArray:
    """Two and a half weeks of a daily rhythm with noise, a spike and a level shift."""
    rows_per_day = round(86_400 / STEP)
    x = 50 + 20 * np.sin(2 * np.pi * np.arange(n) / rows_per_day)
    x = x + np.random.default_rng(seed).normal(0, 1, n)
    x[n // 2] += 25
    x[3 * n // 4 :] += 8
    return x


def assert_same_scores(a: ScoredSeries, b: ScoredSeries) -> None:
    for name in ("timestamps", "scored_values", "scores", "raw", "baseline", "scale", "driver"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.values, b.values)


def sorted_quantiles(x: FloatArray, window: int, stride: int, qs: tuple[float, ...]) -> FloatArray:
    """Reference: numpy's own quantile of each block's trailing window, one block at a time."""
    out = np.full((len(x), len(qs)), np.nan)
    for b in range(0, len(x), stride):
        past = x[max(0, b - window) : b]
        if len(past):
            out[b : b + stride] = np.quantile(past, qs)
    return out


@pytest.mark.parametrize("qs", [(0.25, 0.5, 0.75), (0.998,), (0.9,)])
def test_block_quantiles_match_numpy_quantile(qs: tuple[float, ...]) -> None:
    """Low, middle and high quantiles equal np.quantile of each block's trailing window."""
    x = np.abs(np.random.default_rng(1).standard_t(3, 3000))
    got = block_quantiles(x, 1200, 4, qs, 1)
    np.testing.assert_allclose(got, sorted_quantiles(x, 1200, 4, qs), rtol=1e-12)


@pytest.mark.parametrize("first", [1, 5, 998, 1001, 2999, 3000])
def test_block_quantiles_from_a_row_equal_the_full_computation(first: int) -> None:
    """Computing only rows >= first gives those rows exactly as a full call does."""
    x = np.round(np.random.default_rng(2).normal(0, 3, 3000))  # many ties
    for window, qs in ((1000, (0.25, 0.5, 0.75)), (4000, (0.998,))):
        full = block_quantiles(x, window, 4, qs, 50)
        part = block_quantiles(x, window, 4, qs, 50, first)
        np.testing.assert_array_equal(part[first:], full[first:])


@pytest.mark.parametrize("split", [1, 301, 2000, 4321, 4999])
def test_extend_equals_scoring_everything_at_once(split: int) -> None:
    """Scoring a prefix and extending it gives the same rows as scoring the whole series."""
    n = 5000
    x, t = rhythm(n, seed=3), times(n)
    x[1500:1510] = np.nan
    detector = Detector()
    state = detector.fit(t[:3000], x[:3000])
    assert state.seasons  # the seasonal component is part of what must line up
    whole = detector.score(t, x, state)
    extended = detector.extend(detector.score(t[:split], x[:split], state), t, x)
    assert_same_scores(extended, whole)


def test_extend_in_many_small_steps_equals_one_full_score() -> None:
    """Appending a few rows at a time (as a bot polling every minute does) changes nothing."""
    n = 1600
    x, t = rhythm(n, seed=4), times(n)
    detector = Detector()
    state = detector.fit(t, x)
    scored = detector.score(t[:1400], x[:1400], state)
    for end in range(1403, n + 1, 3):
        scored = detector.extend(scored, t[:end], x[:end])
    end = len(scored.timestamps)
    assert end > 1590
    assert_same_scores(scored, detector.score(t[:end], x[:end], state))


def test_extend_refuses_a_series_that_does_not_continue_the_scored_rows() -> None:
    """A changed earlier value or a series scored without one fixed state cannot be extended."""
    x, t = rhythm(1200), times(1200)
    detector = Detector()
    state = detector.fit(t, x)
    scored = detector.score(t[:1000], x[:1000], state)
    changed = x.copy()
    changed[10] += 1
    with pytest.raises(ValueError, match="does not continue"):
        detector.extend(scored, t, changed)
    with pytest.raises(ValueError, match="fixed state"):
        detector.extend(detector.score_online(t[:1000], x[:1000]), t, x)


def fitted(t: FloatArray, x: FloatArray) -> tuple[Detector, FittedState]:
    detector = Detector()
    return detector, detector.fit(t, x)


def test_memo_scores_a_repeated_window_once() -> None:
    """Asking about the same window again computes no rows and returns the same scores."""
    x, t = rhythm(1500), times(1500)
    detector, state = fitted(t, x)
    memo = ScoreMemo()
    first = memo.score("cpu", detector, t, x, state)
    again = memo.score("cpu", detector, t, x, state)
    assert memo.rows_scored == 1500
    assert_same_scores(again, first)
    assert_same_scores(first, detector.score(t, x, state))


def test_memo_scores_only_the_new_rows_of_a_window_that_moved_on() -> None:
    """A window moved on by k rows costs k rows and equals scoring the whole history."""
    x, t = rhythm(1510), times(1510)
    detector, state = fitted(t[:1500], x[:1500])
    memo = ScoreMemo()
    memo.score("cpu", detector, t[:1500], x[:1500], state)
    moved = memo.score("cpu", detector, t[10:], x[10:], state)
    assert memo.rows_scored == 1500 + 10
    whole = detector.score(t, x, state)
    np.testing.assert_array_equal(moved.timestamps, t[10:])
    np.testing.assert_array_equal(moved.raw, whole.raw[10:])
    np.testing.assert_array_equal(moved.scores, whole.scores[10:])
    inner = memo.score("cpu", detector, t[100:900], x[100:900], state)
    assert memo.rows_scored == 1510
    np.testing.assert_array_equal(inner.raw, whole.raw[100:900])


def test_memo_rescores_when_rows_differ_or_the_history_would_grow_too_long() -> None:
    """A revised value, another state or a window far past the memory is scored afresh."""
    x, t = rhythm(3000), times(3000)
    detector, state = fitted(t[:1000], x[:1000])
    memo = ScoreMemo(max_history_factor=1.0)
    memo.score("cpu", detector, t[:1000], x[:1000], state)
    revised = x[:1000].copy()
    revised[500] += 3
    got = memo.score("cpu", detector, t[:1000], revised, state)
    assert_same_scores(got, detector.score(t[:1000], revised, state))
    other_state = detector.fit(t[:900], x[:900])
    memo.score("cpu", detector, t[:1000], revised, other_state)
    assert memo.rows_scored == 3000
    far = memo.score("cpu", detector, t[1500:2000], x[1500:2000], other_state)
    assert_same_scores(far, detector.score(t[1500:2000], x[1500:2000], other_state))


def series_of(t: FloatArray, x: FloatArray) -> Series:
    return Series({}, tuple(t.tolist()), tuple(x.tolist()))


async def test_service_answers_a_repeated_question_without_rescoring() -> None:
    """The second identical question gives the same findings and scores no row again."""
    x, t = rhythm(1500, seed=6), times(1500)
    service = AnomalyService(cache=StateCache())
    batch = [("cpu", series_of(t, x)), ("mem", series_of(t, x[::-1].copy()))]
    first = await service.find(batch)
    scored = service.memo.rows_scored
    assert first
    assert await service.find(batch) == first
    assert service.memo.rows_scored == scored
