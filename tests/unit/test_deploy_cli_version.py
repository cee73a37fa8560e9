"""`smartcloudops --version`: what a deployer checks on a host or in an image (`docker compose
run --rm bot smartcloudops --version`), run as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).with_name("smartcloudops"))


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, timeout=60, env=env, cwd=REPO, check=False
    )


def test_version_prints_the_installed_package_version_and_exits_0(tmp_path: Path) -> None:
    """One line, `smartcloudops X.Y.Z`, on stdout; nothing on stderr; status 0."""
    result = run_cli("--version", env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"smartcloudops {version('smartcloudops')}\n"


def test_version_is_the_one_pyproject_declares() -> None:
    """The installed metadata is the release in pyproject.toml (a stale editable install, or
    a version kept somewhere else, would print something else)."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert version("smartcloudops") == declared, "reinstall: pip install -e '.[dev]'"


def test_version_needs_no_configuration(tmp_path: Path) -> None:
    """--version answers before any configuration is read: a broken config file, a
    half-configured platform and a bad port do not stop it."""
    broken = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SMARTCLOUDOPS_CONFIG": str(tmp_path / "missing.yaml"),
        "SLACK_SIGNING_SECRET": "half-of-slack",
        "PORT": "not-a-port",
    }
    assert run_cli("serve", env=broken).returncode == 2  # the same environment refuses to serve
    result = run_cli("--version", env=broken)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("smartcloudops ")


def test_version_is_listed_in_help(tmp_path: Path) -> None:
    result = run_cli("--help", env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0
    assert "--version" in result.stdout
