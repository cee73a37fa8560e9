"""The executors: Kubernetes against a fake API server, the signed webhook against a local
receiver, and local runbooks run as real processes."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from kubernetes.aio.client import ApiClient, Configuration

from adapters.executors import open_executors
from adapters.executors.command import CommandExecutor, render_argv
from adapters.executors.kubernetes import KubernetesExecutor
from adapters.executors.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookExecutor,
    sign,
    verify_signature,
)
from bot.core.errors import ConfigError, DependencyError, InvalidInput, NotFoundError
from bot.features.remediation.model import Operation
from bot.features.remediation.policy import load_policy
from tests.fakes.k8s_api import FakeKubernetesApi

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DEPLOYMENTS = "/apis/apps/v1/namespaces/prod/deployments"


@pytest.fixture
async def k8s() -> AsyncIterator[tuple[FakeKubernetesApi, KubernetesExecutor]]:
    async with FakeKubernetesApi() as api:
        api.add_deployment("payments", namespace="prod", replicas=4,
                           images=("pay:1.0", "pay:1.1", "pay:1.2"))  # fmt: skip
        async with ApiClient(Configuration(host=api.url)) as client:
            yield api, KubernetesExecutor(client, "prod", clock=lambda: NOW)


def op(kind: str, target: str = "payments", replicas: int | None = None, **kw: Any) -> Operation:
    return Operation(action=kind, kind=kind, target=target, replicas=replicas, **kw)


# --------------------------------------------------------------------------- kubernetes


async def test_kubernetes_dry_runs_only_read(
    k8s: tuple[FakeKubernetesApi, KubernetesExecutor],
) -> None:
    """Planning restart, scale and rollback sends GETs only, and reports current state."""
    api, executor = k8s
    restart = await executor.plan(op("restart"))
    scale = await executor.plan(op("scale", replicas=6))
    rollback = await executor.plan(op("rollback"))
    assert restart.current_replicas == 4
    assert scale.summary == "would scale deployment prod/payments from 4 to 6 replicas"
    assert rollback.summary.endswith("back from revision 3 to revision 2 (pay:1.1)")
    assert api.mutating_calls == []
    assert {c.method for c in api.calls} == {"GET"}


async def test_kubernetes_restart_patches_the_restarted_at_annotation(
    k8s: tuple[FakeKubernetesApi, KubernetesExecutor],
) -> None:
    """A rollout restart is a strategic-merge patch of the pod template annotation."""
    api, executor = k8s
    result = await executor.execute(op("restart"))
    assert result.ok
    (call,) = api.mutating_calls
    assert (call.method, call.path) == ("PATCH", f"{DEPLOYMENTS}/payments")
    assert call.content_type == "application/strategic-merge-patch+json"
    stamp = "2026-03-02T09:30:00+00:00"
    assert call.body == {
        "spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": stamp}}}}
    }  # fmt: skip
    template = api.deployments[("prod", "payments")]["spec"]["template"]
    assert template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == stamp


async def test_kubernetes_scale_patches_the_scale_subresource(
    k8s: tuple[FakeKubernetesApi, KubernetesExecutor],
) -> None:
    """Scaling is a merge patch of deployments/NAME/scale."""
    api, executor = k8s
    assert (await executor.execute(op("scale", replicas=6))).ok
    (call,) = api.mutating_calls
    assert (call.path, call.content_type) == (
        f"{DEPLOYMENTS}/payments/scale", "application/merge-patch+json",
    )  # fmt: skip
    assert call.body == {"spec": {"replicas": 6}}
    assert api.deployments[("prod", "payments")]["spec"]["replicas"] == 6


async def test_kubernetes_undo_restores_the_previous_revision_template(
    k8s: tuple[FakeKubernetesApi, KubernetesExecutor],
) -> None:
    """Rollout undo replaces the template with revision n-1's, without its hash label."""
    api, executor = k8s
    result = await executor.execute(op("rollback"))
    assert result.summary == "rolled deployment prod/payments back from revision 3 to revision 2"
    (call,) = api.mutating_calls
    assert (call.path, call.content_type) == (
        f"{DEPLOYMENTS}/payments",
        "application/json-patch+json",
    )
    assert call.body == [{
        "op": "replace", "path": "/spec/template",
        "value": {"metadata": {"labels": {"app": "payments"}},
                  "spec": {"containers": [{"name": "payments", "image": "pay:1.1"}]}},
    }]  # fmt: skip
    listing = [c for c in api.calls if c.path.endswith("/replicasets")]
    assert listing[0].query == {"labelSelector": "app=payments"}


async def test_kubernetes_refuses_unknown_deployments_and_missing_history(
    k8s: tuple[FakeKubernetesApi, KubernetesExecutor],
) -> None:
    """A missing deployment or a first revision is a refusal at dry-run time."""
    api, executor = k8s
    with pytest.raises(NotFoundError, match="no deployment 'search' in namespace 'prod'"):
        await executor.plan(op("restart", target="search"))
    api.add_deployment("search", namespace="prod", images=("search:1",))
    with pytest.raises(InvalidInput, match="no earlier revision"):
        await executor.plan(op("rollback", target="search"))


