"""The Kubernetes executor: Deployments through the official client (``kubernetes.aio``).

What each operation sends, as ``kubectl`` does it:

* restart  - strategic-merge PATCH of the Deployment setting the pod template annotation
  ``kubectl.kubernetes.io/restartedAt`` to now (a rolling restart);
* scale    - merge PATCH of the Deployment's ``scale`` subresource (``spec.replicas``);
* rollback - JSON PATCH replacing the Deployment's pod template with the template of the
  previous revision's ReplicaSet (minus its ``pod-template-hash`` label).

The dry run only reads (GET the Deployment, its scale, its ReplicaSets). API errors become a
failed result (403, 404, 409 ...) or, when the API server cannot be reached, a
:class:`~bot.core.errors.DependencyError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import aiohttp
from kubernetes.aio import config as kube_config
from kubernetes.aio.client import ApiClient, AppsV1Api, Configuration
from kubernetes.aio.client.exceptions import ApiException

from bot.core.errors import DependencyError, InvalidInput, NotFoundError
from bot.features.remediation.model import ExecutionResult, Operation, Plan, utc_now
from bot.features.remediation.policy import KubernetesExecutor as KubernetesExecutorConfig

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REVISION = "deployment.kubernetes.io/revision"
POD_TEMPLATE_HASH = "pod-template-hash"
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


@contextlib.asynccontextmanager
async def open_api_client(config: KubernetesExecutorConfig) -> AsyncIterator[ApiClient]:
    """An API client from the executor's config: in-cluster service account, or a kubeconfig
    (``kubeconfig``/``context``, else the default ``~/.kube/config``)."""
    configuration = Configuration()
    if config.in_cluster:
        kube_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    else:
        await kube_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=config.kubeconfig,
            context=config.context,
            client_configuration=configuration,
            persist_config=False,
        )
    async with ApiClient(configuration) as client:
        yield client


class KubernetesExecutor:
    """Implements :class:`bot.features.remediation.ports.ActionExecutor` for Deployments."""

    def __init__(
        self,
        client: ApiClient,
        namespace: str,
        *,
        timeout_seconds: float = 15.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._client = client
        self._apps = AppsV1Api(client)
        self._namespace = namespace
        self._timeout = timeout_seconds
        self._clock = clock

    async def plan(self, operation: Operation) -> Plan:
        name = operation.target
        where = f"deployment {self._namespace}/{name}"
        async with self._translated(name, planning=True):
            if operation.kind == "restart":
                deployment = await self._read(name)
                replicas = deployment.spec.replicas
                return Plan(
                    summary=f"would restart {where} ({replicas} pod(s), rolling)",
                    steps=(f"PATCH {self._path(name)}",
                           f"  spec.template.metadata.annotations.{RESTARTED_AT}=<now>"),
                    current_replicas=replicas,
                )  # fmt: skip
            if operation.kind == "scale":
                current = await self._current_scale(name)
                return Plan(
                    summary=f"would scale {where} from {current} to {operation.replicas} replicas",
                    steps=(f"PATCH {self._path(name)}/scale",
                           f"  spec.replicas={operation.replicas}"),
                    current_replicas=current,
                )  # fmt: skip
            if operation.kind == "rollback":
                deployment = await self._read(name)
                current, previous = await self._revisions(deployment)
                return Plan(
                    summary=f"would roll {where} back from revision {current} to revision "
                    f"{previous[0]} ({_images(previous[1])})",
                    steps=(f"PATCH {self._path(name)}", "  spec.template=<previous template>"),
                    current_replicas=deployment.spec.replicas,
                )
        raise InvalidInput(f"the kubernetes executor cannot {operation.kind}")

    async def execute(self, operation: Operation) -> ExecutionResult:
        name = operation.target
        where = f"deployment {self._namespace}/{name}"
        try:
            async with self._translated(name, planning=False):
                return await self._execute(operation, where)
        except _Failed as failure:
            return ExecutionResult(False, failure.summary, failure.detail)

    async def _execute(self, operation: Operation, where: str) -> ExecutionResult:
        name = operation.target
        if operation.kind == "restart":
            stamp = self._clock().isoformat(timespec="seconds")
            body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
            await self._patch(name, body, STRATEGIC_MERGE)
            return ExecutionResult(True, f"restarted {where} (restartedAt {stamp})")
        if operation.kind == "scale":
            await self._apps.patch_namespaced_deployment_scale(
                name, self._namespace, {"spec": {"replicas": operation.replicas}},
                _content_type=MERGE, _request_timeout=self._timeout,
            )  # fmt: skip
            return ExecutionResult(True, f"scaled {where} to {operation.replicas} replicas")
        if operation.kind == "rollback":
            deployment = await self._read(name)
            current, (revision, template) = await self._revisions(deployment)
            patch = [{"op": "replace", "path": "/spec/template", "value": template}]
            await self._patch(name, patch, JSON_PATCH)
            return ExecutionResult(
                True, f"rolled {where} back from revision {current} to revision {revision}"
            )
        return ExecutionResult(False, f"the kubernetes executor cannot {operation.kind}")

    # ------------------------------------------------------------------ API calls

    async def _read(self, name: str) -> Any:
        return await self._apps.read_namespaced_deployment(
            name, self._namespace, _request_timeout=self._timeout
        )

    async def _current_scale(self, name: str) -> int:
        scale = await self._apps.read_namespaced_deployment_scale(
            name, self._namespace, _request_timeout=self._timeout
        )
        return int(scale.spec.replicas or 0) if scale.spec is not None else 0

    async def _patch(
        self, name: str, body: dict[str, Any] | list[dict[str, Any]], content_type: str
    ) -> None:
        await self._apps.patch_namespaced_deployment(
            name, self._namespace, body, _content_type=content_type,
            _request_timeout=self._timeout,
        )  # fmt: skip

    async def _revisions(self, deployment: Any) -> tuple[int, tuple[int, dict[str, Any]]]:
        """The current revision and (revision, pod template) of the one before it."""
        current = int((deployment.metadata.annotations or {}).get(REVISION, "0"))
        selector = ",".join(f"{k}={v}" for k, v in deployment.spec.selector.match_labels.items())
        sets = await self._apps.list_namespaced_replica_set(
            self._namespace, label_selector=selector, _request_timeout=self._timeout
        )
        owned = [rs for rs in sets.items if _owned_by(rs, deployment.metadata.uid)]
        older = [(_revision(rs), rs) for rs in owned if 0 < _revision(rs) < current]
        if not older:
            raise _NoPrevious(f"{deployment.metadata.name} has no earlier revision to roll back to")
        revision, replica_set = max(older, key=lambda pair: pair[0])
        template: dict[str, Any] = self._client.sanitize_for_serialization(  # type: ignore[no-untyped-call]
            replica_set.spec.template
        )
        template.get("metadata", {}).get("labels", {}).pop(POD_TEMPLATE_HASH, None)
        return current, (revision, template)

    def _path(self, name: str) -> str:
        return f"/apis/apps/v1/namespaces/{self._namespace}/deployments/{name}"

    @contextlib.asynccontextmanager
    async def _translated(self, name: str, *, planning: bool) -> AsyncIterator[None]:
        """Client errors in this project's terms: user errors while planning (so the request
        is refused with the reason), failed results while executing."""
        try:
            yield
        except _NoPrevious as exc:
            if planning:
                raise InvalidInput(f"Refused: {exc}.") from None
            raise _Failed(f"nothing to roll back: {exc}") from None
        except ApiException as exc:
            if planning and exc.status == 404:
                raise NotFoundError(
                    f"There is no deployment {name!r} in namespace {self._namespace!r}."
                ) from None
            if planning:
                raise DependencyError("kubernetes", _api_failure(exc)) from exc
            raise _Failed(_api_failure(exc), _reason(exc)) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DependencyError("kubernetes", "the Kubernetes API server did not answer") from exc


class _NoPrevious(Exception):
    pass


class _Failed(Exception):
    def __init__(self, summary: str, detail: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail


def _owned_by(replica_set: Any, uid: str | None) -> bool:
    owners = replica_set.metadata.owner_references or []
    return any(owner.uid == uid for owner in owners)


def _revision(replica_set: Any) -> int:
    raw = (replica_set.metadata.annotations or {}).get(REVISION, "0")
    return int(raw) if str(raw).isdigit() else 0


def _images(template: dict[str, Any]) -> str:
    containers = template.get("spec", {}).get("containers", [])
    return ", ".join(str(c.get("image", "?")) for c in containers) or "no containers"


def _api_failure(exc: ApiException) -> str:
    return f"the Kubernetes API refused it (HTTP {exc.status} {exc.reason or ''})".strip()


def _reason(exc: ApiException) -> str:
    body = exc.body if isinstance(exc.body, str) else ""
    return body[:1000]
