"""How the ensemble calibrates and combines components, on hand-made component surprises."""

from __future__ import annotations

import dataclasses

import numpy as np

from ml.anomaly import COMPONENTS, DetectorParams, ensemble
from ml.anomaly.components import Components, Shape
from ml.anomaly.ensemble import Combined, suppress_repeats
from ml.anomaly.model import FloatArray, SeasonSpec

N = 800
DAILY_ONLY = 600  # the day-over-day view breaks, last week's view is calm
BOTH = 700  # both views break


def calm(seed: int, n: int = N) -> FloatArray:
    return np.abs(np.random.default_rng(seed).normal(0.0, 1.0, n))


def components(params: DetectorParams | None = None, **surprise: FloatArray) -> Components:
    """One series' components, known from the first row on: the keywords' surprises, nothing
    at all (0) for the other base components, and a daily/weekly view only if given."""
    seasons = tuple(
        SeasonSpec(name, 0.0, 1, 1.0) for name in ("daily", "weekly") if name in surprise
    )
    shape = Shape(params or DetectorParams(), seasons, np.ones(1), np.ones(1))
    n = len(next(iter(surprise.values())))
    z = np.stack([surprise.get(name, np.zeros(n)) for name in shape.names])[None]
    known = np.ones(z.shape, dtype=bool)
    none = np.full(z.shape, -1, dtype=np.int64)
    summaries = np.zeros((2, 1, len(shape.names), 0))
    return Components(shape, 0, z, np.zeros_like(z), np.ones_like(z), known, none, summaries)


def combine(comps: Components, params: DetectorParams | None = None) -> Combined:
    """The first (only) series' combined rows; ``params`` replace the components' own."""
    if params is not None:
        comps = dataclasses.replace(comps, shape=dataclasses.replace(comps.shape, params=params))
    c = ensemble.combine(comps)[0]
    return Combined(c.ratio[0], c.driver[0], c.baseline[0], c.scale[0], c.lenient[0])


def seasonal_pair() -> tuple[FloatArray, FloatArray]:
    daily, weekly = calm(1), calm(2)
    daily[DAILY_ONLY] = daily[BOTH] = 40.0
    weekly[BOTH] = 40.0
    return daily, weekly


def no_season_cap(**changes: float) -> DetectorParams:
    return dataclasses.replace(DetectorParams(), season_agreement=0.0, **changes)


def test_daily_break_that_last_week_explains_is_capped() -> None:
    """With a weekly rhythm, a daily break the weekly view finds normal does not alert."""
    daily, weekly = seasonal_pair()
    params = no_season_cap()
    alone = combine(components(level=calm(3), daily=daily), params)
    both = combine(components(level=calm(3), daily=daily, weekly=weekly), params)
    assert alone.ratio[DAILY_ONLY] > 1.0  # on its own the daily view would alert ...
    assert both.ratio[DAILY_ONLY] < 1.0  # ... but the weekly view vetoes it
    assert both.ratio[BOTH] > 1.0
    assert COMPONENTS[both.driver[BOTH]] in {"daily", "weekly"}


def test_daily_break_counts_in_full_when_the_weekly_agreement_is_off() -> None:
    """Agreement 0 leaves the daily ratio untouched."""
    daily, weekly = seasonal_pair()
    off = no_season_cap(daily_weekly_agreement=0.0)
    alone = combine(components(level=calm(3), daily=daily), off)
    both = combine(components(level=calm(3), daily=daily, weekly=weekly), off)
    assert both.ratio[DAILY_ONLY] == alone.ratio[DAILY_ONLY] > 1.0


def test_weekly_view_without_enough_history_does_not_veto() -> None:
    """Before the weekly component has calibrated, the daily ratio stands as it is."""
    daily, weekly = seasonal_pair()
    comps = components(level=calm(3), daily=daily, weekly=weekly)
    comps.known[0, 4, :650] = False  # the weekly view only starts judging at row 650
    combined = combine(comps, no_season_cap())
    alone = combine(components(level=calm(3), daily=daily), no_season_cap())
    assert combined.ratio[DAILY_ONLY] == alone.ratio[DAILY_ONLY] > 1.0


def test_a_jump_that_the_rhythm_explains_is_capped() -> None:
    """On a series with a rhythm, a jump the daily view finds normal does not alert."""
    jump, daily = calm(4), calm(5)
    jump[DAILY_ONLY] = 40.0
    daily[DAILY_ONLY] = 0.0
    params = DetectorParams()
    assert combine(components(jump=jump), params).ratio[DAILY_ONLY] > 1.0
    assert combine(components(jump=jump, daily=daily), params).ratio[DAILY_ONLY] < 1.0


def test_an_incident_does_not_teach_that_incidents_are_normal() -> None:
    """After a huge 30-row incident a moderate one still alerts; the lenient view is blind."""
    level = calm(6, 2000)
    level[500:530] = 500.0  # first incident, far beyond anything before
    level[1200] = 15.0  # second, much smaller, but far beyond normal noise
    comps = components(level=level)
    combined = combine(comps, DetectorParams())
    lenient_only = combine(comps, DetectorParams(clean_calibration=False))
    assert combined.ratio[500] > 1.0
    assert combined.ratio[1200] > 1.0
    assert lenient_only.ratio[1200] < 1.0


def test_a_lasting_new_behaviour_is_learned() -> None:
    """Noise that doubles for good alerts at first and is accepted within the window."""
    level = calm(7, 6000)
    level[2000:] *= 3.0
    combined = combine(components(level=level), DetectorParams())
    assert combined.ratio[2000:2100].max() > 1.0
    assert combined.ratio[5000:].max() < 1.0


