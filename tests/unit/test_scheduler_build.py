"""From the ``schedules:`` config to running jobs: one runner per enabled job, started and
stopped with the aiohttp server (so only ``serve`` runs them), leases released on the way out."""

from __future__ import annotations

import pytest
from aiohttp import web

from adapters.metrics.demo import DemoMetricsSource
from bot.app.server import build_web_app
from bot.app.wiring.scheduler import scheduler_plugin
from bot.core.errors import ConfigError
from bot.core.telemetry import Telemetry
from bot.features.metrics.targets import TargetDirectory
from bot.features.scheduler.build import build_scheduler
from bot.features.scheduler.config import load_schedules
from bot.features.scheduler.runner import Scheduler
from bot.features.scheduler.schedule import Cron, Every
from ml.anomaly.service import AnomalyService
from storage.dedupe import InMemoryDedupeStore
from storage.lease import InMemoryLeases, memory_leases
from tests.fakes.scheduler import NOW, PublishLog, RecordingPublisher, wait_until


def build(
    raw: dict[str, object], board: InMemoryLeases, log: PublishLog | None = None
) -> Scheduler:
    return build_scheduler(
        load_schedules(raw),
        leases=memory_leases(board, owner="me"),
        publisher=RecordingPublisher(log),
        dedupe=InMemoryDedupeStore(),
        metrics=(source := DemoMetricsSource(now=lambda: NOW)),
        directory=TargetDirectory(source),
        firing_now=source,
        anomaly=AnomalyService(),
        clock=lambda: NOW,
    )


def test_one_runner_per_enabled_job_with_its_schedule_and_lease() -> None:
    scheduler = build(
        {
            "anomaly_scan": {"every": "2m", "lease_ttl": "10s"},
            "daily_digest": {"cron": "30 8 * * *"},
        },
        InMemoryLeases(),
    )
    runners = {r.name: r for r in scheduler.runners}
    assert set(runners) == {"anomaly_scan", "daily_digest"}
    assert runners["anomaly_scan"].schedule == Every(120)
    assert runners["daily_digest"].schedule == Cron("30 8 * * *")
    assert runners["anomaly_scan"].lease.ttl_seconds == 10
    assert runners["daily_digest"].lease.ttl_seconds == 30, "the default, capped"


def test_no_schedules_no_jobs() -> None:
    assert build({}, InMemoryLeases()).jobs == ()


def test_bad_config_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^schedules\.anomaly_scan\.every: "):
        build({"anomaly_scan": {"every": "soon"}}, InMemoryLeases())


async def test_the_server_runs_the_jobs_and_releases_their_leases_on_cleanup() -> None:
    board = InMemoryLeases()
    log = PublishLog()
    scheduler = build({"daily_digest": {"every": "1s"}}, board, log)
    app = build_web_app(Telemetry(), [], [scheduler_plugin(scheduler)])
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await wait_until(lambda: bool(log.calls), "the digest to be posted")
        assert board.holder("daily_digest") is not None
    finally:
        await runner.cleanup()
    assert board.holder("daily_digest") is None
    assert [c.key for c in log.calls] == [log.calls[0].key]
    assert log.calls[0].key.startswith("digest:")
