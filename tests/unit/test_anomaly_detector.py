"""Behaviour of the anomaly detector on synthetic series, one behaviour per test."""

from __future__ import annotations

import numpy as np
import pytest

from ml.anomaly import ALERT_THRESHOLD, COMPONENTS, Detector, DetectorParams, find_spans
from ml.anomaly.explain import span_rows, span_rows_many, strongest_spans, strongest_spans_many
from ml.anomaly.model import FloatArray, ScoredSeries

STEP = 300.0
T0 = 1_700_000_000.0
WARMUP = 300  # rows the detector is still learning what is normal; not judged here


def times(n: int, step: float = STEP) -> FloatArray:
    return T0 + step * np.arange(n, dtype=np.float64)


def noise(n: int, seed: int, sd: float = 1.0) -> FloatArray:
    return 50.0 + np.random.default_rng(seed).normal(0.0, sd, n)


def daily(n: int, seed: int) -> FloatArray:
    rows_per_day = round(86_400 / STEP)
    phase = 2 * np.pi * np.arange(n) / rows_per_day
    return 50.0 + 20.0 * np.sin(phase) + np.random.default_rng(seed).normal(0.0, 1.0, n)


def raw_alerts(x: FloatArray, params: DetectorParams | None = None) -> np.ndarray:
    """Rows after warm-up whose unsuppressed score reaches the alert threshold."""
    result = Detector(params).score_online(times(len(x)), x)
    hot = np.nonzero(result.raw >= ALERT_THRESHOLD)[0]
    return hot[hot >= WARMUP]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spike_is_flagged_at_the_spike(seed: int) -> None:
    """A 15-sigma spike scores above the alert threshold on the spike's own row."""
    x = noise(1500, seed)
    x[1200] += 15
    result = Detector().score_online(times(len(x)), x)
    assert result.raw[1200] >= ALERT_THRESHOLD
    assert COMPONENTS[result.driver[1200]] in {"level", "jump"}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_level_shift_is_flagged_when_it_starts_and_then_accepted(seed: int) -> None:
    """A lasting +6 sigma step alerts within a few rows, and the new level stops alerting."""
    x = noise(1800, seed)
    x[1000:] += 6
    hot = raw_alerts(x)
    assert any(1000 <= i <= 1005 for i in hot)
    assert not any(i >= 1500 for i in hot)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trend_change_is_flagged_soon_after_it_starts(seed: int) -> None:
    """A flat series that starts climbing (5 sigma per 100 rows) alerts within 60 rows."""
    x = noise(1400, seed)
    x[1000:] += 0.05 * np.arange(400)
    hot = raw_alerts(x)
    assert any(1000 <= i <= 1060 for i in hot)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_daily_rhythm_is_learned_and_not_flagged(seed: int) -> None:
    """A week of a strong daily rhythm is recognised as daily and alerts at most twice."""
    x = daily(2016, seed)
    state = Detector().fit(times(len(x)), x)
    assert [s.name for s in state.seasons] == ["daily"]
    result = Detector().score_online(times(len(x)), x)
    assert np.count_nonzero(result.scores[WARMUP:] >= ALERT_THRESHOLD) <= 2


def test_broken_daily_rhythm_is_flagged_by_the_daily_component() -> None:
    """The rhythm skipping its peak (values stay in the normal range) is caught as daily."""
    x = daily(2016, seed=5)
    peak = 5 * 288 + 72  # the sixth day's peak
    x[peak - 12 : peak + 12] = 50.0 + np.random.default_rng(9).normal(0, 1, 24)
    result = Detector().score_online(times(len(x)), x)
    window = slice(peak - 12, peak + 12)
    assert result.raw[window].max() >= ALERT_THRESHOLD
    hot = result.raw[window] >= ALERT_THRESHOLD
    drivers = {COMPONENTS[d] for d in result.driver[window][hot]}
    assert "daily" in drivers


def test_flat_line_never_alerts_and_scores_zero() -> None:
    """A constant series has all-zero scores (no division by a zero spread)."""
    result = Detector().score_online(times(2000), np.full(2000, 45.0))
    assert np.all(result.scores == 0.0)


def test_flat_line_that_moves_is_flagged() -> None:
    """A series stuck at one value that suddenly changes alerts on the change."""
    x = np.full(1500, 45.0)
    x[1200:] = 47.0
    result = Detector().score_online(times(len(x)), x)
    assert result.raw[1200] >= ALERT_THRESHOLD


@pytest.mark.parametrize("seed", range(6))
def test_noisy_series_without_anomaly_has_few_false_alarms(seed: int) -> None:
    """Heavy Gaussian noise alerts on at most 0.3 % of rows after suppression of repeats."""
    x = noise(3000, seed, sd=10.0)
    result = Detector().score_online(times(len(x)), x)
    alerts = np.nonzero(result.scores[WARMUP:] >= ALERT_THRESHOLD)[0]
    assert len(alerts) <= 0.003 * (len(x) - WARMUP)


