"""The `smartcloudops` command line as a user runs it (a real subprocess each time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.require import free_port

EXE = str(Path(sys.executable).with_name("smartcloudops"))


def _run(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path,
    timeout: float = 90,
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_URL") and "TOKEN" not in k}
    clean.pop("SMARTCLOUDOPS_CONFIG", None)
    return subprocess.run(
        [EXE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**clean, **(env or {})},
        cwd=cwd,
        check=False,
    )


def _refused_serve(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``smartcloudops serve ARGS`` that must refuse to start: its exit, or a test failure
    if it is still serving after a minute (that is what a refusal not made looks like)."""
    try:
        return _run("serve", *args, env=env, cwd=cwd, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started instead of refusing to")


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The whole of stderr, which must be exactly one line and no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def test_chat_one_shot_answers_from_the_demo_source(tmp_path: Path) -> None:
    result = _run("chat", "-c", "what's down?", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "web-2" in result.stdout
    assert "demo data" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_chat_from_a_pipe_keeps_one_conversation_and_writes_chart_files(tmp_path: Path) -> None:
    result = _run("chat", stdin="cpu of web-1 over the last 2h\nand memory?\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CPU" in out
    assert "Memory" in out
    assert out.count("web-1") >= 2
    charts = sorted((tmp_path / "smartcloudops-charts").glob("*.png"))
    assert len(charts) == 2
    assert all(c.read_bytes().startswith(b"\x89PNG") for c in charts)


def test_parse_prints_contract_json_and_resolves_follow_ups(tmp_path: Path) -> None:
    result = _run("parse", stdin="memory of api-2 over the last 4h\nand disk?\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["intent"] == "metric_query"
    assert first["slots"] == {"metric": "memory", "target": "api-2", "range": 14400}
    assert second["intent"] == "metric_query"
    assert second["slots"] == {"metric": "disk", "target": "api-2", "range": 14400}
    assert 0.0 <= second["confidence"] <= 1.0


def test_parse_with_text_prints_one_object(tmp_path: Path) -> None:
    result = _run("parse", "how's the weather", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout)["intent"] == "unknown"


def test_a_bad_config_key_is_named_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("prometheus_timeout_secs: 3\n")
    result = _run("chat", "-c", "help", env={"SMARTCLOUDOPS_CONFIG": str(config)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "prometheus_timeout_secs" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("port", ["eighty", "70000"])
def test_a_bad_port_is_a_config_error(tmp_path: Path, port: str) -> None:
    result = _run("chat", "-c", "help", env={"PORT": port}, cwd=tmp_path)
    assert result.returncode == 2
    assert "PORT" in result.stderr


def test_detect_writes_scores_for_every_row(tmp_path: Path) -> None:
    rows = [f"2024-01-01 00:{m:02d}:00,{10 + (m % 3)}" for m in range(60)]
    (tmp_path / "in.csv").write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    result = _run("detect", "in.csv", "-o", "out.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0] == "timestamp,value,anomaly_score,is_anomaly"
    assert len(lines) == 61


def test_detect_on_a_missing_file_says_so_without_a_traceback(tmp_path: Path) -> None:
    result = _run("detect", "nope.csv", cwd=tmp_path)
    assert result.returncode != 0
    assert "nope.csv" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [("migrate",), ("chat", "-c", "help")])
def test_an_unreachable_database_is_a_clear_error_without_the_password(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    url = "postgresql+psycopg://ops:hunter2@127.0.0.1:1/ops"
    result = _run(*command, env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 1
    assert "Cannot migrate the database at postgresql+psycopg://ops:***@127.0.0.1:1/ops" in (
        result.stderr
    )
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_migrate_creates_the_schema_in_a_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "audit.db"
    result = _run("migrate", env={"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert database.stat().st_size > 0


@pytest.mark.parametrize(
    ("env", "missing"),
    [({"TEAMS_APP_PASSWORD": "teams-client-secret"}, "TEAMS_APP_ID"),
     ({"SLACK_SIGNING_SECRET": "slack-signing-secret"}, "SLACK_BOT_TOKEN"),
     ({"SLACK_APP_TOKEN": "xapp-1-slack-app-token"}, "SLACK_BOT_TOKEN")],
)  # fmt: skip
def test_serve_refuses_a_half_configured_platform(
    tmp_path: Path, env: dict[str, str], missing: str
) -> None:
    """Half a platform's credentials (here without development mode) stops ``serve`` with
    exit 2 and one line naming the missing key, instead of serving with the platform off."""
    result = _refused_serve("--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line_error(result)
    assert line.startswith(f"configuration error: {missing} is not set but ")
    assert not any(value in line for value in env.values())
