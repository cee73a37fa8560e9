"""A local fake of the Kubernetes API server (the parts the Deployment executor uses), in
aiohttp. It keeps Deployments and their ReplicaSets, applies strategic-merge, merge and JSON
patches the way the API server does for these shapes, and records every call it receives so
tests can check paths, content types and bodies - and that a dry run sent only GETs.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

Json = dict[str, Any]


@dataclass(frozen=True)
class RecordedCall:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: Any


class FakeKubernetesApi:
    """Serve with ``async with FakeKubernetesApi() as api:``; ``api.url`` is the host."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self.deployments: dict[tuple[str, str], Json] = {}
        self.replica_sets: list[Json] = []
        self.fail_with: int | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeKubernetesApi:
        app = web.Application()
        base = "/apis/apps/v1/namespaces/{ns}"
        app.router.add_get(base + "/deployments/{name}", self._get_deployment)
        app.router.add_patch(base + "/deployments/{name}", self._patch_deployment)
        app.router.add_get(base + "/deployments/{name}/scale", self._get_scale)
        app.router.add_patch(base + "/deployments/{name}/scale", self._patch_scale)
        app.router.add_get(base + "/replicasets", self._list_replica_sets)
        app.middlewares.append(self._record)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ state

    def add_deployment(
        self, name: str, *, namespace: str = "default", replicas: int = 2,
        images: tuple[str, ...] = ("registry.example/app:1",),
    ) -> Json:  # fmt: skip
        """A Deployment whose revisions 1..n ran ``images`` in order (the last is current)."""
        uid = str(uuid.uuid4())
        labels = {"app": name}
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": name, "namespace": namespace, "uid": uid, "generation": 1,
                "annotations": {"deployment.kubernetes.io/revision": str(len(images))},
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": _template(name, images[-1]),
            },
            "status": {"replicas": replicas, "readyReplicas": replicas},
        }  # fmt: skip
        self.deployments[(namespace, name)] = deployment
        for revision, image in enumerate(images, start=1):
            template = _template(name, image)
            template["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
            self.replica_sets.append({
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{name}-h{revision}", "namespace": namespace,
                    "uid": str(uuid.uuid4()), "labels": dict(template["metadata"]["labels"]),
                    "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                         "name": name, "uid": uid, "controller": True}],
                },
                "spec": {"replicas": 0, "selector": {"matchLabels": labels},
                         "template": template},
            })  # fmt: skip
        return deployment

    @property
    def mutating_calls(self) -> list[RecordedCall]:
        return [c for c in self.calls if c.method not in ("GET", "HEAD")]

    # ------------------------------------------------------------------ handlers

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.calls.append(
            RecordedCall(request.method, request.path, dict(request.query),
                         request.content_type, body)
        )  # fmt: skip
        if self.fail_with is not None:
            return _status(self.fail_with, "Forbidden", "injected failure")
        response: web.StreamResponse = await handler(request)
        return response

    async def _get_deployment(self, request: web.Request) -> web.Response:
        deployment = self._find(request)
        return _json(deployment) if deployment else _not_found(request)

    async def _patch_deployment(self, request: web.Request) -> web.Response:
        deployment = self._find(request)
        if deployment is None:
            return _not_found(request)
        patch = await request.json()
        if request.content_type == "application/json-patch+json":
            _apply_json_patch(deployment, patch)
        elif request.content_type in (
            "application/strategic-merge-patch+json", "application/merge-patch+json",
        ):  # fmt: skip
            _merge(deployment, patch)
        else:
            return _status(415, "UnsupportedMediaType", request.content_type)
        deployment["metadata"]["generation"] += 1
        return _json(deployment)

    async def _get_scale(self, request: web.Request) -> web.Response:
        deployment = self._find(request)
        return _json(_scale(deployment)) if deployment else _not_found(request)

    async def _patch_scale(self, request: web.Request) -> web.Response:
        deployment = self._find(request)
        if deployment is None:
            return _not_found(request)
        if request.content_type != "application/merge-patch+json":
            return _status(415, "UnsupportedMediaType", request.content_type)
        patch = await request.json()
        deployment["spec"]["replicas"] = int(patch["spec"]["replicas"])
        return _json(_scale(deployment))

    async def _list_replica_sets(self, request: web.Request) -> web.Response:
        namespace = request.match_info["ns"]
        wanted = dict(
            pair.split("=", 1) for pair in request.query.get("labelSelector", "").split(",") if pair
        )
        items = [
            rs for rs in self.replica_sets
            if rs["metadata"]["namespace"] == namespace
            and all(rs["metadata"]["labels"].get(k) == v for k, v in wanted.items())
        ]  # fmt: skip
        return _json({"apiVersion": "apps/v1", "kind": "ReplicaSetList",
                      "metadata": {"resourceVersion": "1"}, "items": items})  # fmt: skip

    def _find(self, request: web.Request) -> Json | None:
        return self.deployments.get((request.match_info["ns"], request.match_info["name"]))


def _template(name: str, image: str) -> Json:
    return {
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": [{"name": name, "image": image}]},
    }


def _scale(deployment: Json) -> Json:
    meta = deployment["metadata"]
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "spec": {"replicas": deployment["spec"]["replicas"]},
        "status": {"replicas": deployment["status"]["replicas"], "selector": f"app={meta['name']}"},
    }


def _merge(target: Json, patch: Json) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif value is None:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(value)


def _apply_json_patch(target: Json, operations: list[Json]) -> None:
    for operation in operations:
        if operation["op"] != "replace":
            raise ValueError(f"fake supports only replace, got {operation['op']}")
        *parents, last = operation["path"].strip("/").split("/")
        node = target
        for part in parents:
            node = node[part]
        node[last] = copy.deepcopy(operation["value"])


def _json(body: Json) -> web.Response:
    return web.Response(text=json.dumps(body), content_type="application/json")


def _not_found(request: web.Request) -> web.Response:
    return _status(404, "NotFound", f'deployments.apps "{request.match_info["name"]}" not found')


def _status(code: int, reason: str, message: str) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "reason": reason, "message": message, "code": code}  # fmt: skip
    return web.Response(status=code, text=json.dumps(body), content_type="application/json")
