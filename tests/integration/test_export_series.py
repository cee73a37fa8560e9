"""``bench/export_series.py`` against the harness's real Prometheus: each series of a range
query becomes a NAB-layout CSV that ``smartcloudops detect`` reads."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from tests.harness.prometheus import PrometheusServer

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).parents[2] / "bench" / "export_series.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_series", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_series_becomes_a_csv_that_detect_reads(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    end = datetime.fromtimestamp(prometheus_server.history_end, UTC)
    expr = "node_filesystem_avail_bytes / node_filesystem_size_bytes"
    written = _script().export(prometheus_server.url, expr, tmp_path, hours=2, step=60, now=end)
    names = sorted(p.name for p in written)
    assert len(names) == 3
    assert any("db-primary" in n for n in names)
    db = next(p for p in written if "db-primary" in p.name)
    with db.open(encoding="utf-8") as file:
        table = list(csv.reader(file))
    assert table[0] == ["timestamp", "value"]
    assert 100 <= len(table) - 1 <= 121
    assert all(abs(float(v) - 0.10) < 1e-6 for _, v in table[1:])
    datetime.strptime(table[1][0], "%Y-%m-%d %H:%M:%S")  # NAB's timestamp form
    detected = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "detect", str(db)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert detected.returncode == 0, detected.stderr
    assert detected.stdout.splitlines()[0].startswith("timestamp,value,anomaly_score")


def test_a_failing_query_is_one_line_on_stderr(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "up", "--prometheus", "http://127.0.0.1:9", "--out",
         str(tmp_path), "--hours", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert len(done.stderr.strip().splitlines()) == 1
