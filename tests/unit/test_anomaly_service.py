"""The bot-facing anomaly service: findings, ranking, worker threads, moved-together lines."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np

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

    def fit(self, timestamps: FloatArray, values: FloatArray) -> FittedState:
        self.threads.add(threading.get_ident())
        return super().fit(timestamps, values)

    def score(self, timestamps: FloatArray, values: FloatArray, state: FittedState) -> ScoredSeries:
        self.threads.add(threading.get_ident())
        return super().score(timestamps, values, state)


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
