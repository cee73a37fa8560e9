"""The log as an operator gets it from the real command (a subprocess each time): ``serve``
writes JSON lines with an access line per request; ``chat`` writes text unless the config
file says ``log_format: json``; the ref a reply shows is the id on that turn's log lines."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from tests.harness.require import free_port
from tests.unit.test_cli import EXE, _announced_port, _clean_env, _run

SECRET = "hunter2-query-secret"


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` as a JSON object (a line that is not one fails the test)."""
    return [json.loads(line) for line in text.splitlines()]


def test_serve_logs_json_lines_and_one_access_line_per_request(tmp_path: Path) -> None:
    """By default ``serve`` logs JSON; a request is one access line with method, path,
    status, latency and its own id, never its query string or Authorization header."""
    process = subprocess.Popen(
        [EXE, "serve", "--port", "0"], cwd=tmp_path, text=True, env=_clean_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        port = _announced_port(process)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz?token={SECRET}",
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - http above
            assert answer.status == 200
    finally:
        process.terminate()
        _, rest = process.communicate(timeout=60)
    assert process.returncode == 0
    assert SECRET not in rest
    entries = json_lines(rest)
    (access,) = [e for e in entries if e["logger"] == "smartcloudops.access"]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/healthz", 200)
    assert access["latency_ms"] >= 0
    assert re.fullmatch(r"[0-9a-f]{12}", access["correlation_id"])


def test_chat_logs_json_when_configured_and_the_ref_is_the_turns_id(tmp_path: Path) -> None:
    """``log_format: json``: each stderr line is a JSON object; each failed turn's reply
    quotes as ``ref`` the id on that turn's log line, and turns have different ids."""
    config = tmp_path / "config.yaml"
    config.write_text("log_format: json\n")
    env = {"SMARTCLOUDOPS_CONFIG": str(config), "PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"}
    result = _run("chat", stdin="cpu of web-1\nmemory of web-2\n", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    refs = re.findall(r"\(ref ([0-9a-f]{12})\)", result.stdout)
    logged = [e["correlation_id"] for e in json_lines(result.stderr) if e["level"] == "WARNING"]
    assert len(refs) == 2
    assert len(set(refs)) == 2
    assert logged == refs
