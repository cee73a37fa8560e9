"""A local fake of Slack's side, speaking its wire format, that records every call.

It serves the Web API methods the bot uses (``auth.test``, ``chat.postMessage``,
``chat.postEphemeral``, ``chat.delete``, ``chat.update``, ``files.getUploadURLExternal``, the
upload URL, ``files.completeUploadExternal``, ``apps.connections.open``, ``oauth.v2.access``,
``views.open``),
``response_url`` hooks and a Socket Mode WebSocket. Like bolt-python's
``tests/mock_web_api_server``, but async, on a real loopback port, and with switches for rate
limits (429 + ``Retry-After``) and API errors.

Several workspaces: the one of ``bot_token`` (``T0001``) is always there; :meth:`FakeSlack.install`
adds another and returns the one-time OAuth ``code`` that ``oauth.v2.access`` exchanges (with
the app's client id and secret, in HTTP Basic auth as Slack wants) for that workspace's bot
token. Every call is recorded with the token it came with, and each token only works as its
own workspace (``auth.test`` answers with that workspace's ids).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

T = TypeVar("T")

BOT_USER_ID = "U0LAN0Z89"
BOT_ID = "B0LAN0Z89"
TEAM_ID = "T0001"
APP_ID = "A0SMARTOPS"


@dataclass(frozen=True)
class Workspace:
    """A Slack workspace with the app's bot user in it."""

    team_id: str
    bot_token: str
    name: str = "Example"
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    installer: str = "U0INSTALLER"


@dataclass(frozen=True)
class Call:
    """One request the fake received. ``params`` is the decoded form or JSON body (with a
    JSON-encoded ``blocks``/``files`` field decoded too); ``raw`` the body bytes."""

    method: str
    params: dict[str, Any]
    raw: bytes
    token: str | None
    path: str = ""
    at: float = field(default_factory=time.monotonic)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or []
        return list(blocks)

    def all_text(self) -> str:
        """Everything in this call, for "is X anywhere in what was sent" checks."""
        return json.dumps(self.params, ensure_ascii=False)

    def displayed(self) -> str:
        """The text Slack would show: every ``text``/``title``/``initial_comment`` string,
        not button ``value``s (which only come back to the bot)."""
        return "\n".join(_displayed(self.params))


