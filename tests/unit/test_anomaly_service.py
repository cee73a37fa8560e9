"""The bot-facing anomaly service: findings, ranking, worker threads, moved-together lines."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from bot.features.anomaly.ports import Finding
from bot.features.metrics.ports import Series
from ml.anomaly import AnomalyService, Detector, FittedState, StateCache, moved_together
from ml.anomaly.model import FloatArray, ScoredSeries

T0 = 1_700_000_000.0
STEP = 60.0


def series(values: FloatArray) -> Series:
    t = T0 + STEP * np.arange(len(values))
    return Series({}, tuple(t.tolist()), tuple(float(v) for v in values))


def calm(n: int = 1500, seed: int = 0) -> FloatArray:
    return 40 + np.random.default_rng(seed).normal(0, 1, n)


class ThreadRecordingDetector(Detector):
    """A real detector that remembers which threads fitted and scored."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def fit_many(self, series: Sequence[tuple[FloatArray, FloatArray]]) -> list[FittedState]:
        self.threads.add(threading.get_ident())
        return super().fit_many(series)

    def score_many(
        self, series: Sequence[tuple[FloatArray, FloatArray, FittedState]]
    ) -> list[ScoredSeries]:
        self.threads.add(threading.get_ident())
        return super().score_many(series)


async def test_findings_are_ranked_across_series_by_peak_score() -> None:
    """The series with the bigger spike comes first; a calm series gives nothing late on."""
    big, small = calm(seed=1), calm(seed=2)
    big[1300] += 40
    small[1250] += 8
    findings = await AnomalyService().find(
        [("small", series(small)), ("big", series(big)), ("calm", series(calm(seed=3)))],
        metric="latency",
        target="checkout-api",
        since=T0 + 1000 * STEP,
    )
    assert [f.series for f in findings][:2] == ["big", "small"]
    assert "calm" not in {f.series for f in findings}
    assert findings[0].peak_score >= findings[1].peak_score


async def test_finding_carries_span_expectation_and_deviation() -> None:
    """A finding says when, the expected range, how far outside it and in words."""
    x = calm(seed=4)
    x[1300:1310] += 15
    (finding, *_) = await AnomalyService().find(
        [("p99", series(x))], metric="latency", target="api", since=T0 + 1000 * STEP
    )
    assert (finding.metric, finding.target) == ("latency", "api")
    assert finding.start <= T0 + 1300 * STEP <= finding.end
    assert finding.expected_low < 40 < finding.expected_high
    assert finding.peak_value > finding.expected_high
    assert finding.deviation > 5
    assert not finding.ongoing
    assert "began" in finding.explanation


async def test_ongoing_incident_is_reported_as_ongoing() -> None:
    """A shift that continues to the last sample is an ongoing finding."""
    x = calm(seed=5)
    x[1490:] += 20
    findings = await AnomalyService().find([("cpu", series(x))])
    assert findings[0].ongoing


async def test_since_hides_spans_that_ended_before_the_question_range() -> None:
    """Only spans still running at or after ``since`` are reported."""
    x = calm(seed=6)
    x[600] += 40
    service = AnomalyService()
    everything = await service.find([("cpu", series(x))])
    recent = await service.find([("cpu", series(x))], since=T0 + 1000 * STEP)
    assert any(f.start <= T0 + 600 * STEP <= f.end for f in everything)
    assert not any(f.end < T0 + 1000 * STEP for f in recent)


async def test_scoring_runs_in_a_worker_thread() -> None:
    """Fitting and scoring never happen on the event loop's thread."""
    detector = ThreadRecordingDetector()
    await AnomalyService(detector, StateCache()).find([("cpu", series(calm()))])
    assert detector.threads
    assert threading.get_ident() not in detector.threads


async def test_too_short_series_are_skipped() -> None:
    """A series with too few points yields no finding rather than noise."""
    assert await AnomalyService().find([("cpu", series(np.array([1.0, 50.0, 1.0])))]) == []


def finding(series: str, start: float, end: float, deviation: float = 3.0) -> Finding:
    return Finding(series, None, "api", start, end, False, 0.8, 1.0, 0.0, 1.0, deviation, "x")


def at(hh: int, mm: int) -> float:
    return dt.datetime(2024, 5, 1, hh, mm, tzinfo=dt.UTC).timestamp()


