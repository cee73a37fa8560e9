"""A real Prometheus loaded with generated history, for the integration tests.

The session fixture ``prometheus_server``:

1. writes six hours of OpenMetrics history (seconds timestamps, each series in time order,
   ``# EOF`` at the end) for three node-exporter hosts and two HTTP services, with the metric
   names of the default catalog and a known story: checkout-api had a latency and 5xx
   incident from 3h10m to 2h30m ago (web-1's CPU rose with it), db-primary's disk is 90 %
   full, and web-2's history stops 20 minutes ago;
2. turns it into TSDB blocks with ``promtool tsdb create-blocks-from openmetrics`` *before*
   Prometheus starts (a running server would not see them);
3. starts ``prometheus`` on a free loopback port with one live scrape target (itself) and one
   dead one labelled ``web-2:9100``, and alert rules evaluated every second;
4. waits until both targets have been scraped (discovery is throttled: ~7 s) and both alerts
   fire, so every test sees the same settled state.

``filling_prometheus_server`` is the same story except that db-primary's disk fills: from
62 % six hours ago to 92 % at the end of history (5 points an hour, full in about 1.6 h).
"""

from __future__ import annotations

import functools
import json
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HISTORY_SECONDS = 6 * 3600
STEP_SECONDS = 30
GIB = 1024**3
HOSTS = ("web-1", "web-2", "db-primary")
SERVICES = {"checkout-api": "checkout-api-1:8080", "payments": "payments-1:8080"}
INCIDENT = (-(3 * 3600 + 600), -(2 * 3600 + 1800))  # seconds relative to the end of history
WEB2_DOWN = -20 * 60
_BUCKETS = ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf")
_CDF_NORMAL = (0.30, 0.60, 0.97, 0.99, 1.0, 1.0, 1.0, 1.0)  # p95 ~ 0.24 s
_CDF_INCIDENT = (0.05, 0.10, 0.30, 0.50, 0.80, 0.98, 1.0, 1.0)  # p95 ~ 2.25 s
_READY_TIMEOUT = 30.0

#: db-primary's disk in ``filling_prometheus_server``: used share at the start and the end.
FILLING_DISK = (0.62, 0.92)

#: What the history says now, for the tests to check answers against.
EXPECTED = {
    "web-1 cpu %": 25.0,
    "web-1 cpu % during incident": 85.0,
    "web-1 memory %": 62.0,
    "db-primary disk %": 90.0,
    "payments error %": 0.5,
    "checkout-api error % during incident": 8.0,
}


@dataclass(frozen=True)
class PrometheusServer:
    """A running Prometheus: its base URL and the instant its history ends."""

    url: str
    history_end: float
    dead_target: str


# --------------------------------------------------------------------------- history


def _cpu_busy(host: str, rel: float) -> float:
    if host == "web-1":
        return 0.85 if INCIDENT[0] <= rel < INCIDENT[1] else 0.25
    return {"web-2": 0.40, "db-primary": 0.55}[host]


def _host_series(
    host: str, times: list[float], end: float, *, filling: bool = False
) -> Iterator[str]:
    labels = f'instance="{host}:9100",job="node"'
    stop = end + WEB2_DOWN if host == "web-2" else end
    kept = [t for t in times if t <= stop]
    for mode, share in (("idle", None), ("user", 0.7), ("system", 0.3)):
        total = 0.0
        for t in kept:
            busy = _cpu_busy(host, t - end)
            total += STEP_SECONDS * ((1 - busy) if share is None else busy * share)
            yield f'node_cpu_seconds_total{{cpu="0",mode="{mode}",{labels}}} {total:.3f} {t:.0f}'
    used = {"web-1": 0.62, "web-2": 0.48, "db-primary": 0.71}[host]
    yield from _gauge("node_memory_MemTotal_bytes", labels, kept, 8 * GIB)
    yield from _gauge("node_memory_MemAvailable_bytes", labels, kept, 8 * GIB * (1 - used))
    disk = {"web-1": 0.40, "web-2": 0.35, "db-primary": 0.90}[host]
    fs = f'device="/dev/sda1",fstype="ext4",mountpoint="/",{labels}'
    yield from _gauge("node_filesystem_size_bytes", fs, kept, 100 * GIB)
    if filling and host == "db-primary":
        first, last = FILLING_DISK
        for t in kept:
            used = last + (last - first) * (t - end) / HISTORY_SECONDS
            yield f"node_filesystem_avail_bytes{{{fs}}} {100 * GIB * (1 - used):.1f} {t:.0f}"
    else:
        yield from _gauge("node_filesystem_avail_bytes", fs, kept, 100 * GIB * (1 - disk))
    for direction, rate in (("receive", 1.0e6), ("transmit", 0.5e6)):
        name = f"node_network_{direction}_bytes_total"
        yield from _counter(name, f'device="eth0",{labels}', kept, functools.partial(_flat, rate))


def _service_series(service: str, instance: str, times: list[float], end: float) -> Iterator[str]:
    labels = f'instance="{instance}",job="{service}"'

    def in_incident(t: float) -> bool:
        return service == "checkout-api" and INCIDENT[0] <= t - end < INCIDENT[1]

    def errors(t: float) -> float:
        return 0.08 if in_incident(t) else 0.005

    yield from _counter("http_requests_total", f'code="200",{labels}', times,
                        lambda t: 50 * (1 - errors(t)))  # fmt: skip
    yield from _counter("http_requests_total", f'code="500",{labels}', times,
                        lambda t: 50 * errors(t))  # fmt: skip

    def bucket(index: int, t: float) -> float:
        return 50 * (_CDF_INCIDENT if in_incident(t) else _CDF_NORMAL)[index]

    for index, le in enumerate(_BUCKETS):
        yield from _counter(
            "http_request_duration_seconds_bucket",
            f'le="{le}",{labels}',
            times,
            functools.partial(bucket, index),
        )


