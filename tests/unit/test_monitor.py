"""The dependency monitor: while the server runs, every dependency is checked in the
background and ``smartcloudops_dependency_up`` kept current, whether or not anything probes
``/readyz``; it starts and stops with the server, and a hung check does not hold up shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from bot.app.config import FileSettings, Settings
from bot.app.monitor import MONITOR_KEY, DependencyMonitor, monitor_plugin
from bot.app.server import DependencyCheck, build_web_app
from bot.app.services import open_services
from bot.core.errors import DependencyError
from bot.core.telemetry import Telemetry


class Switch:
    """A dependency that is up until :attr:`down` is set."""

    def __init__(self) -> None:
        self.down = False

    async def check(self) -> None:
        if self.down:
            raise DependencyError("redis", "Redis is unreachable")


def monitor_tasks() -> list[asyncio.Task[object]]:
    """Background checkers still running in this loop."""
    return [t for t in asyncio.all_tasks() if t.get_name() == "dependency-monitor" and not t.done()]


def up(telemetry: Telemetry, name: str) -> float | None:
    return telemetry.registry.get_sample_value("smartcloudops_dependency_up", {"dependency": name})


async def test_the_gauge_follows_a_dependency_without_any_probe() -> None:
    """Up, down, up again: each round sets the gauge, with nobody asking ``/readyz``."""
    telemetry, redis = Telemetry(CollectorRegistry()), Switch()
    monitor = DependencyMonitor(telemetry, [DependencyCheck("redis", redis.check)], interval=0.01)
    monitor.start()
    try:
        assert await monitor.next_round() == {"redis": "ok"}
        assert up(telemetry, "redis") == 1
        redis.down = True
        assert await monitor.next_round() == {"redis": "down: Redis is unreachable"}
        assert up(telemetry, "redis") == 0
        redis.down = False
        await monitor.next_round()
        assert up(telemetry, "redis") == 1
    finally:
        await monitor.stop()


async def test_stopping_cancels_a_hung_check_instead_of_waiting_it_out() -> None:
    """A check stuck on a dependency that never answers is cancelled by ``stop``."""
    entered, cancelled = asyncio.Event(), asyncio.Event()

    async def hangs() -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    monitor = DependencyMonitor(
        Telemetry(CollectorRegistry()), [DependencyCheck("database", hangs)], interval=60
    )
    monitor.start()
    await entered.wait()
    await monitor.stop()
    assert cancelled.is_set()
    assert not monitor.running
    assert monitor_tasks() == []


async def test_the_server_starts_and_stops_the_monitor() -> None:
    """Mounted as a plugin, the monitor runs from the server's start to its shutdown."""
    telemetry, redis = Telemetry(CollectorRegistry()), Switch()
    checks = [DependencyCheck("redis", redis.check)]
    monitor = DependencyMonitor(telemetry, checks, interval=0.01)
    app = build_web_app(telemetry, checks, [monitor_plugin(monitor)])
    assert not monitor.running
    async with TestClient(TestServer(app)) as client:
        assert client.app[MONITOR_KEY] is monitor
        assert monitor.running
        await monitor.next_round()
        text = await (await client.get("/metrics")).text()
        assert 'smartcloudops_dependency_up{dependency="redis"} 1.0' in text
    assert not monitor.running
    assert monitor_tasks() == []


async def test_serve_mounts_the_monitor_and_the_prometheus_bound_from_the_file() -> None:
    """With a configured dependency the composition root mounts a monitor at the configured
    interval, and Prometheus gets the configured bound; nothing connects on the way."""
    file = FileSettings(
        prometheus_max_concurrency=7,
        prometheus_queue_seconds=0.5,
        dependency_check_interval_seconds=30,
    )
    settings = Settings(prometheus_url="http://127.0.0.1:9", file=file)
    async with open_services(settings) as services:
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        assert [c.name for c in services.checks] == ["prometheus"]
        assert app[MONITOR_KEY].interval == 30
        limit = services.metrics.limit  # type: ignore[attr-defined]
        assert (limit.size, limit.wait) == (7, 0.5)


async def test_without_dependencies_no_monitor_is_mounted() -> None:
    """The embedded defaults have nothing to check, so nothing runs in the background."""
    async with open_services(Settings()) as services:
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        assert MONITOR_KEY not in app


async def test_the_database_is_what_serving_needs_only_when_actions_are_configured(
    tmp_path: Path,
) -> None:
    """With actions a request cannot be recorded without the database, so it is in
    ``/readyz?scope=serving``; without actions it is only reported."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    actions = {
        "roles": {"oncall": {"users": ["slack:U0ANA"]}},
        "executors": {"runbooks": {"type": "command"}},
        "actions": {
            "restart": {
                "executor": "runbooks",
                "role": "oncall",
                "targets": {"names": ["payments"]},
                "command": ["/bin/true"],
            }
        },
    }
    for policy, serving in (({}, False), (actions, True)):
        settings = Settings(database_url=url, file=FileSettings(policy=policy))
        async with open_services(settings) as services:
            database = [c for c in services.checks if c.name == "database"]
            assert [c.serving for c in database] == [serving]
