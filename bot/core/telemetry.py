"""The bot's own Prometheus metrics (names are part of the deployment surface: dashboards and
alert rules in ``deploy/`` query them)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    platform_collector,
    process_collector,
)

_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Telemetry:
    """Metrics on a registry of their own, so several bots (tests, replicas) never collide."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        if registry is None:
            process_collector.ProcessCollector(registry=self.registry)
            platform_collector.PlatformCollector(registry=self.registry)
            gc_collector.GCCollector(registry=self.registry)
        self.messages = Counter(
            "smartcloudops_messages",
            "Messages handled, by platform and intent.",
            ["platform", "intent"],
            registry=self.registry,
        )
        self.handling = Histogram(
            "smartcloudops_handling_seconds",
            "Time to answer one message, by platform and intent.",
            ["platform", "intent"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "smartcloudops_errors",
            "Messages that ended in an error, by platform and kind (user, dependency, internal).",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.dependency_failures = Counter(
            "smartcloudops_dependency_failures",
            "Failed calls to a dependency (redis, database, prometheus, alertmanager, ...).",
            ["dependency"],
            registry=self.registry,
        )
        self.dependency_up = Gauge(
            "smartcloudops_dependency_up",
            "1 when the dependency answered its last readiness check, else 0.",
            ["dependency"],
            registry=self.registry,
        )