class FakeSlack:
    """Fake Slack on a loopback port. ``api_url`` goes in ``SLACK_API_URL``."""

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.client_id = client_id
        self.client_secret = client_secret
        self._workspaces = {bot_token: Workspace(TEAM_ID, bot_token)}
        self._codes: dict[str, Workspace] = {}
        self._revoked: set[str] = set()
        self.calls: list[Call] = []
        self.socket_acks: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._hooks = itertools.count(1)
        self._rate_limits: dict[str, list[int]] = {}
        self._errors: dict[str, list[str]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_connected = asyncio.Event()
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/commands/{team}/{id}/{name}", self._hook)
        app.router.add_get("/socket", self._socket)
        self._server = TestServer(app)

    async def __aenter__(self) -> FakeSlack:
        await self._server.start_server(access_log=None)
        return self

    async def __aexit__(self, *_: object) -> None:
        for socket in list(self._sockets):
            await socket.close()
        await self._server.close()

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def response_url(self, name: str, team_id: str = TEAM_ID) -> str:
        """A ``response_url`` shaped like Slack's (``/commands/T…/…/secret``); posts to it are
        recorded as method ``response_url``, with this URL's path."""
        return f"{self.url}/commands/{team_id}/{next(self._hooks)}/{name}"

    # ------------------------------------------------------------------ workspaces

    def install(self, workspace: Workspace) -> str:
        """Someone approved the app for ``workspace`` on Slack's consent page: the one-time
        code Slack puts in the redirect to the app."""
        code = f"code-{workspace.team_id}-{next(self._hooks)}"
        self._codes[code] = workspace
        return code

    def revoke(self, token: str) -> None:
        """The token stops working (``token_revoked``), as after an uninstall."""
        self._revoked.add(token)

    def team_of(self, token: str | None) -> str | None:
        """The workspace a token belongs to."""
        workspace = self._workspaces.get(token or "")
        return workspace.team_id if workspace else None

    # ------------------------------------------------------------------ switches

    def rate_limit(self, method: str, *, retry_after: int, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After``."""
        self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": ...}``."""
        self._errors.setdefault(method, []).extend([error] * times)

    # ------------------------------------------------------------------ reading

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_for(self, method: str, count: int = 1, *, within: float = 10.0) -> list[Call]:
        """The calls to ``method`` once there are at least ``count`` of them."""
        return await self.wait_until(lambda: len(self.calls_to(method)) >= count,
                                     lambda: self.calls_to(method), within)  # fmt: skip

    async def wait_until(
        self, ready: Callable[[], bool], result: Callable[[], T], within: float
    ) -> T:
        """``result()`` once ``ready()`` holds (checked at every recorded call)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(ready)
        return result()

    # ------------------------------------------------------------------ Socket Mode

    async def wait_for_socket(self, *, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            await self._socket_connected.wait()

    async def send_envelope(self, envelope: Mapping[str, Any]) -> None:
        """Push one Socket Mode envelope to the connected client."""
        await self._sockets[-1].send_str(json.dumps(envelope))

    async def wait_for_ack(self, envelope_id: str, *, within: float = 10.0) -> dict[str, Any]:
        def acked() -> list[dict[str, Any]]:
            return [a for a in self.socket_acks if a.get("envelope_id") == envelope_id]

        found = await self.wait_until(lambda: bool(acked()), acked, within)
        return found[0]

    # ------------------------------------------------------------------ handlers

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        token = _bearer(request)
        params = await _params(request, raw)
        await self._record(Call(method, params, raw, token))
        if self._rate_limits.get(method):
            retry_after = self._rate_limits[method].pop(0)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(request, params))
        if method == "apps.connections.open":
            known = token == self.app_token
        else:
            known = token in self._workspaces and token not in self._revoked
        if not known:
            error = "token_revoked" if token in self._revoked else "invalid_auth"
            return web.json_response({"ok": False, "error": error})
        if self._errors.get(method):
            return web.json_response({"ok": False, "error": self._errors[method].pop(0)})
        return web.json_response(self._answer(method, params, self._workspaces.get(token or "")))

    def _oauth_access(self, request: web.Request, params: Mapping[str, Any]) -> dict[str, Any]:
        """``oauth.v2.access``: the code (single-use) for the workspace's bot token."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if self.client_id is None or request.headers.get("Authorization") != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        workspace = self._codes.pop(str(params.get("code")), None)
        if workspace is None:
            return {"ok": False, "error": "invalid_code"}
        self._workspaces[workspace.bot_token] = workspace
        return {
            "ok": True, "app_id": APP_ID, "access_token": workspace.bot_token,
            "token_type": "bot", "scope": "app_mentions:read,chat:write,commands",
            "bot_user_id": workspace.bot_user_id,
            "team": {"id": workspace.team_id, "name": workspace.name},
            "enterprise": None, "is_enterprise_install": False,
            "authed_user": {"id": workspace.installer},
        }  # fmt: skip

    def _answer(
        self, method: str, params: Mapping[str, Any], workspace: Workspace | None
    ) -> dict[str, Any]:
        if method == "auth.test" and workspace is not None:
            return {
                "ok": True, "url": "https://example.slack.com/", "team": workspace.name,
                "user": "smartcloudops", "team_id": workspace.team_id,
                "user_id": workspace.bot_user_id, "bot_id": workspace.bot_id,
                "is_enterprise_install": False,
            }  # fmt: skip
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts)}.000100"
            message = {"text": params.get("text"), "ts": ts, "bot_id": BOT_ID}
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "chat.delete":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"),
                    "text": params.get("text")}  # fmt: skip
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):08d}"
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"{self.url.replace('http', 'ws', 1)}/socket"}
        if method == "views.open":
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else dict(view or {})
            view_id = f"V{next(self._files):08d}"
            return {"ok": True, "view": view | {"id": view_id, "hash": f"{view_id}.h"}}
        return {"ok": False, "error": "unknown_method"}

    async def _upload(self, request: web.Request) -> web.Response:
        raw = await request.read()
        await self._record(Call("upload", {"file_id": request.match_info["file_id"]}, raw, None))
        return web.Response(text=f"OK - {len(raw)}")

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        params = json.loads(raw) if raw else {}
        await self._record(Call("response_url", params, raw, None, path=request.path))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._socket_connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                async with self._changed:
                    self.socket_acks.append(json.loads(message.data))
                    self._changed.notify_all()
        return socket


def _displayed(value: object, key: str = "text") -> list[str]:
    if isinstance(value, str):
        return [value] if key in ("text", "title", "initial_comment") else []
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _displayed(v, k)]
    if isinstance(value, list):
        return [s for item in value for s in _displayed(item, key)]
    return []


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None


async def _params(request: web.Request, raw: bytes) -> dict[str, Any]:
    if request.content_type == "application/json":
        params: dict[str, Any] = json.loads(raw) if raw else {}
    else:
        form = await request.post()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
    params.update({k: v for k, v in request.query.items() if k not in params})
    for key in ("blocks", "files"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params