def alerts(scores: FloatArray, **changes: float) -> list[int]:
    """Rows that alert after suppression, for one-minute rows."""
    params = dataclasses.replace(DetectorParams(), **changes)
    out = suppress_repeats(scores, 0.5, params, 60.0)
    return [int(i) for i in np.nonzero(out >= 0.5)[0]]


def test_one_incident_alerts_once_and_a_new_one_alerts_again() -> None:
    """Repeats while the series is still disturbed are held; calm for a while re-arms."""
    scores = np.full(300, 0.1)
    scores[10:21] = 0.45  # one incident: disturbed in between its alerting rows
    scores[[10, 12, 20]] = 0.9
    scores[40] = 0.7  # after 19 calm minutes: a new incident
    assert alerts(scores, rearm_seconds=300) == [10, 40]
    assert alerts(scores, rearm_seconds=1500, refractory_rows=100) == [10]
    assert alerts(scores, rearm_seconds=1500, refractory_rows=20) == [10, 40]


def test_what_was_published_stands_and_only_new_rows_are_decided() -> None:
    """Suppression continued from published scores equals suppression of all rows."""
    rng = np.random.default_rng(8)
    scores = np.where(rng.random(500) < 0.05, 0.8, 0.2)
    params = DetectorParams(rearm_seconds=300)
    whole = suppress_repeats(scores, 0.5, params, 60.0)
    for cut in (1, 100, 250, 499):
        head = suppress_repeats(scores[:cut], 0.5, params, 60.0)
        np.testing.assert_array_equal(suppress_repeats(scores, 0.5, params, 60.0, head), whole)


def test_a_series_that_keeps_crossing_its_level_by_a_little_pages_once() -> None:
    """After an alert, a new incident hours later needs a stronger surprise than the first;
    the bar decays back to the plain threshold over days."""
    hour = 60
    scores = np.full(20 * 24 * hour, 0.1)
    weak, strong = 0.52, 0.7  # ratios 1.08 and 2.3
    scores[[100, 100 + 5 * hour]] = weak  # the same small surprise five hours later
    scores[100 + 10 * hour] = strong  # a clearly stronger one
    scores[100 + 15 * 24 * hour] = weak  # the small one again, two weeks later
    rows = [100, 100 + 10 * hour, 100 + 15 * 24 * hour]
    assert alerts(scores) == rows
    assert alerts(scores, escalation=1.0) == [100, 100 + 5 * hour, *rows[1:]]
    # a bar of ratio 3 halving its excess every two days also holds the stronger one back
    # (ratio 2.7 ten hours on); after two weeks it has decayed to ratio 1.01.
    changes = {"escalation": 3.0, "escalation_half_life_seconds": 48 * 3600.0}
    assert alerts(scores, **changes) == [100, 100 + 15 * 24 * hour]


def naive_suppressed(scores: FloatArray, params: DetectorParams, step: float) -> FloatArray:
    """Reference for ``suppress_repeats``: row by row, an alert re-arms ``refractory_rows``
    after the last one or once ``quiet`` calm rows in a row lie wholly after it, if its
    ratio ``s / (1 - s)`` is at least ``1 + (escalation - 1) / 2 ** (hours since / half-life)``."""
    quiet = max(1, int(np.ceil(params.rearm_seconds / step)))
    calm_below = params.rearm_ratio / (1.0 + params.rearm_ratio)
    out, last = scores.copy(), None
    for i, score in enumerate(scores):
        if score < 0.5:
            continue
        run, rearmed = 0, last is None or i - last >= params.refractory_rows
        for j in range(last + 1 if last is not None else 0, i):
            run = run + 1 if scores[j] < calm_below else 0
            rearmed = rearmed or run >= quiet
        if last is not None:
            halvings = (i - last) * step / params.escalation_half_life_seconds
            bar = 1.0 + (params.escalation - 1.0) * 0.5**halvings
            rearmed = rearmed and score / (1.0 - score) >= bar * (1.0 - 1e-12)
        if rearmed:
            last = i
        else:
            out[i] = min(score, 0.5 - 1e-6)
    return out


def test_repeats_are_suppressed_as_a_row_by_row_reading_of_the_rule_says() -> None:
    """The re-arming rule, computed from calm-run lengths, matches a plain row-by-row
    reading of it on random scores, for several calm periods and caps, also when the
    first rows were decided earlier."""
    rng = np.random.default_rng(8)
    for quiet_rows, refractory, half_life in (
        (1, 100, 600),
        (3, 100, 3600),
        (7, 12, 1e5),
        (40, 30, 60),
    ):
        params = dataclasses.replace(
            DetectorParams(),
            rearm_seconds=60.0 * quiet_rows,
            refractory_rows=refractory,
            escalation=1.5,
            escalation_half_life_seconds=float(half_life),
        )
        scores = rng.choice(
            [0.1, 0.2, 0.4, 0.52, 0.56, 0.6, 0.9],
            size=600,
            p=[0.4, 0.2, 0.2, 0.03, 0.03, 0.04, 0.1],
        )
        expected = naive_suppressed(scores, params, 60.0)
        np.testing.assert_array_equal(suppress_repeats(scores, 0.5, params, 60.0), expected)
        for cut in (1, 250, 599):
            got = suppress_repeats(scores, 0.5, params, 60.0, expected[:cut])
            np.testing.assert_array_equal(got, expected)
