"""How findings read in chat (``bot/anomaly_report.py``), on hand-made series and findings
shaped like the detector's: what is measured from the data and what is said about it."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bot.core.formatting import value_range
from bot.features.anomaly.ports import Finding
from bot.features.anomaly.report import (
    NOTABLE_SCORE,
    Checked,
    Report,
    join_names,
    measure,
)
from bot.features.metrics.ports import Series

STEP = 60.0
T0 = datetime(2024, 3, 12, 14, 5, tzinfo=UTC).timestamp()  # the excursions begin at 14:05
NOW = T0 + 30 * 60


def series(
    level: float,
    shifted: float,
    *,
    until: float,
    since: float = T0,
    length: float = 2 * 3600.0,
) -> Series:
    """``level`` with a 1 % wobble, exactly ``shifted`` from ``since`` up to ``until``, sampled
    every minute from ``length`` seconds before :data:`T0` up to :data:`NOW`."""
    times = [T0 - length + i * STEP for i in range(int((NOW - T0 + length) / STEP) + 1)]
    values = [
        shifted if since <= t < until else level * (1 + 0.01 * math.sin(t / 600)) for t in times
    ]
    return Series({}, tuple(times), tuple(values))


def checked(metric: str, data: Series, target: str = "checkout-api") -> Checked:
    return Checked(f"{target} {metric}", target, metric, data)


def finding(
    of: Checked,
    *,
    start: float = T0,
    end: float = T0 + 10 * 60,
    score: float = 0.9,
    deviation: float = 20.0,
    ongoing: bool = False,
) -> Finding:
    """A finding as the detector reports one (its expected range deliberately off: the
    answer must read normal from the data)."""
    return Finding(
        series=of.key,
        metric=None,
        target=None,
        start=start,
        end=end,
        ongoing=ongoing,
        peak_score=score,
        peak_value=0.0,
        expected_low=-1.0,
        expected_high=-1.0,
        deviation=deviation,
        explanation="",
    )


def report(*pairs: tuple[Finding, Checked], now: float = NOW) -> Report:
    known = {c.key: c for _, c in pairs}
    return Report.of([f for f, _ in pairs], known, now=now, step=STEP)


def test_rise_reads_peak_against_the_band_before_it() -> None:
    """A request rate jumping from 100 to 400 req/s: 400 vs a normal band around 100, 4x."""
    rate = checked("request_rate", series(100, 400, until=T0 + 20 * 60))
    excursion = measure(finding(rate), rate)
    assert excursion is not None
    assert excursion.rising
    assert excursion.how_far() == "400 req/s vs normal 99-101 req/s (4x)"


def test_fall_reads_as_percent_lower() -> None:
    """A drop is its minimum and how much lower than normal it was, whatever the sign of the
    detector's deviation at its peak row."""
    rate = checked("request_rate", series(200, 80, until=T0 + 20 * 60))
    excursion = measure(finding(rate, deviation=+3.0), rate)
    assert excursion is not None
    assert not excursion.rising
    assert excursion.how_far() == "80 req/s vs normal 198-202 req/s (60 % lower)"


def test_excursion_outlasts_a_span_the_detector_closed_early() -> None:
    """The detector closed its span after 5 minutes (its baseline adapted); the data stayed
    high for 20, so the answer says 20."""
    cpu = checked("cpu", series(30, 90, until=T0 + 20 * 60))
    line = report((finding(cpu, end=T0 + 5 * 60), cpu)).lines()[0]
    assert line.startswith("• CPU: 90 % vs normal 29.7-30.3 % (3x), from 14:05 UTC")
    assert line.endswith("for 20m")


def test_still_high_now_is_still_going() -> None:
    """Data still far from normal at the latest sample: "since ..., still going"."""
    latency = checked("latency", series(0.1, 0.5, until=math.inf))
    [line] = report((finding(latency, end=T0 + 5 * 60), latency)).lines()
    assert (
        line
        == "• Latency p95: 500 ms vs normal 99-101 ms (5x), since 14:05 UTC (30m ago), still going"
    )


def test_start_is_when_the_data_left_normal() -> None:
    """A detector span widened 20 minutes early still reads as beginning at the jump."""
    errors = checked("error_rate", series(0.5, 8, until=T0 + 20 * 60))
    excursion = measure(finding(errors, start=T0 - 20 * 60, end=T0 + 15 * 60), errors)
    assert excursion is not None
    assert excursion.start == T0


def test_co_moving_series_are_said_to_rise_together() -> None:
    """Latency and CPU of one target jumping at 14:05: "Latency p95 rose with CPU at 14:05
    UTC." (the strongest leads), and both are listed."""
    cpu = checked("cpu", series(30, 90, until=T0 + 20 * 60))
    latency = checked("latency", series(0.1, 0.5, until=T0 + 20 * 60))
    answer = report((finding(cpu, score=0.95), cpu), (finding(latency, score=0.8), latency))
    lines = answer.lines()
    assert lines[2] == "Latency p95 rose with CPU at 14:05 UTC."
    assert [line.split(":")[0] for line in lines[:2]] == ["• CPU", "• Latency p95"]


