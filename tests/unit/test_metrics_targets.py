"""Target names: the shared directory of what users may name, with "did you mean" for typos,
and the PromQL matcher the Prometheus adapter builds for a resolved name."""

from __future__ import annotations

import pytest

from adapters.metrics.demo import DemoMetricsSource
from adapters.metrics.promql_catalog import selector
from bot.core.errors import NotFoundError
from bot.features.metrics.ports import TargetRef, Window
from bot.features.metrics.targets import TargetDirectory, matches_target, strip_port, suggest

NOW = 1_710_254_240.0


class CountingSource(DemoMetricsSource):
    """The demo source, counting name lookups (to see the directory's cache at work)."""

    def __init__(self) -> None:
        super().__init__(now=lambda: NOW)
        self.lookups = 0

    async def target_names(self) -> list[TargetRef]:
        self.lookups += 1
        return await super().target_names()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("instance", "name"),
    [("web-1:9100", "web-1"), ("web-1", "web-1"), ("10.0.0.5:8080", "10.0.0.5"), ("a:b", "a:b")],
)
def test_strip_port(instance: str, name: str) -> None:
    """Only a trailing numeric port is removed."""
    assert strip_port(instance) == name


@pytest.mark.parametrize(
    ("ref", "matcher"),
    [
        (TargetRef("web-1", "instance"), 'instance=~"web-1(:[0-9]+)?"'),
        (TargetRef("10.0.0.5", "instance"), r'instance=~"10\\.0\\.0\\.5(:[0-9]+)?"'),
        (TargetRef("web-1:9100", "instance"), 'instance="web-1:9100"'),
        (TargetRef("checkout-api", "job"), 'job="checkout-api"'),
    ],
)
def test_selector_matches_any_port_and_escapes_dots(ref: TargetRef, matcher: str) -> None:
    """An instance name matches with or without a port; regex characters are escaped."""
    assert selector(ref) == matcher


async def test_resolver_finds_hosts_and_services_case_insensitively() -> None:
    """Names come from instance (without port), job and service values."""
    resolver = TargetDirectory(DemoMetricsSource(now=lambda: NOW))
    assert await resolver.resolve("WEB-1") == TargetRef("web-1", "instance")
    assert await resolver.resolve("payments") == TargetRef("payments", "instance")
    assert await resolver.resolve("node") == TargetRef("node", "job")
    assert await resolver.resolve("web-2:9100") == TargetRef("web-2:9100", "instance")
    assert "web-2:9100" not in await resolver.names()


async def test_a_resolved_target_selects_only_that_target() -> None:
    """The resolved name, asked of the source, returns that target only."""
    source = DemoMetricsSource(now=lambda: NOW)
    ref = await TargetDirectory(source).resolve("web-1")
    found = await source.series("cpu", ref, Window(NOW - 600, NOW, 60))
    assert [name for name, _ in found.series] == ["web-1"]


async def test_typo_suggests_the_closest_names() -> None:
    """ "web-9" is not a target; the error offers web-1 and web-2."""
    resolver = TargetDirectory(DemoMetricsSource(now=lambda: NOW))
    with pytest.raises(NotFoundError) as caught:
        await resolver.resolve("web-9")
    assert caught.value.message == "I don't know a target called 'web-9'."
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("Did you mean `web-1` or `web-2`")


async def test_far_off_name_lists_known_targets() -> None:
    """With nothing close, the error lists the known targets instead."""
    resolver = TargetDirectory(DemoMetricsSource(now=lambda: NOW))
    with pytest.raises(NotFoundError) as caught:
        await resolver.resolve("qqqqqq")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("Known targets: ")
    assert "checkout-api" in caught.value.hint


def test_suggest_prefers_close_names() -> None:
    """Suggestions are ranked by similarity and skip unrelated names."""
    assert suggest("checkout", ["checkout-api", "payments", "web-1"]) == ["checkout-api"]
    assert suggest("db-primry", ["db-primary", "web-1"])[0] == "db-primary"


def test_matches_target_uses_target_labels() -> None:
    """A label set belongs to a name through instance (any port), job or service."""
    labels = {"instance": "web-1:9100", "job": "node"}
    assert matches_target(labels, "web-1", ("instance", "job"))
    assert matches_target(labels, "NODE", ("instance", "job"))
    assert not matches_target(labels, "node", ("instance",))


async def test_known_names_are_cached_for_thirty_seconds() -> None:
    """Label values are fetched once per 30 s, not for every question."""
    source, clock = CountingSource(), Clock()
    resolver = TargetDirectory(source, clock=clock)
    await resolver.resolve("web-1")
    first = source.lookups
    clock.now = 29
    await resolver.resolve("web-2")
    assert source.lookups == first
    clock.now = 31
    await resolver.resolve("web-2")
    assert source.lookups == 2 * first
