"""The `smartcloudops` command line as a user runs it (a real subprocess each time)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.harness.require import free_port

EXE = str(Path(sys.executable).with_name("smartcloudops"))


def _clean_env() -> dict[str, str]:
    """This process's environment without backends, platforms or a config file."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_URL") and "TOKEN" not in k}
    clean.pop("SMARTCLOUDOPS_CONFIG", None)
    return clean


def _run(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path,
    timeout: float = 90,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**_clean_env(), **(env or {})},
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


def test_parse_into_a_reader_that_leaves_early_ends_without_a_traceback(
    tmp_path: Path,
) -> None:
    """ "smartcloudops parse < lines | head -1": the reader closes the pipe after one line."""
    with subprocess.Popen(
        [EXE, "parse"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_clean_env(), cwd=tmp_path,
    ) as process:  # fmt: skip
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(b"restart web-1\n")
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["intent"] == "remediation"
        process.stdout.close()  # the reader leaves; the next answer has nowhere to go
        process.stdin.write(b"what's down?\n" * 500)
        process.stdin.flush()  # all of it in the pipe before the parser can stop reading
        process.stdin.close()
        stderr = process.stderr.read() if process.stderr else b""
        assert process.wait(timeout=60) == 141
    assert b"Traceback" not in stderr, stderr.decode()


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


# --------------------------------------------------------------------------- operator errors


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    """Another process holds the port: one line naming it, exit 1, no traceback."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # noqa: S104 - where serve listens
        taken.listen()
        port = taken.getsockname()[1]
        result = _refused_serve("--port", str(port), env={}, cwd=tmp_path)
    assert result.returncode == 1
    line = _one_line_error(result)
    assert line == f"error: cannot listen on 0.0.0.0:{port}: address already in use"


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_with_a_port_out_of_range_says_so_in_one_line(tmp_path: Path, port: str) -> None:
    """A --port that is no TCP port: exit 2, one line naming --port, nothing started."""
    result = _refused_serve("--port", port, env={}, cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line_error(result)
    assert "--port" in line
    assert port in line


def test_serve_on_port_0_listens_on_a_free_port_and_says_which(tmp_path: Path) -> None:
    """``--port 0``: the server picks a free port (not PORT, here taken), says which one,
    and answers there."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # noqa: S104 - where serve listens
        taken.listen()
        process = subprocess.Popen(
            [EXE, "serve", "--port", "0"], cwd=tmp_path, text=True,
            env={**_clean_env(), "PORT": str(taken.getsockname()[1])},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            port = _announced_port(process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
                assert answer.status == 200
        finally:
            process.terminate()
            _, rest = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "Traceback" not in rest


def _announced_port(process: subprocess.Popen[str]) -> int:
    """The port from the server's "serving on HOST:PORT" line (stderr, within a minute)."""
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        found = re.search(r"serving on [\d.]+:(\d+)", line)
        if found:
            return int(found.group(1))
    pytest.fail("the server never said where it listens")


@pytest.mark.parametrize(
    "url", ["mysql://ops:hunter2@db/ops", "postgresql+asyncpg://ops:hunter2@db/ops", "db.sqlite"]
)
def test_an_unsupported_database_url_is_one_line(tmp_path: Path, url: str) -> None:
    """A DATABASE_URL this bot cannot use: exit 2, one line naming it, password hidden."""
    result = _run("chat", "-c", "help", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line_error(result)
    assert line.startswith("configuration error: DATABASE_URL ")
    assert "hunter2" not in result.stderr + result.stdout


@pytest.mark.parametrize("inherited", ["default", "ignored"])
def test_ctrl_c_at_the_console_prompt_exits_at_once_without_a_traceback(
    tmp_path: Path, inherited: str
) -> None:
    """Interactive chat (stdin a terminal), Ctrl-C at the prompt: gone within seconds,
    exit 130, no traceback; also when started with SIGINT ignored, as a background job of
    a script inherits it (a fresh-clone CI run started that way hung here)."""
    controller, terminal = pty.openpty()
    env = {**_clean_env(), "PYTHONFAULTHANDLER": "1"}  # SIGABRT dumps every thread's stack
    command = [EXE, "chat"]
    if inherited == "ignored":
        command = ["/bin/sh", "-c", f"trap '' INT; exec '{EXE}' chat"]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdin=terminal, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(terminal)
    try:
        _wait_for_prompt(process)
        process.send_signal(signal.SIGINT)
        began = time.monotonic()
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            _, stacks = process.communicate(timeout=10)
            pytest.fail(f"Ctrl-C did not end the chat within 30 s; where it was:\n{stacks}")
        took = time.monotonic() - began
    finally:
        if process.poll() is None:  # reaped here, not by a later test's garbage collection
            process.kill()
            process.communicate()
        os.close(controller)
    assert process.returncode == 130, err
    assert took < 5, f"Ctrl-C took {took:.1f}s"
    assert "Traceback" not in out + err
    assert "KeyboardInterrupt" not in out + err


def _wait_for_prompt(process: subprocess.Popen[str]) -> None:
    """Read the console's stdout (raw, so nothing is left in a buffer) up to its prompt."""
    assert process.stdout is not None
    fd, seen = process.stdout.fileno(), ""
    deadline = time.monotonic() + 60
    while "you> " not in seen:
        assert time.monotonic() < deadline, f"no prompt; saw {seen!r}"
        if select.select([fd], [], [], 0.5)[0]:
            data = os.read(fd, 4096)
            assert data, f"stdout closed; saw {seen!r}"
            seen += data.decode(errors="replace")


def test_console_logs_go_to_stderr_at_warning_only(tmp_path: Path) -> None:
    """With ``log_level: DEBUG`` in the file, a console session still logs only warnings and
    errors, and only to stderr: the replies on stdout hold nothing but replies."""
    config = tmp_path / "config.yaml"
    config.write_text("log_level: DEBUG\n")
    env = {"SMARTCLOUDOPS_CONFIG": str(config), "PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"}
    result = _run("chat", stdin="subscribe critical\ncpu of web-1\n", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Refused" in result.stdout
    assert "prometheus" in result.stdout.lower()
    logged = result.stderr.splitlines()
    assert logged, "the unreachable Prometheus is worth a warning"
    assert all(re.search(r" (WARNING|ERROR|CRITICAL) ", line) for line in logged), logged
    assert not re.search(r" (DEBUG|INFO|WARNING|ERROR) ", result.stdout)
