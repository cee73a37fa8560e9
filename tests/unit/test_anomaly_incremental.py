"""Incremental scoring: partial block statistics, ``Detector.extend`` and the score memo.

Every shortcut here must give exactly the numbers of a full computation, so each test
compares against one.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.features.metrics.ports import Series
from ml.anomaly import (
    AnomalyService,
    Detector,
    DetectorParams,
    FittedState,
    ScoredSeries,
    StateCache,
)
from ml.anomaly.blocks import summarise, trailing_location_scale
from ml.anomaly.calibration import Calibrator, evaluation_index, to_bins
from ml.anomaly.memo import ScoreMemo
from ml.anomaly.model import FloatArray
from ml.anomaly.scoring import WORKERS

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


def naive_location_scale(e: FloatArray, rows: int, history: int) -> tuple[FloatArray, FloatArray]:
    """Reference: each block's statistics from its ``history`` complete blocks before, one
    block at a time, with numpy's own median and quantiles; the within-block noise from the
    window of the block's noise refresh (every block among the first 8, then every 4th)."""
    nb = -(-len(e) // rows)
    loc, scale = np.full(nb, np.nan), np.full(nb, np.nan)

    def past(k: int) -> list[FloatArray]:
        return [e[j * rows : (j + 1) * rows] for j in range(max(0, k - history), k)]

    for k in range(nb):
        if len(past(k)) < 3:
            continue
        med = np.array([np.median(b) for b in past(k)])
        noisy = past(k if k < 8 else k - k % 4)
        iqr = np.array([np.subtract(*np.quantile(b, [0.75, 0.25])) for b in noisy])
        spread = np.subtract(*np.quantile(med, [0.75, 0.25]))
        loc[k] = np.median(med)
        scale[k] = (spread + np.median(iqr)) / 1.349
    return loc, scale


def test_block_statistics_match_a_naive_computation() -> None:
    """Location and scale equal medians and quantiles of the blocks before each block."""
    e = np.random.default_rng(1).standard_t(3, (2, 1001))
    blocks = range(126)
    loc, scale, known = trailing_location_scale(summarise(e, 8), 32, 3, np.zeros(2), blocks)
    for c in range(2):
        want_loc, want_scale = naive_location_scale(e[c], 8, 32)
        np.testing.assert_allclose(loc[c], want_loc, rtol=1e-12)
        np.testing.assert_allclose(scale[c], want_scale, rtol=1e-12)
        np.testing.assert_array_equal(known[c], ~np.isnan(want_loc))


@pytest.mark.parametrize("rows", [1, 100, 129, 2000, 5999])
def test_references_from_a_prefix_equal_the_full_computation(rows: int) -> None:
    """References computed for a prefix and continued equal those computed at once."""
    rng = np.random.default_rng(2)
    bins = to_bins(np.round(np.abs(rng.normal(0, 3, (2, 6000)))))  # many ties
    include = rng.random((2, 6000)) > 0.1
    params = DetectorParams()

    def refs(rows: int, blocks: range, known: FloatArray) -> FloatArray:
        calibrator = Calibrator(bins[:, :rows], params, blocks, known.shape[1])
        return calibrator.references(include[:, :rows], known)

    full = refs(6000, range(750), np.zeros((2, 0)))
    head = refs(rows, range(-(-rows // 8)), np.zeros((2, 0)))
    np.testing.assert_array_equal(refs(6000, range(rows // 8, 750), head), full)


def test_calibration_reference_is_the_quantile_of_earlier_surprises() -> None:
    """Up to the histogram's resolution (a tenth of a decade), a block's reference is the
    99.8th percentile of the included surprises of the calibration window before its
    evaluation block."""
    rng = np.random.default_rng(3)
    z = np.abs(rng.standard_t(3, (1, 6000))) * 3
    include = rng.random((1, 6000)) > 0.1
    params = DetectorParams()
    calibrator = Calibrator(to_bins(z), params, range(750), 0)
    refs = calibrator.references(include, np.zeros((1, 0)))
    for block in (125, 375, 749):
        start = block - block % 8  # evaluated every 8 blocks of 8 rows
        window = slice(max(0, 8 * start - 4032), 8 * start)
        past = z[0, window][include[0, window]]
        got = refs[0, evaluation_index(np.array([block]), 8)[0]]
        assert abs(np.log10(got / np.quantile(past, 0.998))) < 0.1


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


def test_a_fleet_extended_in_any_grouping_equals_each_series_scored_alone() -> None:
    """A fleet scored together and extended again - as the whole batch in its order,
    reversed, a subset, mixed with a series scored on its own, with a gap in the new rows
    and a counter among them - gives each series exactly its own full score."""
    n, more = 1300, 40
    t = times(n + more)
    fleet = [rhythm(n + more, seed=seed) for seed in range(6)]
    fleet[2][n + 5] = np.nan
    fleet[4] = np.cumsum(np.abs(fleet[4]))  # a counter
    detector = Detector()
    states = [detector.fit(t[:n], x[:n]) for x in fleet]
    assert states[4].kind == "counter"
    first = detector.score_many([(t[:n], x[:n], s) for x, s in zip(fleet, states, strict=True)])
    alone = detector.score(t[:n], fleet[5][:n], states[5])
    scored = [*first[:5], alone]
    whole = [detector.score(t, x, s) for x, s in zip(fleet, states, strict=True)]
    for order in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [1, 3], [3, 4, 0, 1], [2]):
        for step in (1, more):
            grown = detector.append_many(
                [(scored[i], t[n : n + step], fleet[i][n : n + step]) for i in order]
            )
            for i, got in zip(order, grown, strict=True):
                end = n + step
                assert_same_scores(got, detector.score(t[:end], fleet[i][:end], states[i]))
                if step == more:
                    assert_same_scores(got, whole[i])
    batch = detector.append_many(
        [(s, t[n : n + 1], x[n : n + 1]) for s, x in zip(first, fleet, strict=True)]
    )
    again = detector.append_many(
        [(s, t[n + 1 :], x[n + 1 :]) for s, x in zip(batch, fleet, strict=True)]
    )
    for got, want in zip(again, whole, strict=True):
        assert_same_scores(got, want)


def test_a_fleet_split_over_the_workers_comes_back_as_one_batch() -> None:
    """A fleet big enough to be split over the scoring threads gives each series its own
    score, as rows of one batch (so the next question extends one batch), and extends to
    each series' own full score."""
    n, count = 600, 2 * WORKERS * 8
    t = times(n + 3)
    fleet = [rhythm(n + 3, seed=seed) for seed in range(count)]
    detector = Detector()
    states = [detector.fit(t[:n], x[:n]) for x in fleet]
    scored = detector.score_many([(t[:n], x[:n], s) for x, s in zip(fleet, states, strict=True)])
    assert len({id(s.origin[0]) for s in scored if s.origin is not None}) == 1
    assert [s.origin[1] for s in scored if s.origin is not None] == list(range(count))
    grown = detector.append_many([(s, t[n:], x[n:]) for s, x in zip(scored, fleet, strict=True)])
    for one, x, state, more in zip(scored, fleet, states, grown, strict=True):
        assert_same_scores(one, detector.score(t[:n], x[:n], state))
        assert_same_scores(more, detector.score(t, x, state))


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


def test_memo_continues_a_window_with_missing_values() -> None:
    """Missing values (NaN) match themselves: a window holding gaps that moved on is
    extended, not scored afresh."""
    x, t = rhythm(1505), times(1505)
    x[[300, 301, 1200]] = np.nan
    detector, state = fitted(t[:1500], x[:1500])
    memo = ScoreMemo()
    memo.score("cpu", detector, t[:1500], x[:1500], state)
    moved = memo.score("cpu", detector, t[5:], x[5:], state)
    assert memo.rows_scored == 1500 + 5
    np.testing.assert_array_equal(moved.raw, detector.score(t, x, state).raw[5:])


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


def test_surprises_fall_into_their_log_scale_bins() -> None:
    """Bin 0 below 0.1 sigma (and for NaN), ten bins per decade, the last one from TOP on."""
    from ml.anomaly.calibration import BINS, TOP

    z = np.array([np.nan, 0.0, 0.05, 0.1, 0.1259, 0.999, 1.0, 1e3, TOP * 0.999, TOP, np.inf])
    np.testing.assert_array_equal(
        to_bins(z), [0, 0, 0, 1, 2, 10, 11, 41, BINS - 2, BINS - 1, BINS - 1]
    )
    rng = np.random.default_rng(2)
    many = 10.0 ** rng.uniform(-3, 8, 5000)
    expected = np.clip(np.floor((np.log10(many) + 1) * 10), -1, BINS - 2) + 1
    np.testing.assert_array_equal(to_bins(many), expected.astype(np.uint8))