def _flat(rate: float, _: float) -> float:
    return rate


def _gauge(name: str, labels: str, times: list[float], value: float) -> Iterator[str]:
    for t in times:
        yield f"{name}{{{labels}}} {value:.1f} {t:.0f}"


def _counter(
    name: str, labels: str, times: list[float], rate: Callable[[float], float]
) -> Iterator[str]:
    total = 0.0
    for t in times:
        total += rate(t) * STEP_SECONDS
        yield f"{name}{{{labels}}} {total:.3f} {t:.0f}"


def write_history(path: Path, end: float, *, filling: bool = False) -> int:
    """Write the OpenMetrics history ending at ``end`` (``filling``: db-primary's disk fills);
    returns the number of samples."""
    first = end - HISTORY_SECONDS
    times = [first + i * STEP_SECONDS for i in range(HISTORY_SECONDS // STEP_SECONDS + 1)]
    lines: list[str] = []
    for host in HOSTS:
        lines.extend(_host_series(host, times, end, filling=filling))
    for service, instance in SERVICES.items():
        lines.extend(_service_series(service, instance, times, end))
    lines.sort(key=_family)
    path.write_text("\n".join([*lines, "# EOF"]) + "\n", encoding="utf-8")
    return len(lines)


def _family(line: str) -> str:
    return line.split("{", 1)[0]


# --------------------------------------------------------------------------- server

_RULES = """
groups:
  - name: harness
    interval: 1s
    rules:
      - alert: InstanceDown
        expr: up == 0
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.instance }} is not answering scrapes"}
      - alert: DiskSpaceLow
        expr: >-
          100 * (1 - node_filesystem_avail_bytes{mountpoint="/"}
          / node_filesystem_size_bytes{mountpoint="/"}) > 85
        labels: {severity: warning}
        annotations: {summary: "{{ $labels.instance }} disk is {{ $value | humanize }}% full"}
"""


def _config(port: int, dead_port: int, rules: Path) -> str:
    return json.dumps(
        {
            "global": {"scrape_interval": "2s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [
                {
                    "job_name": "prometheus",
                    "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
                },
                {
                    "job_name": "node",
                    "scrape_timeout": "1s",
                    "static_configs": [
                        {
                            "targets": [f"127.0.0.1:{dead_port}"],
                            "labels": {"instance": "web-2:9100"},
                        }
                    ],
                },
            ],
        }
    )


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def _settled(url: str) -> bool:
    """Both targets scraped and both alerts firing."""
    try:
        targets = _get(f"{url}/api/v1/targets")["data"]["activeTargets"]  # type: ignore[index]
        alerts = _get(f"{url}/api/v1/alerts")["data"]["alerts"]  # type: ignore[index]
    except OSError:
        return False
    scraped = len(targets) == 2 and all(t["health"] != "unknown" for t in targets)
    firing = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}
    return scraped and {"InstanceDown", "DiskSpaceLow"} <= firing


def _wait(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _settled(url):
            return
        time.sleep(0.25)
    process.kill()
    process.wait()
    tail = log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"prometheus did not settle within {_READY_TIMEOUT:.0f}s:\n{tail}")


# Module scope, not session: the history ends when the server starts, and a test asking
# minutes later sees 5-minute rate windows only partly covered (Prometheus extrapolates them)
# and gauges going stale. A fresh server per module keeps every answer within seconds of "now".
@pytest.fixture(scope="module")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """Prometheus with six hours of history, a dead target and two firing alerts."""
    yield from _serve(tmp_path_factory, filling=False)


@pytest.fixture(scope="module")
def filling_prometheus_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PrometheusServer]:
    """:func:`prometheus_server` with db-primary's disk filling (:data:`FILLING_DISK`)."""
    yield from _serve(tmp_path_factory, filling=True)


def _serve(
    tmp_path_factory: pytest.TempPathFactory, *, filling: bool
) -> Iterator[PrometheusServer]:
    # Imported here, not at the top: conftest loads every harness module as a plugin in name
    # order, and importing a sibling first would stop pytest from rewriting its asserts.
    from tests.harness.require import free_port, require_binary

    prometheus, promtool = require_binary("prometheus"), require_binary("promtool")
    root = tmp_path_factory.mktemp("prometheus")
    data, history, rules = root / "data", root / "history.om", root / "rules.yml"
    end = float(int(time.time()) - 15)
    write_history(history, end, filling=filling)
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(history), str(data)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    dead_port = next(p for p in iter(free_port, None) if p != port)
    rules.write_text(_RULES, encoding="utf-8")
    (root / "prometheus.yml").write_text(_config(port, dead_port, rules), encoding="utf-8")
    log = root / "prometheus.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                prometheus,
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=3650d",
                f"--web.listen-address=127.0.0.1:{port}",
                "--rules.alert.resend-delay=1s",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    _wait(process, url, log)
    yield PrometheusServer(url=url, history_end=end, dead_target="web-2:9100")
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