def test_repeated_alerts_are_suppressed_for_the_refractory_period() -> None:
    """After an alert, the published score stays below threshold for refractory_rows rows."""
    x = noise(1500, 0)
    x[1000:1030] += 20
    result = Detector().score_online(times(len(x)), x)
    assert result.raw[1000:1030].min() >= 0.0
    published = np.nonzero(result.scores[1000:1100] >= ALERT_THRESHOLD)[0]
    assert list(published) == [0]
    assert (result.raw[1001:1030] >= ALERT_THRESHOLD).any()


def test_counter_is_scored_as_a_rate_and_resets_do_not_alert() -> None:
    """A monotone counter with resets is detected as such; only a rate surge alerts."""
    rng = np.random.default_rng(3)
    increments = rng.poisson(100, 2000).astype(np.float64)
    increments[1500:1520] *= 4
    counter = np.cumsum(increments)
    counter[700:] -= counter[699]  # restart
    counter[1200:] -= counter[1199]  # restart again
    result = Detector().score_online(times(len(counter)), counter)
    assert result.state.kind == "counter"
    hot = np.nonzero(result.raw >= ALERT_THRESHOLD)[0]
    assert any(1500 <= i <= 1505 for i in hot)
    assert not any(i in (700, 1200) for i in hot)


def test_gaps_and_missing_values_are_tolerated() -> None:
    """NaN values score 0, a two-hour hole in time is fine, and all scores stay in [0, 1]."""
    x = noise(1500, 4)
    x[400:420] = np.nan
    t = times(1500)
    t[900:] += 7200
    x[1200] += 20
    result = Detector().score_online(t, x)
    assert np.all((result.scores >= 0) & (result.scores <= 1))
    assert np.all(result.scores[400:420] == 0)
    assert result.raw[1200] >= ALERT_THRESHOLD


def test_short_and_empty_series_do_not_fail() -> None:
    """Fewer rows than the warm-up just score 0; an empty series scores nothing."""
    assert Detector().score_online(times(0), np.zeros(0)).scores.shape == (0,)
    assert np.all(Detector().score_online(times(20), noise(20, 0)).scores == 0)


@pytest.mark.parametrize("cut", [150, 700, 900, 1333, 1999])
def test_online_scores_are_causal(cut: int) -> None:
    """Cutting off the future does not change any earlier score (fit included)."""
    x = daily(2400, seed=2)
    x[1800] += 30
    full = Detector().score_online(times(len(x)), x)
    prefix = Detector().score_online(times(cut), x[:cut])
    np.testing.assert_array_equal(full.scores[:cut], prefix.scores)
    np.testing.assert_array_equal(full.raw[:cut], prefix.raw)


@pytest.mark.parametrize("cut", [1, 31, 700, 1333, 2399])
def test_changing_later_rows_never_changes_an_earlier_score(cut: int) -> None:
    """Rewriting every row from ``cut`` on (noise, gaps, a huge value, time going back)
    leaves all earlier scores as they were: online (fit included) and with a fitted state."""
    x, t = daily(2400, seed=3), times(2400)
    y, u = x.copy(), t.copy()
    rng = np.random.default_rng(11)
    y[cut:] = rng.normal(0, 500, len(y) - cut)
    y[cut::7] = np.nan
    y[min(cut + 3, 2399)] = 1e300
    u[cut:] -= 3600.0  # later timestamps jump back an hour
    detector = Detector()
    state = detector.fit(t[:1000], x[:1000])
    pairs = [
        (Detector().score_online(t, x), Detector().score_online(u, y)),
        (detector.score(t, x, state), detector.score(u, y, state)),
    ]
    for a, b in pairs:
        np.testing.assert_array_equal(a.scores[:cut], b.scores[:cut])
        np.testing.assert_array_equal(a.raw[:cut], b.raw[:cut])


@pytest.mark.parametrize("kind", ["spike", "shift"])
def test_one_huge_value_does_not_blind_the_detector_for_a_week(kind: str) -> None:
    """A single 1e300 alerts; a modest spike (or shift) a week later still alerts, and the
    week in between stays quiet - online and with a state fitted before the huge value."""
    n = 288 * 21  # three weeks of 5-minute rows with a daily rhythm
    x, t = daily(n, seed=4), times(n)
    huge, later = 288 * 9 + 100, 288 * 16 + 100
    x[huge] = 1e300
    if kind == "spike":
        x[later] += 12
    else:
        x[later : later + 48] += 8
    detector = Detector()
    state = detector.fit(t[:huge], x[:huge])
    for result in (Detector().score_online(t, x), detector.score(t, x, state)):
        assert result.scores[huge] >= ALERT_THRESHOLD
        assert result.scores[later : later + 6].max() >= ALERT_THRESHOLD
        assert np.count_nonzero(result.scores[huge + 1 : later] >= ALERT_THRESHOLD) <= 1


