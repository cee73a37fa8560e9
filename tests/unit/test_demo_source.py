"""The embedded demo source: deterministic, complete inventory, a daily rhythm, an incident in
the last 24 hours, a host that is down, and alerts that agree with the data."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, datetime

import numpy as np
import pytest

from adapters.metrics import demo_model
from adapters.metrics.demo import DemoMetricsSource
from bot.core.errors import InvalidInput
from bot.features.metrics.ports import Series, Window
from bot.features.metrics.targets import strip_port
from intents.model import METRICS

NOW = datetime(2024, 3, 12, 14, 37, 20, tzinfo=UTC).timestamp()
HOUR = 3600.0
HOSTS = ("web-1", "web-2", "db-primary")
SERVICES = ("checkout-api", "payments")


def demo(seed: int = 7, now: float = NOW) -> DemoMetricsSource:
    return DemoMetricsSource(seed=seed, now=lambda: now)


def by_target(series: list[Series]) -> dict[str, Series]:
    return {strip_port(s.labels["instance"]): s for s in series}


async def catalog_range(
    source: DemoMetricsSource, metric: str, hours: float, step: float = 60, now: float = NOW
) -> dict[str, Series]:
    found = await source.series(metric, None, Window(now - hours * HOUR, now, step))
    return dict(found.series)


def values_between(series: Series, start: float, end: float) -> list[float]:
    pairs = zip(series.timestamps, series.values, strict=True)
    return [v for t, v in pairs if start <= t < end]


async def test_same_seed_and_now_give_the_same_numbers() -> None:
    """Two sources with one seed and one "now" answer identically; another seed differs."""
    first = await demo().query_range("cpu_usage_percent", Window(NOW - HOUR, NOW, 60))
    again = await demo().query_range("cpu_usage_percent", Window(NOW - HOUR, NOW, 60))
    other = await demo(seed=8).query_range("cpu_usage_percent", Window(NOW - HOUR, NOW, 60))
    assert first == again
    assert [s.values for s in first] != [s.values for s in other]


async def test_a_sample_does_not_depend_on_the_window_that_asks() -> None:
    """The value at one instant is the same in a 1h/15s query and a 6h/60s query."""
    source = demo()
    memory = "memory_usage_percent"
    fine = by_target(await source.query_range(memory, Window(NOW - HOUR, NOW, 15)))
    coarse = by_target(await source.query_range(memory, Window(NOW - 6 * HOUR, NOW, 60)))
    instant = fine["web-1"].timestamps[-1]
    assert instant in coarse["web-1"].timestamps
    at = coarse["web-1"].timestamps.index(instant)
    assert fine["web-1"].values[-1] == coarse["web-1"].values[at]


async def test_inventory_has_every_catalog_metric_for_every_host_and_service() -> None:
    """web-1, web-2, db-primary, checkout-api and payments each have all seven metrics."""
    source = demo()
    names = await source.target_names()
    instances = {strip_port(r.name) for r in names if r.label == "instance"}
    assert {*HOSTS, *SERVICES} <= instances
    for metric in METRICS:
        found = await catalog_range(source, metric, hours=1)
        assert {*HOSTS, *SERVICES} <= set(found), metric
        assert all(len(s.values) > 30 for s in found.values()), metric


async def test_description_says_demo_data() -> None:
    """The source says it is demo data, so every answer can."""
    source = demo()
    assert source.is_demo
    assert source.description == "demo data"


async def test_checkout_incident_about_three_hours_ago() -> None:
    """checkout-api latency, errors and CPU rise together for ~40 min about 3 h before now."""
    source = demo()
    start, end = NOW - 3 * HOUR - 10 * 60, NOW - 2.5 * HOUR
    for metric, factor in (("latency", 4), ("error_rate", 8), ("cpu", 1.5)):
        series = (await catalog_range(source, metric, hours=24))["checkout-api"]
        during = statistics.median(values_between(series, start + 600, end - 600))
        before = statistics.median(values_between(series, NOW - 24 * HOUR, start - 600))
        assert during > factor * before, metric
    latency = (await catalog_range(source, "latency", hours=24))["checkout-api"]
    now_value = latency.values[-1]
    assert now_value < 0.3


async def test_incident_moves_with_now() -> None:
    """ "Relative to now": a day later the incident is still about three hours ago."""
    later = NOW + 86400
    series = (await catalog_range(demo(now=later), "latency", hours=6, now=later))["checkout-api"]
    peak_at = series.timestamps[series.values.index(max(series.values))]
    assert later - 3.2 * HOUR <= peak_at <= later - 2.5 * HOUR


async def test_daily_rhythm_peaks_in_the_afternoon() -> None:
    """Over a week, web-1's request rate at 16:00 UTC is well above its rate at 04:00 UTC."""
    series = (await catalog_range(demo(), "request_rate", hours=7 * 24, step=3600))["web-1"]
    hour_of = [datetime.fromtimestamp(t, tz=UTC).hour for t in series.timestamps]
    afternoon = [v for v, h in zip(series.values, hour_of, strict=True) if h == 16]
    night = [v for v, h in zip(series.values, hour_of, strict=True) if h == 4]
    assert len(afternoon) >= 6
    assert min(afternoon) > 1.5 * max(night)


