"""Shared set-up for the end-to-end remediation tests: the policy every platform test uses
(``restart`` on ``checkout-api`` for the ``oncall`` role, one approval by someone else), a
kubeconfig pointing the real Kubernetes executor at :class:`FakeKubernetesApi`, and the
settings that make :func:`bot.app.open_services` build the real bot on them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.app.config import FileSettings, Settings
from tests.fakes.k8s_api import FakeKubernetesApi, RecordedCall

NAMESPACE = "shop"
TARGET = "checkout-api"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
DEPLOYMENT_PATH = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{TARGET}"


def write_kubeconfig(api: FakeKubernetesApi, directory: Path) -> Path:
    """A kubeconfig whose current context is the fake API server (token auth)."""
    path = directory / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": api.url}}],
        "users": [{"name": "bot", "user": {"token": "e2e-t0ken"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "bot"}}],
    }))  # fmt: skip
    return path


def restart_policy(oncall: Sequence[str], kubeconfig: Path) -> dict[str, Any]:
    """``restart checkout-api`` for ``oncall`` (``platform:user-id`` principals), one approval
    by another member of the role, carried out by the Kubernetes executor."""
    return {
        "roles": {"oncall": {"users": list(oncall)}},
        "executors": {
            "k8s": {
                "type": "kubernetes",
                "namespace": NAMESPACE,
                "kubeconfig": str(kubeconfig),
                "timeout_seconds": 5,
            },
        },
        "actions": {
            "restart": {
                "executor": "k8s",
                "targets": {"names": [TARGET]},
                "role": "oncall",
                "approvals": 1,
                "ttl_seconds": 900,
            },
        },
    }


def remediation_settings(
    base: Settings, api: FakeKubernetesApi, directory: Path, oncall: Sequence[str]
) -> Settings:
    """``base`` (a platform's credentials) plus the restart policy and a SQLite audit
    database in ``directory``; the fake API server gets the ``checkout-api`` Deployment."""
    api.add_deployment(TARGET, namespace=NAMESPACE, replicas=3)
    policy = restart_policy(oncall, write_kubeconfig(api, directory))
    return dataclasses.replace(
        base,
        database_url=f"sqlite:///{directory / 'audit.db'}",
        file=FileSettings(policy=policy),
    )


def restart_patches(api: FakeKubernetesApi) -> list[RecordedCall]:
    """The PATCHes of the Deployment that set the ``restartedAt`` pod template annotation."""
    return [
        call
        for call in api.mutating_calls
        if call.method == "PATCH"
        and call.path == DEPLOYMENT_PATH
        and RESTARTED_AT in _annotations(call.body)
    ]


def _annotations(body: Any) -> dict[str, Any]:
    try:
        found = body["spec"]["template"]["metadata"]["annotations"]
    except (KeyError, TypeError):
        return {}
    return found if isinstance(found, dict) else {}
