"""A real Alertmanager for the integration tests, one per test, on free loopback ports.

``start_alertmanager(token=...)`` (a fixture returning a factory) starts
``prometheus-alertmanager`` (Debian's name for it) with gossip off
(``--cluster.listen-address=``) and one webhook receiver: ``http://127.0.0.1:<receiver_port>
/alertmanager`` with ``Authorization: Bearer <token>``, ``send_resolved``, grouped by alert
name and instance with ``group_wait: 1s``, ``group_interval: 1s`` and ``repeat_interval: 1h``,
so a posted alert reaches the receiver in about a second and is never repeated during a test.
The test serves its bot on ``receiver_port``. ``alertmanager`` is that with the default
:data:`TOKEN`.

``start_rule_prometheus(alertmanager, rules)`` starts a Prometheus of its own that evaluates
``rules`` (a rule group's ``rules`` list) every second and sends what fires to that
Alertmanager, for the real path rule -> Prometheus -> Alertmanager -> bot. Prometheus
discovers its Alertmanager on a throttled schedule, so the first alert arrives after ~6-8 s.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

TOKEN = "harness-alertmanager-token"
_READY_TIMEOUT = 15.0


@dataclass
class AlertmanagerServer:
    """A running Alertmanager: its API ``url`` and the port its webhook posts to."""

    url: str
    receiver_port: int
    token: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path = field(repr=False)

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}/alertmanager"

    def fire(
        self,
        alertname: str,
        *,
        severity: str = "critical",
        instance: str = "checkout-api-1:8080",
        job: str = "checkout-api",
        summary: str = "",
        resolved: bool = False,
        starts_at: datetime | None = None,
    ) -> None:
        """POST one alert to ``/api/v2/alerts``: firing, or resolved now (``resolved``)."""
        now = datetime.now(UTC)
        alert: dict[str, Any] = {
            "labels": {"alertname": alertname, "severity": severity,
                       "instance": instance, "job": job},
            "annotations": {"summary": summary or f"{alertname} on {instance}"},
            "startsAt": _rfc3339(starts_at or now - timedelta(minutes=5)),
            "generatorURL": "http://prometheus.example/graph",
        }  # fmt: skip
        if resolved:
            alert["endsAt"] = _rfc3339(now - timedelta(seconds=1))
        self.request("POST", "/api/v2/alerts", [alert])

    def silences(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.request("GET", "/api/v2/silences")
        return found

    def alerts(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.request("GET", "/api/v2/alerts")
        return found

    def failed_notifications(self) -> float:
        """``alertmanager_notifications_failed_total`` of the webhook integration."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("alertmanager_notifications_failed_total{") and (
                'integration="webhook"' in line
            ):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def request(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback only
            f"{self.url}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            raw = response.read()
        return json.loads(raw) if raw else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def config(receiver_port: int, token: str, *, group_by: tuple[str, ...]) -> Mapping[str, Any]:
    """The Alertmanager configuration (JSON is YAML) for one webhook receiver."""
    return {
        "route": {
            "receiver": "smartcloudops",
            "group_by": list(group_by),
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "smartcloudops",
                "webhook_configs": [
                    {
                        "url": f"http://127.0.0.1:{receiver_port}/alertmanager",
                        "send_resolved": True,
                        "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
                    }
                ],
            }
        ],
    }


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def _start(binary: str, root: Path, token: str, group_by: tuple[str, ...]) -> AlertmanagerServer:
    from tests.harness.require import free_port

    port = free_port()
    receiver_port = next(p for p in iter(free_port, None) if p != port)
    (root / "data").mkdir(parents=True)
    config_file = root / "alertmanager.yml"
    config_file.write_text(json.dumps(config(receiver_port, token, group_by=group_by)))
    log = root / "alertmanager.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_file}",
                f"--storage.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = AlertmanagerServer(f"http://127.0.0.1:{port}", receiver_port, token, process, log)
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if _ready(server.url):
            return server
        time.sleep(0.05)
    server.stop()
    tail = log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"alertmanager did not become ready on port {port}:\n{tail}")


StartAlertmanager = Callable[..., AlertmanagerServer]


@pytest.fixture
def start_alertmanager(tmp_path: Path) -> Iterator[StartAlertmanager]:
    """A factory: ``start_alertmanager(token=..., group_by=...)`` starts one Alertmanager
    (stopped after the test)."""
    from tests.harness.require import require_binary

    binary = require_binary("prometheus-alertmanager")
    started: list[AlertmanagerServer] = []

    def start(
        token: str = TOKEN, group_by: tuple[str, ...] = ("alertname", "instance")
    ) -> AlertmanagerServer:
        server = _start(binary, tmp_path / f"alertmanager-{len(started)}", token, group_by)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def alertmanager(start_alertmanager: StartAlertmanager) -> AlertmanagerServer:
    """One Alertmanager whose webhook carries :data:`TOKEN`."""
    return start_alertmanager()


def _prometheus_config(alertmanager: AlertmanagerServer, rules: Path) -> Mapping[str, Any]:
    host = alertmanager.url.removeprefix("http://")
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [host]}]}]},
    }


StartRulePrometheus = Callable[[AlertmanagerServer, list[dict[str, Any]]], str]


@pytest.fixture
def start_rule_prometheus(tmp_path: Path) -> Iterator[StartRulePrometheus]:
    """A factory: ``start_rule_prometheus(alertmanager, rules)`` starts a Prometheus that
    evaluates ``rules`` and alerts ``alertmanager``; returns its URL (stopped after the test)."""
    from tests.harness.require import free_port, require_binary

    binary = require_binary("prometheus")
    processes: list[subprocess.Popen[bytes]] = []

    def start(alertmanager: AlertmanagerServer, rules: list[dict[str, Any]]) -> str:
        root = tmp_path / f"prometheus-{len(processes)}"
        root.mkdir()
        rules_file = root / "rules.yml"
        rules_file.write_text(json.dumps({"groups": [{"name": "test", "interval": "1s",
                                                      "rules": rules}]}))  # fmt: skip
        config_file = root / "prometheus.yml"
        config_file.write_text(json.dumps(_prometheus_config(alertmanager, rules_file)))
        port = free_port()
        with (root / "prometheus.log").open("wb") as sink:
            processes.append(
                subprocess.Popen(
                    [
                        binary,
                        f"--config.file={config_file}",
                        f"--storage.tsdb.path={root / 'data'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                        "--rules.alert.resend-delay=1s",
                    ],
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