def test_rise_and_fall_in_one_sentence_across_targets() -> None:
    """Across targets the names carry the target; a fall is said after the rises."""
    cpu = checked("cpu", series(30, 90, until=T0 + 20 * 60), target="db-primary")
    latency = checked("latency", series(0.1, 0.5, until=T0 + 20 * 60))
    rate = checked("request_rate", series(200, 80, until=T0 + 20 * 60))
    answer = report(
        (finding(latency, score=0.95), latency),
        (finding(cpu, start=T0 + 60, score=0.8), cpu),
        (finding(rate, start=T0 + 120, score=0.7), rate),
    )
    assert answer.together(answer.notable[0]) == (
        "db-primary CPU rose with checkout-api latency p95 at 14:05 UTC; "
        "checkout-api request rate fell."
    )


def test_a_slow_story_does_not_swallow_a_short_incident() -> None:
    """A disk filling since yesterday and a CPU spike now are two episodes, not one."""
    day = 86400.0
    disk = checked(
        "disk", series(60, 85, since=T0 - day, until=math.inf, length=2 * day), target="db-primary"
    )
    cpu = checked("cpu", series(30, 90, until=T0 + 20 * 60), target="db-primary")
    answer = report(
        (finding(disk, start=T0 - day, end=NOW, ongoing=True, score=0.7), disk),
        (finding(cpu, score=0.9), cpu),
    )
    assert [e.lead.checked.metric for e in answer.notable] == ["cpu", "disk"]
    assert all(answer.together(e) is None for e in answer.notable)


def test_weak_findings_are_minor_blips_not_headlines() -> None:
    """A finding just over the alert line is named as a minor blip with its time."""
    memory = checked("memory", series(60, 66, until=T0 + 2 * 60))
    answer = report((finding(memory, score=NOTABLE_SCORE - 0.08), memory))
    assert answer.notable == ()
    assert answer.blips() == "memory at 14:05 UTC"


def test_the_last_minutes_of_a_silent_series_are_the_outage() -> None:
    """A series that stopped 20 minutes ago and "spiked" in its last minutes (a rate window
    running past the last scrape) reports nothing: the silence is the story."""
    cpu = checked("cpu", series(30, 90, since=NOW - 3 * 60, until=math.inf))
    answer = report(
        (finding(cpu, start=NOW - 3 * 60, end=NOW, ongoing=True), cpu), now=NOW + 20 * 60
    )
    assert answer.notable == ()
    assert answer.minor == ()


def test_numbers_read_short() -> None:
    """Ranges share their unit; lists of names stay short."""
    assert value_range(0.139, 0.151, "seconds") == "139-151 ms"
    assert value_range(40.0, 40.0, "percent") == "40 %"
    assert value_range(0.5, 2.0, "seconds") == "500 ms to 2 s"
    assert join_names(["a"]) == "a"
    assert join_names(["a", "b", "c"]) == "a, b and c"
    assert join_names(["a", "b", "c", "d"], 2) == "a, b and 2 more"


def test_more_than_fit_are_named_not_listed() -> None:
    """Four separate incidents: the three strongest get a line each, the fourth is named."""
    metrics = ("cpu", "memory", "error_rate", "disk")
    pairs = []
    for k, metric in enumerate(metrics):
        since = T0 - k * 600
        data = checked(metric, series(30, 90, since=since, until=since + 5 * 60))
        pairs.append((finding(data, start=since, end=since + 4 * 60, score=0.9 - k / 20), data))
    lines = report(*pairs).lines()
    assert [line.split(":")[0] for line in lines[:3]] == ["• CPU", "• Memory", "• Error rate"]
    assert lines[3:] == ["Also unusual: disk."]


def test_a_series_still_away_is_one_excursion_however_often_its_span_reopens() -> None:
    """Latency away since 14:05 and still going; the detector closed its span and opened
    another at 14:20: one line since 14:05, as strong as the stronger span."""
    latency = checked("latency", series(0.1, 0.5, until=math.inf))
    first = finding(latency, end=T0 + 5 * 60, score=NOTABLE_SCORE - 0.05)
    again = finding(latency, start=T0 + 15 * 60, end=T0 + 20 * 60, score=0.9)
    answer = report((first, latency), (again, latency))
    [line] = answer.lines()
    assert line.startswith("• Latency p95: 500 ms vs normal")
    assert "since 14:05 UTC" in line
    assert line.endswith("still going")


def test_starts_read_at_one_minute_group_as_one_minute_starts() -> None:
    """Two series measured again at one-minute samples in a week's answer (21-minute step):
    starts 20 minutes apart are two incidents, as they are in the default question."""
    cpu = checked("cpu", series(30, 90, until=T0 + 10 * 60))
    later = T0 + 20 * 60
    rate = checked("request_rate", series(100, 400, since=later, until=later + 5 * 60))
    cpu, rate = (Checked(c.key, c.target, c.metric, c.series, STEP) for c in (cpu, rate))
    findings = [finding(cpu), finding(rate, start=later, end=later + 5 * 60)]
    week = Report.of(findings, {c.key: c for c in (cpu, rate)}, now=NOW, step=21 * 60.0)
    assert len(week.notable) == 2
    assert not any("rose with" in line for line in week.lines())
