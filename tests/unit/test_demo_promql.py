"""The demo's PromQL subset: what it evaluates, and the clear refusal for everything else."""

from __future__ import annotations

import pytest

from adapters.metrics.demo import DemoMetricsSource
from bot.core.errors import InvalidInput
from bot.features.metrics.ports import Window

NOW = 1_710_254_240.0


@pytest.fixture
def source() -> DemoMetricsSource:
    return DemoMetricsSource(now=lambda: NOW)


async def values(source: DemoMetricsSource, expr: str) -> dict[str, float]:
    """Instant result keyed by the sorted label pairs (without ``__name__``)."""
    samples = await source.query(expr)
    return {
        ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()) if k != "__name__"): s.value
        for s in samples
    }


async def test_bare_selector_returns_every_series(source: DemoMetricsSource) -> None:
    """``up`` answers one sample per target, keeping the metric name."""
    samples = await source.query("up")
    assert len(samples) == 7
    assert {s.labels["__name__"] for s in samples} == {"up"}


@pytest.mark.parametrize(
    ("expr", "instances"),
    [
        ('up{instance="web-2:9100"}', {"web-2:9100"}),
        (
            'up{job="node", instance!="web-2:9100"}',
            {"web-1:9100", "db-primary:9100", "cache-1:9100"},
        ),
        ('up{instance=~"web-.*"}', {"web-1:9100", "web-2:9100"}),
        ('up{job!~"node|search"}', {"checkout-api:8080", "payments:8080"}),
        ("{__name__=\"up\", service='payments'}", {"payments:8080"}),
        (r'up{instance=~"web\\-1(:[0-9]+)?"}', {"web-1:9100"}),
    ],
)
async def test_label_matchers(source: DemoMetricsSource, expr: str, instances: set[str]) -> None:
    """=, !=, =~ and !~ match as in Prometheus (regexes anchored, either quote style)."""
    assert {s.labels["instance"] for s in await source.query(expr)} == instances


async def test_aggregations_group_like_prometheus(source: DemoMetricsSource) -> None:
    """sum/count/avg/min/max with ``by`` before or after the argument, and ``without``."""
    per_target = await values(source, "cpu_usage_percent")
    assert await values(source, "count(up)") == {"": 7}
    assert await values(source, "sum(up)") == {"": 6}
    by_job = await values(source, "count by (job) (up)")
    assert by_job == {"job=node": 4, "job=checkout-api": 1, "job=payments": 1, "job=search": 1}
    assert await values(source, "count(up) by (job)") == by_job
    nodes = [v for k, v in per_target.items() if "job=node" in k]
    maximum = await values(source, "max by (job) (cpu_usage_percent)")
    assert maximum["job=node"] == max(nodes)
    average = await values(source, "avg by (job) (cpu_usage_percent)")
    assert average["job=node"] == pytest.approx(sum(nodes) / len(nodes))
    without = await values(source, "min without (instance, service) (cpu_usage_percent)")
    assert without["job=node"] == min(nodes)


async def test_comparisons_filter_and_arithmetic_transforms(source: DemoMetricsSource) -> None:
    """``up == 0`` keeps only the down target; arithmetic drops the name and changes values."""
    [down] = await source.query("up == 0")
    assert (down.labels["instance"], down.labels["__name__"], down.value) == ("web-2:9100", "up", 0)
    idle = await values(source, "100 - cpu_usage_percent")
    busy = await values(source, "cpu_usage_percent")
    assert idle == pytest.approx({k: 100 - v for k, v in busy.items()})
    high = await values(source, "cpu_usage_percent > 0 * 2 + 1")
    assert high == {k: v for k, v in busy.items() if v > 1}
    assert await values(source, "-(2 * 3) + 10 / 4") == {"": -3.5}


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("rate(up[5m])", "functions such as rate() are not supported"),
        ("up[5m]", "range vectors such as [5m] are not supported"),
        ("up offset 5m", "`offset` is not supported"),
        ("up + up", "operations between two series are not supported"),
        ("up == bool 1", "the `bool` modifier is not supported"),
        ('up{instance=~"("}', "invalid regular expression"),
        ("{}", "needs a metric name or a matcher that is not empty"),
        ("sum(up", "expected ')'"),
        ("up{job=node}", "expected a quoted value after job="),
        ("up ; drop", "cannot read"),
    ],
)
async def test_outside_the_subset_is_refused_with_the_subset(
    source: DemoMetricsSource, expr: str, reason: str
) -> None:
    """Anything else says what was not understood, what is, and that PROMETHEUS_URL gives
    full PromQL."""
    with pytest.raises(InvalidInput) as caught:
        await source.query(expr)
    assert caught.value.message.startswith(f"The demo data cannot run `{expr}`: ")
    assert reason in caught.value.message
    assert caught.value.hint is not None
    assert "PROMETHEUS_URL" in caught.value.hint
    assert "`up == 0`" in caught.value.hint


async def test_unknown_metric_lists_the_demo_metrics(source: DemoMetricsSource) -> None:
    """A node-exporter name the demo lacks is refused with the names it has."""
    with pytest.raises(InvalidInput) as caught:
        await source.query("node_cpu_seconds_total")
    assert caught.value.message == "The demo data has no metric 'node_cpu_seconds_total'."
    assert caught.value.hint is not None
    assert "cpu_usage_percent" in caught.value.hint


async def test_range_query_evaluates_on_every_step(source: DemoMetricsSource) -> None:
    """A range query of an aggregation returns one point per step."""
    [series] = await source.query_range("count(up == 1)", Window(NOW - 3600, NOW, 300))
    assert len(series.timestamps) == 13
    assert series.values[0] == 7
    assert series.values[-1] == 6


@pytest.mark.parametrize(
    "expr",
    [
        "(" * 200 + "up" + ")" * 200,
        "-" * 1000 + "up",
        "up" + " + 1" * 1000,
        "sum(" * 60 + "up" + ")" * 60,
    ],
    ids=["parentheses", "signs", "chain", "aggregations"],
)
async def test_deep_nesting_is_refused_not_a_recursion_error(
    source: DemoMetricsSource, expr: str
) -> None:
    """Hundreds of nested levels are the user's error, never a RecursionError."""
    with pytest.raises(InvalidInput) as caught:
        await source.query(expr)
    assert caught.value.message == "expression nested too deeply"


async def test_moderate_nesting_still_evaluates(source: DemoMetricsSource) -> None:
    """Forty levels of parentheses and signs are within the limit and evaluate."""
    assert await values(source, "(" * 20 + "- - up" + ")" * 20 + " * 1") == await values(
        source, "up"
    )