def test_scores_with_a_fitted_state_are_causal() -> None:
    """With a fixed fitted state, truncating the series leaves earlier scores unchanged."""
    x = daily(2000, seed=8)
    detector = Detector()
    state = detector.fit(times(len(x)), x)
    full = detector.score(times(len(x)), x, state)
    part = detector.score(times(1200), x[:1200], state)
    np.testing.assert_array_equal(full.scores[:1200], part.scores)


def test_spike_explanation_says_when_how_far_and_how_long() -> None:
    """The span around a spike reports its time, the expected range and the deviation."""
    x = noise(1500, 1)
    x[1200] += 15
    spans = find_spans(Detector().score_online(times(len(x)), x))
    span = next(s for s in spans if s.start_index <= 1200 <= s.end_index)
    assert span.peak_index == 1200
    assert span.start <= T0 + 1200 * STEP <= span.end
    assert span.expected_low < 50 < span.expected_high
    assert span.deviation > 5
    assert not span.ongoing
    assert "began" in span.explanation
    assert "lasted" in span.explanation


def test_ongoing_shift_is_reported_as_ongoing() -> None:
    """A shift that is still happening at the last row is marked ongoing."""
    x = noise(1200, 2)
    x[1190:] += 12
    spans = find_spans(Detector().score_online(times(len(x)), x))
    assert spans
    assert spans[-1].ongoing
    assert "still ongoing" in spans[-1].explanation


@pytest.mark.parametrize("threshold", [ALERT_THRESHOLD, 0.3, 0.0])
def test_spans_of_a_fleet_are_the_spans_of_each_series(threshold: float) -> None:
    """``span_rows_many`` (a fleet at once) finds exactly ``span_rows`` of each series:
    spans touching either end, hot rows on the last row of one series and the first of the
    next, dips that are bridged, series without spans, unequal lengths."""
    rng = np.random.default_rng(11)
    fleet = [rng.choice([0.0, 0.3, 0.45, 0.6, 0.9], size=200, p=[0.5, 0.2, 0.1, 0.1, 0.1])]
    fleet += [np.zeros(200), np.full(200, 0.9), rng.random(200), rng.random(200) ** 4]
    fleet.append(np.full(200, 0.1))
    fleet[1][-1] = fleet[2][0] = fleet[3][0] = 0.95
    for raws in (fleet, [*fleet, rng.random(150)], fleet[:1]):
        assert span_rows_many(raws, threshold) == [span_rows_of(r, threshold) for r in raws]
    expected = [span_rows_of(r, ALERT_THRESHOLD) for r in fleet]
    assert len(expected[0]) > 5
    assert expected[3][0][0] == 0
    assert expected[-1] == []
    assert expected[1] == [(199, 199)]
    assert expected[2] == [(0, 199)]


@pytest.mark.parametrize("since", [None, 0.0, 45_000.0, 1e9])
@pytest.mark.parametrize("limit", [0, 1, 3, 50])
def test_strongest_spans_of_a_fleet_are_those_of_each_series(
    since: float | None, limit: int
) -> None:
    """``strongest_spans_many`` ranks, filters and explains a fleet's spans at once exactly
    as ``strongest_spans`` does one series at a time: equally strong spans (oldest first),
    equal peaks inside one span (the first), spans ending before ``since``."""
    rng = np.random.default_rng(5)
    fleet = [rng.choice([0.0, 0.45, 0.6, 0.7, 0.9], size=300) for _ in range(6)]
    fleet[0][[10, 50, 90, 130]] = 0.8  # four separate spans, equally strong
    fleet[1][:] = 0.0
    fleet[2][100:110] = 0.9  # one span, its peak reached on ten rows
    fleet[3][-1] = 0.95
    scored = [as_scored(r, seed) for seed, r in enumerate(fleet)]
    for group in (scored, [*scored, as_scored(rng.random(250), 9)], scored[:1]):
        expected = [strongest_spans(s, ALERT_THRESHOLD, since, limit) for s in group]
        assert strongest_spans_many(group, ALERT_THRESHOLD, since, limit) == expected
    assert limit < 3 or len(strongest_spans(scored[0], ALERT_THRESHOLD, None, limit)) >= 3


def as_scored(raw: FloatArray, seed: int) -> ScoredSeries:
    """A scored series with these raw scores and arbitrary other columns."""
    n = len(raw)
    rng = np.random.default_rng(seed)
    state = Detector().fit(times(n), rng.normal(50, 1, n))
    return ScoredSeries(
        times(n) - T0,
        rng.normal(50, 1, n),
        rng.normal(50, 1, n),
        raw,
        raw,
        rng.normal(50, 1, n),
        rng.random(n) + 0.5,
        rng.integers(0, len(COMPONENTS), n),
        state,
    )


def span_rows_of(raw: FloatArray, threshold: float) -> list[tuple[int, int]]:
    n = len(raw)
    scored = ScoredSeries(
        np.arange(n, dtype=float),
        raw,
        raw,
        raw,
        raw,
        raw,
        raw,
        np.zeros(n, np.int64),
        None,  # type: ignore[arg-type]
    )
    return span_rows(scored, threshold)
