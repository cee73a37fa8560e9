"""The Prometheus catalog: templates for every metric, filled with a target's matcher and a
latency quantile."""

from __future__ import annotations

import pytest

from adapters.metrics.promql_catalog import PROMETHEUS_TEMPLATES, build_catalog, render
from bot.core.errors import ConfigError, InvalidInput
from bot.features.metrics.catalog import METRIC_INFO
from bot.features.metrics.ports import TargetRef
from intents.model import METRICS


def test_every_catalog_metric_has_a_template_and_display_info() -> None:
    """All seven metrics of the contract have a PromQL template with a selector and a unit."""
    assert set(PROMETHEUS_TEMPLATES) == set(METRICS)
    assert set(METRIC_INFO) == set(METRICS)
    for metric, template in PROMETHEUS_TEMPLATES.items():
        assert "{selector}" in template, metric
        assert METRIC_INFO[metric].unit, metric


def test_render_puts_the_matcher_in_every_selector() -> None:
    """Every ``{selector}`` is filled (memory divides two selectors)."""
    rendered = render(PROMETHEUS_TEMPLATES["memory"], TargetRef("web-1", "instance"))
    assert rendered == (
        '100 * (1 - node_memory_MemAvailable_bytes{instance=~"web-1(:[0-9]+)?"}'
        ' / node_memory_MemTotal_bytes{instance=~"web-1(:[0-9]+)?"})'
    )


def test_render_without_target_drops_the_joining_comma() -> None:
    """No target: ``{mode="idle",{selector}}`` becomes ``{mode="idle"}``."""
    rendered = render(PROMETHEUS_TEMPLATES["cpu"], None)
    assert 'node_cpu_seconds_total{mode="idle"}[5m]' in rendered
    assert "{selector}" not in rendered


def test_defaults_use_node_exporter_and_http_metric_names() -> None:
    """The defaults speak node-exporter and the usual HTTP server metrics."""
    assert "node_cpu_seconds_total" in PROMETHEUS_TEMPLATES["cpu"]
    assert "http_request_duration_seconds_bucket" in PROMETHEUS_TEMPLATES["latency"]
    assert "histogram_quantile({quantile}" in PROMETHEUS_TEMPLATES["latency"]
    assert 'code=~"5.."' in PROMETHEUS_TEMPLATES["error_rate"]


def test_overrides_replace_only_their_metric() -> None:
    """A deployment's template replaces that metric's default; the others stay."""
    catalog = build_catalog(PROMETHEUS_TEMPLATES, {"latency": "my_p95{{selector}}"})
    assert catalog["latency"] == "my_p95{{selector}}"
    assert catalog["cpu"] == PROMETHEUS_TEMPLATES["cpu"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cpu": "my_cpu"}, r"catalog\.cpu: the template must contain \{selector\}"),
        ({"load": "x{{selector}}"}, r"catalog\.load: unknown metric"),
    ],
)
def test_bad_overrides_name_the_key(overrides: dict[str, str], message: str) -> None:
    """A bad override fails at start-up naming ``catalog.<metric>``."""
    with pytest.raises(ConfigError, match=message):
        build_catalog(PROMETHEUS_TEMPLATES, overrides)


def test_an_incomplete_catalog_is_refused() -> None:
    """A source's catalog must cover every metric."""
    partial = {k: v for k, v in PROMETHEUS_TEMPLATES.items() if k != "disk"}
    with pytest.raises(ConfigError, match=r"catalog\.disk"):
        build_catalog(partial)


def test_latency_quantile_is_filled_and_defaults_to_p95() -> None:
    """p99 asks histogram_quantile(0.99, ...); no quantile is the catalog's p95."""
    template = PROMETHEUS_TEMPLATES["latency"]
    assert render(template, None, 0.99).startswith("histogram_quantile(0.99,")
    assert render(template, None).startswith("histogram_quantile(0.95,")


def test_an_override_without_a_quantile_refuses_other_quantiles() -> None:
    """A deployment's own p95 query cannot answer p99: said, not silently p95."""
    with pytest.raises(InvalidInput, match="one latency quantile only"):
        render("my_p95{{selector}}", None, 0.99)
    assert render("my_p95{{selector}}", None, 0.95) == "my_p95{}"
