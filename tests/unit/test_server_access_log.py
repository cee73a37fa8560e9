"""The server's access log: one line per request with method, path, status and latency, under
the request's own correlation id, and nothing a request carries that could be a secret."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from bot.app.server import build_web_app
from bot.core.telemetry import Telemetry
from tests.fakes.logs import json_log

route_log = logging.getLogger("tests.route")
SECRET = "xoxb-hunter2-secret"


async def echo(request: web.Request) -> web.Response:
    route_log.info("handling the request")
    await request.read()
    return web.json_response({"ok": True}, status=201)


async def refuse(_: web.Request) -> web.Response:
    raise web.HTTPForbidden


async def crash(_: web.Request) -> web.Response:
    raise RuntimeError("boom")


@contextlib.asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A client of ``app`` served as ``serve`` runs it: without aiohttp's own access log."""
    server = TestServer(app)
    await server.start_server(access_log=None)
    async with TestClient(server) as client:
        yield client


def plugin(app: web.Application) -> None:
    app.router.add_post("/hook", echo)
    app.router.add_get("/refused", refuse)
    app.router.add_get("/crash", crash)


async def test_each_request_is_one_access_line_without_query_headers_or_body() -> None:
    """method, path, status and latency_ms; the line and the route's own lines share one id,
    each request its own; the query string, Authorization header and body never appear."""
    app = build_web_app(Telemetry(CollectorRegistry()), [], [plugin])
    with json_log() as log:
        async with served(app) as client:
            response = await client.post(
                f"/hook?token={SECRET}",
                data=f'{{"password": "{SECRET}"}}',
                headers={"Authorization": f"Bearer {SECRET}"},
            )
            assert response.status == 201
            await client.post("/hook")
    assert SECRET not in log.stream.getvalue()
    access = [e for e in log.entries() if e["logger"] == "smartcloudops.access"]
    assert [(e["method"], e["path"], e["status"]) for e in access] == [("POST", "/hook", 201)] * 2
    assert all(isinstance(e["latency_ms"], float) and e["latency_ms"] >= 0 for e in access)
    assert access[0]["message"].startswith("POST /hook 201 ")
    routes = [e for e in log.entries() if e["logger"] == "tests.route"]
    assert [e["correlation_id"] for e in routes] == [e["correlation_id"] for e in access]
    assert access[0]["correlation_id"] != access[1]["correlation_id"]


async def test_refusals_crashes_and_unknown_paths_are_logged_with_their_status() -> None:
    """An HTTP error, a crash and a 404 each get their line; the crash's traceback is logged
    under the request's id, which the 500 answer quotes as its ``ref``."""
    app = build_web_app(Telemetry(CollectorRegistry()), [], [plugin])
    with json_log() as log:
        async with served(app) as client:
            statuses = [(await client.get(p)).status for p in ("/refused", "/nowhere")]
            crashed = await client.get("/crash")
            answer = await crashed.json()
    assert statuses == [403, 404]
    access = [e for e in log.entries() if e["logger"] == "smartcloudops.access"]
    assert [(e["path"], e["status"]) for e in access] == [
        ("/refused", 403), ("/nowhere", 404), ("/crash", 500),
    ]  # fmt: skip
    (error,) = [e for e in log.entries() if e["level"] == "ERROR"]
    assert "RuntimeError: boom" in error["exception"]
    assert error["correlation_id"] == access[-1]["correlation_id"] == answer["ref"]
    assert "boom" not in str(answer)
