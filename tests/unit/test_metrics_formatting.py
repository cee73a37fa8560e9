"""Numbers, units, durations and series summaries as they appear in chat."""

from __future__ import annotations

import math

import pytest

from bot.core.formatting import (
    PERCENT,
    axis_scale,
    format_ago,
    format_duration,
    format_number,
    format_value,
    shorten,
)
from bot.features.metrics.ports import Series
from bot.features.metrics.summary import summarise, trend


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (42.123, "percent", "42.1 %"),
        (4.25, "percent", "4.25 %"),
        (100.0, "percent", "100 %"),
        (0.2421, "seconds", "242 ms"),
        (0.0123, "seconds", "12.3 ms"),
        (2.25, "seconds", "2.25 s"),
        (1_500_000, "bytes_per_second", "1.5 MB/s"),
        (2_048, "bytes_per_second", "2.05 kB/s"),
        (12, "bytes_per_second", "12 B/s"),
        (35.25, "per_second", "35.2 req/s"),
        (math.nan, "percent", "n/a"),
    ],
)
def test_format_value(value: float, unit: str, text: str) -> None:
    """Each unit reads naturally at any magnitude."""
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1"), (0.5, "0.5"), (1234.5678, "1235"), (1e9 + 0.5, "1e+09"), (math.inf, "+Inf")],
)
def test_format_number(value: float, text: str) -> None:
    """Raw PromQL values: whole numbers plain, others to four significant digits."""
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (90, "1m 30s"), (7200, "2h"), (93_600, "1d 2h"), (86_700, "1d 5m")],
)
def test_format_duration(seconds: float, text: str) -> None:
    """At most two units, largest first."""
    assert format_duration(seconds) == text


def test_format_ago_rounds_to_minutes() -> None:
    """ "just now" under a minute, then whole minutes."""
    assert format_ago(1000, 1030) == "just now"
    assert format_ago(0, 7_859) == "2h 10m ago"


def test_axis_scale_picks_one_unit_for_the_chart() -> None:
    """Latency under a second is charted in ms; bytes in the largest fitting prefix."""
    assert axis_scale([0.1, 0.4], "seconds") == (0.001, "ms")
    assert axis_scale([0.1, 2.4], "seconds") == (1.0, "s")
    assert axis_scale([1e5, 3e6], "bytes_per_second") == (1e6, "MB/s")


def test_shorten_keeps_one_line() -> None:
    """Long text is cut with an ellipsis; newlines become spaces."""
    assert shorten("a\nb", 10) == "a b"
    assert shorten("abcdefghijkl", 6) == "abcde…"


def test_summary_ignores_nan_and_reports_the_latest_sample() -> None:
    """Now is the last finite sample; min/max/avg skip NaN."""
    series = Series({}, (1.0, 2.0, 3.0, 4.0), (10.0, math.nan, 30.0, 20.0))
    summary = summarise("web-1", series)
    assert summary is not None
    assert (summary.now, summary.now_at, summary.minimum, summary.maximum) == (20, 4, 10, 30)
    assert summary.average == 20
    assert summarise("x", Series({}, (1.0,), (math.nan,))) is None


@pytest.mark.parametrize(
    ("values", "described"),
    [
        ([10, 10, 10, 10, 20, 20, 20, 20], "up 100 %"),
        ([20, 20, 20, 20, 15, 15, 15, 15], "down 25 %"),
        ([100, 101, 99, 100, 102, 101, 100, 102], "flat"),
        ([0, 0, 0, 0, 1, 1, 1, 1], "up from 0"),
        ([0.0, 0.0], "flat"),
    ],
)
def test_trend_compares_the_window_ends(values: list[float], described: str) -> None:
    """Up/down with the percentage, flat under 5 %, "from 0" when it started at zero."""
    assert trend(values).describe() == described


_WEEK_STEP = 1800.0
_WEEK = int(7 * 86400 / _WEEK_STEP) + 1  # a 7-day range at 30-minute samples, both ends in
_DAY = int(86400 / _WEEK_STEP)


def _week(level: float, *, rhythm: float = 0.3, phase: float = 0.0) -> list[float]:
    """A week of a percentage at ``level`` with a daily rhythm of ``rhythm`` points."""
    return [level + rhythm * math.sin(2 * math.pi * i / _DAY + phase) for i in range(_WEEK)]


def _filled(values: list[float], points: float, *, over: int) -> list[float]:
    """``values`` rising by ``points`` over their last ``over`` samples."""
    start = len(values) - over
    return [v + max(0, i - start + 1) * points / over for i, v in enumerate(values)]


def test_a_percentage_changes_by_points() -> None:
    """Disk going from 20 % to 30 % is "up 10 points", not "up 50 %"."""
    assert trend([20.0] * 8 + [30.0] * 8, PERCENT).describe() == "up 10 points"
    assert trend([30.0] * 8 + [27.5] * 8, PERCENT).describe() == "down 2.5 points"


@pytest.mark.parametrize("over", [_DAY, _DAY // 4])
def test_a_fill_at_the_end_of_a_week_reads_in_full(over: int) -> None:
    """A disk that filled 10 points over the last day (or the last 6 hours) of a 7-day range
    is up about 10 points, not a quarter-average's share of it nor "flat"."""
    filled = _filled(_week(78.0), 10.0, over=over)
    described = trend(filled, PERCENT, step=_WEEK_STEP)
    assert described.direction == "up"
    assert described.points is not None
    assert 8.5 <= described.points <= 10.5


@pytest.mark.parametrize("phase", [0.0, 0.7, math.pi / 2, 2.5, math.pi, 4.0, 5.5])
def test_a_daily_rhythm_over_whole_days_is_flat(phase: float) -> None:
    """CPU swinging 40 points a day, over 7 whole days, at any time of day: no trend."""
    assert trend(_week(50.0, rhythm=20.0, phase=phase), PERCENT, step=_WEEK_STEP).direction == (
        "flat"
    )


def test_one_wild_sample_at_an_end_does_not_make_a_trend() -> None:
    """A single spike in the last sample (or the first) is not a change of level."""
    assert trend([50.0] * 99 + [90.0], PERCENT).direction == "flat"
    assert trend([10.0] + [50.0] * 99, PERCENT).direction == "flat"


def test_summarise_reads_the_week_from_the_timestamps() -> None:
    """``summarise`` passes the sampling step on, so a week's daily rhythm stays flat there
    too, and its fill reads in points."""
    times = tuple(i * _WEEK_STEP for i in range(_WEEK))
    calm = summarise("db-primary", Series({}, times, tuple(_week(50.0, rhythm=20.0))), PERCENT)
    assert calm is not None
    assert calm.trend.describe() == "flat"
    full = summarise(
        "db-primary", Series({}, times, tuple(_filled(_week(78.0), 10.0, over=_DAY))), PERCENT
    )
    assert full is not None
    assert full.trend.describe().startswith("up ")
    assert full.trend.describe().endswith(" points")