def test_overlapping_findings_moved_together() -> None:
    """Series whose spans overlap are named together, leader first, with the time."""
    lines = moved_together(
        [
            finding("latency", at(14, 5), at(14, 30)),
            finding("cpu", at(14, 2), at(14, 20)),
            finding("requests", at(14, 10), at(14, 15), deviation=-4.0),
        ]
    )
    assert lines == ["latency rose with cpu at 14:05", "requests fell with cpu at 14:10"]


def test_separate_findings_did_not_move_together() -> None:
    """Spans that do not overlap produce no sentence; slack can bridge a short gap."""
    apart = [finding("cpu", at(9, 0), at(9, 10)), finding("latency", at(9, 12), at(9, 20))]
    assert moved_together(apart) == []
    assert moved_together(apart, slack=300) == ["latency rose with cpu at 09:12"]


def test_two_spans_of_one_series_are_not_a_correlation() -> None:
    """A series never 'moves with' itself."""
    same = [finding("cpu", at(9, 0), at(9, 10)), finding("cpu", at(9, 5), at(9, 20))]
    assert moved_together(same) == []


def test_states_of_a_fleet_fitted_together_are_those_fitted_one_by_one() -> None:
    """``fit_many`` gives each series the state ``fit`` gives it: gauges (with and without
    a rhythm), counters, gaps, a repeated timestamp, negative values and short series."""
    rng = np.random.default_rng(3)
    n = 3 * 288
    t = T0 + 300.0 * np.arange(n)
    day = 20 * np.sin(2 * np.pi * np.arange(n) / 288)
    fleet = [calm(n, seed) for seed in range(4)] + [50 + day + rng.normal(0, 1, n)]
    fleet += [np.cumsum(rng.random(n)), -calm(n, 9), np.full(n, 7.0), np.arange(n) % 50]
    gappy = calm(n, 5)
    gappy[[3, 40]] = [np.nan, np.inf]
    fleet.append(gappy)
    pairs = [(t, x) for x in fleet]
    repeated = t.copy()
    repeated[7] = repeated[6]
    pairs += [(repeated, calm(n, 6)), (t[:500], calm(500, 7)), (t[:8], calm(8, 8))]
    pairs += [(t[:8], calm(8, 10))]
    detector = Detector()
    together = detector.fit_many(pairs)
    assert detector.fit_count == len(pairs)
    alone = [Detector().fit(ts, x) for ts, x in pairs]
    assert together == alone
    assert {s.kind for s in alone} == {"gauge", "counter"}
    assert alone[4].seasons
    assert not alone[0].seasons


def test_cache_keys_of_a_fleet_are_those_of_each_series() -> None:
    """The sampling steps of a fleet found at once name the same cache keys."""
    from ml.anomaly.service import cache_key, cache_keys

    rng = np.random.default_rng(4)
    fleet = [T0 + np.cumsum(rng.choice([60.0, 60.0, 61.0, 300.0], size=400)) for _ in range(5)]
    fleet[1][-3] = fleet[1][-4]  # a repeated timestamp: the step ignores it
    fleet += [T0 + 60.0 * np.arange(100), np.zeros(0), T0 + 30.0 * np.arange(129)]
    names = [f"s{i}" for i in range(len(fleet))]
    assert cache_keys(names, fleet) == [
        cache_key(n, ts) for n, ts in zip(names, fleet, strict=True)
    ]
    assert cache_keys(names[:1], fleet[:1]) == [cache_key(names[0], fleet[0])]


def test_series_values_become_the_same_floats_and_bad_ones_are_refused() -> None:
    """Tuples of numbers convert exactly (NaN, inf, ints, huge values); a value that is
    not a number is a clear ValueError, as with ``np.fromiter``."""
    from ml.anomaly.service import _floats

    values = (1.5, float("nan"), float("inf"), -float("inf"), 2**70, 7, 1e308, -0.0, True)
    got = _floats(values)
    np.testing.assert_array_equal(got, np.fromiter(values, dtype=np.float64))
    assert got.flags.writeable
    assert len(_floats(())) == 0
    with pytest.raises(ValueError, match="could not convert"):
        _floats((1.0, "x"))  # type: ignore[arg-type]