async def test_web2_is_down_for_the_last_twenty_minutes() -> None:
    """web-2's ``up`` is 0 and its other metrics stop 20 minutes ago; the rest are up."""
    source = demo()
    [down] = await source.query("up == 0")
    assert down.labels["instance"] == "web-2:9100"
    cpu = (await catalog_range(source, "cpu", hours=1))["web-2"]
    assert NOW - 21 * 60 <= cpu.timestamps[-1] <= NOW - 20 * 60
    health = {t.name: t for t in await source.targets()}
    assert not health["web-2:9100"].up
    assert "connection refused" in health["web-2:9100"].last_error
    assert all(t.up for name, t in health.items() if name != "web-2:9100")


async def test_firing_alerts_agree_with_the_data() -> None:
    """InstanceDown on web-2 since it went down, plus warnings whose conditions hold now."""
    source = demo()
    firing = {(a.name, strip_port(a.labels["instance"])): a for a in await source.alerts()
              if a.state == "firing"}  # fmt: skip
    assert set(firing) == {
        ("InstanceDown", "web-2"),
        ("DiskSpaceLow", "db-primary"),
        ("HighLatency", "payments"),
    }
    assert firing["InstanceDown", "web-2"].severity == "critical"
    assert firing["InstanceDown", "web-2"].starts_at == pytest.approx(NOW - 20 * 60, abs=60)
    [disk] = await source.query('disk_usage_percent{instance="db-primary:9100"}')
    assert disk.value > 85
    [latency] = await source.query('http_request_latency_p95_seconds{service="payments"}')
    assert latency.value > 0.3
    assert "threshold 85 %" in firing["DiskSpaceLow", "db-primary"].summary


async def test_range_grid_and_no_future_samples() -> None:
    """Samples sit on start + k*step and never after now."""
    [series, *_] = await demo().query_range("up", Window(NOW - 600, NOW + 600, 60))
    assert series.timestamps[0] == NOW - 600
    assert {round(b - a) for a, b in itertools.pairwise(series.timestamps)} == {60}
    assert series.timestamps[-1] <= NOW


async def test_too_many_points_is_refused() -> None:
    """Like Prometheus, more than 11,000 points per series is the user's error."""
    with pytest.raises(InvalidInput, match="more than 11000 points"):
        await demo().query_range("up", Window(NOW - 30 * 86400, NOW, 15))


@pytest.mark.parametrize("now", [1_710_254_240.0, 1_710_254_299.9, 1_700_000_000.0])
def test_a_targets_health_now_agrees_with_its_up_series(now: float) -> None:
    """``is_up`` (what ``targets()`` reports) is the ``up`` series' value at ``now``."""
    for target in demo_model.build_fleet(7):
        expected = demo_model.up_values(target, np.array([now]), now)[0] == 1
        assert demo_model.is_up(target, now) is bool(expected)
