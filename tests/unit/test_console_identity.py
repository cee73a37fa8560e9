"""Who the console user is: the operating-system account running it, which ``$USER`` and
``$LOGNAME`` cannot change (an approval as somebody else must be impossible)."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import yaml

from tests.unit.test_cli import _run

ME = pwd.getpwuid(os.getuid()).pw_name


def write_policy(tmp_path: Path, marker: Path) -> Path:
    """``flush-cache payments``: requested by this account, approved by bob; running it
    creates ``marker``."""
    policy = {
        "roles": {"operators": {"users": [f"console:{ME}"]},
                  "approvers": {"users": [f"console:{ME}", "console:bob"]}},
        "executors": {"runbooks": {"type": "command"}},
        "actions": {"flush-cache": {
            "executor": "runbooks", "command": ["/usr/bin/touch", f"{marker}-{{target}}"],
            "targets": {"names": ["payments"]}, "role": "operators",
            "approver_role": "approvers", "approvals": 1, "allow_dm": True}},
    }  # fmt: skip
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"policy": policy}), encoding="utf-8")
    return config


def test_user_and_logname_cannot_make_the_requester_someone_else(tmp_path: Path) -> None:
    """One account requests, then sets USER=bob and LOGNAME=bob to approve: the approval is
    still its own, so it is refused and nothing runs."""
    marker = tmp_path / "ran"
    env = {"SMARTCLOUDOPS_CONFIG": str(write_policy(tmp_path, marker)),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"}  # fmt: skip
    asked = _run("chat", "-c", "flush-cache payments", env=env, cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert "#1" in asked.stdout
    spoofed = env | {"USER": "bob", "LOGNAME": "bob", "LNAME": "bob", "USERNAME": "bob"}
    approved = _run("chat", "-c", "approve 1", env=spoofed, cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert "you requested #1, so your approval does not count" in approved.stdout
    assert not Path(f"{marker}-payments").exists()