async def test_kubernetes_api_refusal_is_a_failed_result(
    k8s: tuple[FakeKubernetesApi, KubernetesExecutor],
) -> None:
    """A 403 while executing becomes a failed result, not a crash."""
    api, executor = k8s
    api.fail_with = 403
    result = await executor.execute(op("restart"))
    assert not result.ok
    assert "HTTP 403" in result.summary


async def test_kubernetes_unreachable_is_a_dependency_error() -> None:
    """No API server: the dry run fails as a dependency, naming Kubernetes."""
    from tests.harness.require import free_port

    async with ApiClient(Configuration(host=f"http://127.0.0.1:{free_port()}")) as client:
        executor = KubernetesExecutor(client, "prod", timeout_seconds=2)
        with pytest.raises(DependencyError) as caught:
            await executor.plan(op("restart"))
    assert caught.value.dependency == "kubernetes"


# --------------------------------------------------------------------------- webhook


class Receiver:
    """A runbook service that verifies signatures like a real receiver would."""

    def __init__(self, secret: bytes, status: int = 202) -> None:
        self.secret = secret
        self.status = status
        self.received: list[tuple[dict[str, str], bytes, bool]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        valid = verify_signature(
            self.secret, request.headers.get(TIMESTAMP_HEADER, ""), body,
            request.headers.get(SIGNATURE_HEADER, ""),
        )  # fmt: skip
        self.received.append((dict(request.headers), body, valid))
        return web.Response(status=self.status if valid else 401, text="job 42 queued " * 50)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    handler = Receiver(b"s3cret")
    app = web.Application()
    app.router.add_post("/hooks/run", handler.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield handler, f"http://{host}:{port}/hooks/run"
    await runner.cleanup()


async def test_webhook_signature_verifies_at_the_receiver(receiver: tuple[Receiver, str]) -> None:
    """The POST carries a verifiable HMAC-SHA256 signature, a timestamp and the idempotency key."""
    handler, url = receiver
    async with aiohttp.ClientSession() as session:
        executor = WebhookExecutor(url, b"s3cret", session=session, max_output_bytes=100)
        result = await executor.execute(op("flush-cache", request_id=12))
    assert result.ok
    assert result.summary == "the runbook service accepted it (HTTP 202)"
    assert result.output.endswith("... (response truncated)")
    ((headers, body, valid),) = handler.received
    assert valid
    assert headers[IDEMPOTENCY_HEADER] == "remediation-request-12"
    assert json.loads(body) == {
        "action": "flush-cache", "operation": "flush-cache", "target": "payments",
        "request_id": 12, "idempotency_key": "remediation-request-12",
    }  # fmt: skip


def test_webhook_signature_rejects_tampering_and_replays() -> None:
    """A changed body, a wrong secret or an old timestamp does not verify."""
    body, ts = b'{"target": "payments"}', 1_772_000_000
    signature = sign(b"k", ts, body)
    assert verify_signature(b"k", str(ts), body, signature, now=ts + 10)
    assert not verify_signature(b"k", str(ts), body.replace(b"pay", b"PAY"), signature, now=ts)
    assert not verify_signature(b"other", str(ts), body, signature, now=ts)
    assert not verify_signature(b"k", str(ts), body, signature, now=ts + 301)
    assert not verify_signature(b"k", "soon", body, signature, now=ts)


async def test_webhook_refusal_and_outage(receiver: tuple[Receiver, str]) -> None:
    """A non-2xx answer is a failed result; an unreachable service a dependency error."""
    handler, url = receiver
    handler.status = 500
    async with aiohttp.ClientSession() as session:
        executor = WebhookExecutor(url, b"s3cret", session=session)
        failed = await executor.execute(op("flush-cache"))
        assert not failed.ok
        assert "HTTP 500" in failed.summary
        from tests.harness.require import free_port

        gone = WebhookExecutor(f"http://127.0.0.1:{free_port()}/x", b"k", session=session)
        with pytest.raises(DependencyError):
            await gone.execute(op("flush-cache"))


async def test_webhook_dry_run_sends_nothing(receiver: tuple[Receiver, str]) -> None:
    """The webhook's dry run only describes the body it would send."""
    handler, url = receiver
    async with aiohttp.ClientSession() as session:
        plan = await WebhookExecutor(url, b"s3cret", session=session).plan(op("flush-cache"))
    assert "would POST a signed flush-cache request to http://127.0.0.1" in plan.summary
    assert handler.received == []


# --------------------------------------------------------------------------- local runbooks

HOSTILE = ("payments; rm -rf /", "$(id)", "`id`", "a\nb", "--kubeconfig=/tmp/x", "* ?", "'\"")


def _echo_argv_script(tmp_path: Path) -> tuple[str, ...]:
    script = tmp_path / "echo_argv.py"
    script.write_text("import json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    return (sys.executable, str(script), "--service", "{target}", "--name={target}")


@pytest.mark.parametrize("value", HOSTILE)
async def test_runbook_parameters_stay_single_arguments(tmp_path: Path, value: str) -> None:
    """Hostile parameter values reach the runbook verbatim, each as exactly one argument."""
    command = _echo_argv_script(tmp_path)
    operation = op("flush-cache", target=value, command=command)
    result = await CommandExecutor(timeout_seconds=10).execute(operation)
    assert result.ok, result.output
    assert json.loads(result.output) == ["--service", value, f"--name={value}"]
    assert render_argv(command, operation)[2:] == ["--service", value, f"--name={value}"]


async def test_runbook_times_out_and_is_killed(tmp_path: Path) -> None:
    """A runbook past its timeout is killed with its children and reported as timed out."""
    marker = tmp_path / "survived"
    code = (
        "import subprocess, time; subprocess.Popen(['sleep', '30']); time.sleep(30); "
        f"open({str(marker)!r}, 'w')"
    )
    started = time.monotonic()
    result = await CommandExecutor(timeout_seconds=0.5).execute(
        op("slow", command=(sys.executable, "-c", code))
    )
    assert time.monotonic() - started < 5
    assert not result.ok
    assert "timed out after 0.5 s" in result.summary
    assert not marker.exists()


async def test_runbook_output_is_truncated(tmp_path: Path) -> None:
    """Captured output is cut at max_output_bytes, and says so."""
    code = "import sys; sys.stdout.write('x' * 100000)"
    result = await CommandExecutor(max_output_bytes=1000).execute(
        op("noisy", command=(sys.executable, "-c", code))
    )
    assert result.ok
    assert result.output.startswith("x" * 1000)
    assert result.output.endswith("(output truncated to 1000 bytes)")
    assert result.output.count("x") == 1000


async def test_runbook_gets_no_bot_secrets_and_reports_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The child sees only PATH/HOME/LANG plus the policy's env; exit codes are reported."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    code = "import os, sys; print(sorted(os.environ)); sys.exit(3)"
    result = await CommandExecutor(env={"RUNBOOK_MODE": "safe"}).execute(
        op("env", command=(sys.executable, "-c", code))
    )
    assert not result.ok
    assert result.summary.endswith("exited with status 3")
    assert "SLACK_BOT_TOKEN" not in result.output
    assert "RUNBOOK_MODE" in result.output
    missing = await CommandExecutor().execute(op("x", command=("/nonexistent/runbook",)))
    assert not missing.ok
    assert "could not start /nonexistent/runbook" in missing.summary


async def test_runbook_dry_run_shows_the_argv_without_running(tmp_path: Path) -> None:
    """The dry run quotes the exact argv and starts nothing."""
    marker = tmp_path / "ran"
    command = ("/usr/bin/touch", str(marker), "{target}")
    plan = await CommandExecutor().plan(op("touch", target="a;b", command=command))
    assert plan.steps == (f"$ /usr/bin/touch {marker} 'a;b'",)
    assert not marker.exists()


# --------------------------------------------------------------------------- factory


async def test_executors_are_built_from_the_policy() -> None:
    """open_executors builds one executor per policy entry; a missing secret names its key."""
    raw = {
        "executors": {
            "hook": {"type": "webhook", "url": "https://h.example/x", "secret_env": "HOOK_KEY"},
            "local": {"type": "command", "timeout_seconds": 5},
        }
    }
    policy = load_policy(raw)
    async with open_executors(policy, {"HOOK_KEY": "k"}) as executors:
        assert isinstance(executors["hook"], WebhookExecutor)
        assert isinstance(executors["local"], CommandExecutor)
    with pytest.raises(ConfigError, match=r"policy\.executors\.hook\.secret_env: .*HOOK_KEY"):
        async with open_executors(policy, {}):
            pass
    assert os.environ.get("HOOK_KEY") is None


async def test_kubernetes_executor_is_built_from_a_kubeconfig(tmp_path: Path) -> None:
    """A kubernetes executor entry loads its kubeconfig and talks to that cluster."""
    async with FakeKubernetesApi() as api:
        api.add_deployment("payments", namespace="shop")
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": api.url}}],
            "users": [{"name": "bot", "user": {"token": "t0ken"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "bot"}}],
        }))  # fmt: skip
        entry = {"type": "kubernetes", "namespace": "shop", "kubeconfig": str(kubeconfig)}
        policy = load_policy({"executors": {"k8s": entry}})
        async with open_executors(policy, {}) as executors:
            plan = await executors["k8s"].plan(op("restart"))
    assert "deployment shop/payments" in plan.summary
    assert api.calls[0].path == "/apis/apps/v1/namespaces/shop/deployments/payments"
    broken = load_policy({"executors": {"k8s": {
        "type": "kubernetes", "kubeconfig": str(tmp_path / "missing")}}})  # fmt: skip
    with pytest.raises(ConfigError, match=r"policy\.executors\.k8s: cannot load Kubernetes"):
        async with open_executors(broken, {}):
            pass
