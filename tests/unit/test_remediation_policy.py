"""The remediation policy: validation names the bad key, roles deny what they do not grant."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.errors import ConfigError
from bot.features.remediation.model import Actor
from bot.features.remediation.policy import load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "policy.example.yaml"

BASE: dict[str, Any] = {
    "roles": {
        "operators": {"users": ["slack:U1"], "channels": ["slack:C_OPS"]},
        "approvers": {"users": ["slack:U2"]},
    },
    "executors": {
        "k8s": {"type": "kubernetes", "namespace": "prod"},
        "hook": {"type": "webhook", "url": "https://hooks.example/run", "secret_env": "HOOK"},
        "local": {"type": "command"},
    },
    "actions": {
        "restart": {
            "executor": "k8s",
            "targets": {"names": ["payments"], "patterns": ["web-*"]},
            "role": "operators",
            "approver_role": "approvers",
        },
        "scale": {
            "executor": "k8s",
            "targets": {"names": ["payments"]},
            "role": "operators",
            "replicas": {"min": 1, "max": 20},
        },
        "flush-cache": {
            "executor": "local",
            "command": ["/usr/bin/flush", "--service={target}"],
            "targets": {"names": ["payments"]},
            "role": "operators",
        },
    },
}


def _with(path: str, value: object) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = raw
    for part in parents:
        node = node[part]
    node[last] = value
    return raw


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_policy(raw)
    return str(caught.value)


def test_the_shipped_example_policy_is_valid() -> None:
    """deploy/policy.example.yaml loads as it is."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["policy"]
    policy = load_policy(raw)
    assert {"restart", "scale", "rollback", "flush-cache"} <= set(policy.actions)
    assert policy.operation_of("flush-cache") == "run"
    assert policy.operation_of("scale") == "scale"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("actions.restart.cooldown", 10, "policy.actions.restart.cooldown:"),
        ("actions.restart.approvals", 3, "policy.actions.restart.approvals:"),
        ("actions.scale.replicas", {"min": 5, "max": 2}, "policy.actions.scale.replicas:"),
        ("actions.scale.replicas", {"max": "lots"}, "policy.actions.scale.replicas.max:"),
        ("actions.restart.executor", "k9s", "policy.actions.restart.executor: unknown executor"),
        ("actions.restart.role", "admins", "policy.actions.restart.role: unknown role"),
        ("roles.operators.users", ["U1"], "policy.roles.operators.users[0]:"),
        (
            "actions.restart.targets",
            {"names": ["pay;ments"]},
            "policy.actions.restart.targets.names[0]",
        ),
        ("actions.restart.targets", {}, "policy.actions.restart.targets: give at least one"),
        ("executors.hook.url", "ftp://x", "policy.executors.hook.url"),
        ("executors.k8s.namespce", "x", "policy.executors.k8s.namespce:"),
        ("executors.local.type", "shell", "policy.executors.local"),
    ],
)
def test_validation_names_the_bad_key(path: str, value: object, expected: str) -> None:
    """Every mistake is reported with the dotted key that holds it."""
    assert expected in _error(_with(path, value))


def test_scale_without_bounds_is_refused_at_start_up() -> None:
    """A scale action must say how far it may scale."""
    raw = _with("actions.scale.replicas", None)
    assert "policy.actions.scale.replicas: a scale action needs replica bounds" in _error(raw)


def test_runbook_placeholders_are_checked() -> None:
    """Only {target}, {replicas} and {action} may appear in a runbook argv."""
    raw = _with("actions.flush-cache.command", ["/bin/x", "{target}", "{secret}"])
    assert "policy.actions.flush-cache.command[2]: unknown placeholder 'secret'" in _error(raw)


def test_kubernetes_executor_runs_no_runbooks() -> None:
    """A custom action cannot be sent to the Kubernetes executor."""
    raw = _with("actions.flush-cache.executor", "k8s")
    raw["actions"]["flush-cache"].pop("command")
    assert "policy.actions.flush-cache.operation: the kubernetes executor" in _error(raw)


def test_roles_grant_by_user_or_channel_and_deny_everything_else() -> None:
    """Roles come from the immutable principal or a granted channel, never the name."""
    policy = load_policy(BASE)
    assert policy.roles_of(Actor("slack:U1", "anyone", "slack:C_X", "slack:T1")) == {"operators"}
    assert policy.roles_of(Actor("slack:U9", "U1", "slack:C_OPS", "slack:T1")) == {"operators"}
    assert policy.roles_of(Actor("slack:U2", "bob", "slack:C_X", "slack:T1")) == {"approvers"}
    on_discord = Actor("discord:U1", "slack:U1", "discord:C_OPS", "discord:G1")
    assert policy.roles_of(on_discord) == frozenset()


def test_targets_match_names_and_patterns_only() -> None:
    """Patterns are shell-style globs over plain names."""
    targets = load_policy(BASE).actions["restart"].targets
    assert targets.allows("payments")
    assert targets.allows("web-12")
    assert not targets.allows("db-primary")
    assert not targets.allows("payments-canary")


def test_an_empty_policy_allows_nothing() -> None:
    """No policy section means no actions, roles or executors."""
    policy = load_policy({})
    assert policy.actions == {}
    root = Actor("console:root", "root", "console:console", "console:local")
    assert policy.roles_of(root) == frozenset()


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        ({"silence": ["oncall"]}, "policy.alerts.silence[0]: unknown role 'oncall' (operators"),
        ({"acknowledge": ["operators", "viewers"]}, "policy.alerts.acknowledge[1]: unknown role"),
        ({"silences": ["operators"]}, "policy.alerts.silences: Extra inputs are not permitted"),
        ({"allow_dm": "sometimes"}, "policy.alerts.allow_dm:"),
    ],
)
def test_alert_grants_are_validated_naming_the_key(alerts: object, expected: str) -> None:
    """A typo in `alerts:` fails the start-up, naming the key, instead of granting nothing."""
    assert expected in _error(_with("alerts", alerts))


def test_alert_grants_name_roles_and_default_to_nobody() -> None:
    """One role may be written without a list; a permission left out is granted to nobody."""
    policy = load_policy(_with("alerts", {"silence": "operators", "subscribe": ["approvers"]}))
    assert policy.alerts.roles_for("silence") == ("operators",)
    assert policy.alerts.roles_for("subscribe") == ("approvers",)
    assert policy.alerts.roles_for("acknowledge") == ()
    assert not policy.alerts.allow_dm
    assert load_policy({}).alerts.roles_for("silence") == ()
