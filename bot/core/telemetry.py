"""The bot's own Prometheus metrics (names are part of the deployment surface: dashboards and
alert rules in ``deploy/`` query them).

Features never touch a metric: each declares the small port it reports through (for example
:class:`bot.features.remediation.ports.OutcomeTelemetry`) and :class:`Telemetry`'s methods
implement them all.
"""

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
#: ``result`` of smartcloudops_alertmanager_notifications_total: published; no or a wrong
#: token; not an Alertmanager notification; storage down (Alertmanager retries).
NOTIFICATION_RESULTS = ("ok", "unauthorized", "invalid", "unavailable")
#: ``outcome`` of smartcloudops_remediation_outcomes_total.
REMEDIATION_OUTCOMES = ("executed", "failed", "refused", "denied", "expired")


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
            "Messages that ended in an error, by platform and kind "
            "(user, busy, dependency, internal).",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.busy_refusals = Counter(
            "smartcloudops_busy_refusals",
            'Messages answered "busy, try again" because a lane of this process was full, by '
            "platform and lane (turns: any message; heavy: charts, anomaly reports, forecasts).",
            ["platform", "lane"],
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
        self.build_info = Gauge(
            "smartcloudops_build_info",
            "Always 1; the running version is its label.",
            ["version"],
            registry=self.registry,
        )
        self.alertmanager_notifications = Counter(
            "smartcloudops_alertmanager_notifications",
            "Alertmanager webhook notifications received, by result.",
            ["result"],
            registry=self.registry,
        )
        self.posts = Counter(
            "smartcloudops_posts",
            "Posts to subscribed channels (alerts, findings, digests), by platform and result.",
            ["platform", "result"],
            registry=self.registry,
        )
        self.remediation_outcomes = Counter(
            "smartcloudops_remediation_outcomes",
            "Remediation requests that ended, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.job_last_success = Gauge(
            "smartcloudops_scheduled_job_last_success_timestamp_seconds",
            "When each scheduled job last finished a run without an error (Unix time).",
            ["job"],
            registry=self.registry,
        )
        for result in NOTIFICATION_RESULTS:
            self.alertmanager_notifications.labels(result)
        for outcome in REMEDIATION_OUTCOMES:
            self.remediation_outcomes.labels(outcome)

    def alertmanager_notification(self, result: str) -> None:
        """A notification reached ``POST /alertmanager`` (one of NOTIFICATION_RESULTS)."""
        self.alertmanager_notifications.labels(result).inc()

    def post_result(self, platform: str, result: str) -> None:
        """A post to a channel on ``platform`` was made, edited, failed or skipped."""
        self.posts.labels(platform, result).inc()

    def remediation_outcome(self, outcome: str) -> None:
        """A remediation request ended (one of REMEDIATION_OUTCOMES)."""
        self.remediation_outcomes.labels(outcome).inc()

    def job_succeeded(self, job: str, at: float) -> None:
        """Scheduled job ``job`` finished a run without an error at Unix time ``at``."""
        self.job_last_success.labels(job).set(at)
