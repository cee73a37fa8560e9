"""A local fake of the Bot Connector service, the API a Teams bot sends its messages to.

Activities that reach the bot name their connector in ``serviceUrl``; point it at
:attr:`FakeBotConnector.url` and the real SDK sends its replies here:

- ``POST /v3/conversations/{conversation}/activities/{activity}``: a reply to an activity;
- ``POST /v3/conversations/{conversation}/activities``: a new message in a conversation;
- ``PUT /v3/conversations/{conversation}/activities/{activity}``: an update of a message;
- ``POST /v3/conversations``: a new conversation (the bot's 1:1 chat with a user), answered
  with a fresh ``a:personal-…`` id;
- ``PUT /upload/{name}``: a OneDrive upload session as a file consent's ``uploadUrl`` names
  it (:meth:`FakeBotConnector.upload_url`); the bytes are kept in
  :attr:`FakeBotConnector.uploads`.

Each call is recorded with its decoded path, body and whether it carried an Authorization
header; every Adaptive Card received is checked against the 1.5 schema and violations are
kept in :attr:`FakeBotConnector.invalid_cards`. :meth:`FakeBotConnector.fail_next` makes the
next calls answer with error statuses (429 with ``Retry-After``, 503, ...) to test retries.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.teams_cards import card_errors, cards_of

WAIT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Upload:
    """One file PUT to an upload URL."""

    name: str
    data: bytes
    content_range: str | None


@dataclass(frozen=True, slots=True)
class ConnectorCall:
    """One request the bot made (including ones answered with an injected failure)."""

    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorized: bool
    status: int

    @property
    def kind(self) -> str:
        """``reply``, ``send``, ``update`` or ``create`` (a new conversation)."""
        if self.method == "PUT":
            return "update"
        if not self.conversation_id:
            return "create"
        return "reply" if self.activity_id else "send"

    @property
    def cards(self) -> list[dict[str, Any]]:
        return cards_of(self.body)


class FakeBotConnector:
    """An aiohttp server speaking the Bot Connector REST API (v3) on a loopback port."""

    def __init__(self) -> None:
        self.calls: list[ConnectorCall] = []
        self.invalid_cards: list[str] = []
        self.uploads: list[Upload] = []
        self.upload_status = 201
        self._failures: deque[tuple[int, str | None]] = deque()
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/v3/conversations", self._on_call)
        base = "/v3/conversations/{conversation}/activities"
        app.router.add_post(base, self._on_call)
        app.router.add_post(base + "/{activity}", self._on_call)
        app.router.add_put(base + "/{activity}", self._on_call)
        app.router.add_put("/upload/{name}", self._on_upload)
        self._server = TestServer(app)

    async def __aenter__(self) -> FakeBotConnector:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    @property
    def url(self) -> str:
        """The ``serviceUrl`` to put in activities (ends with ``/``, as Teams sends it)."""
        return str(self._server.make_url("/"))

    def upload_url(self, name: str) -> str:
        """Where a file consent's upload goes (what Teams would give as ``uploadUrl``)."""
        return str(self._server.make_url(f"/upload/{name}"))

    def fail_next(self, *statuses: int, retry_after: str | None = None) -> None:
        """Answer the next ``len(statuses)`` calls with these statuses."""
        self._failures.extend((status, retry_after) for status in statuses)

    def of_kind(self, kind: str) -> list[ConnectorCall]:
        """Successful calls of one kind (``reply``, ``send``, ``update``)."""
        return [c for c in self.calls if c.kind == kind and c.status < 300]

    async def wait_for(self, count: int, *, kind: str | None = None) -> None:
        """Until ``count`` successful calls (of ``kind``) have arrived (10 s at most)."""

        def enough() -> bool:
            calls = self.of_kind(kind) if kind else [c for c in self.calls if c.status < 300]
            return len(calls) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), WAIT_SECONDS)

    async def _on_upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        name = request.match_info["name"]
        self.uploads.append(Upload(name, data, request.headers.get("Content-Range")))
        return web.json_response({"id": f"item-{name}", "name": name}, status=self.upload_status)

    async def _on_call(self, request: web.Request) -> web.Response:
        body = await request.json()
        status, retry_after = self._failures.popleft() if self._failures else (200, None)
        call = ConnectorCall(
            method=request.method,
            conversation_id=request.match_info.get("conversation", ""),
            activity_id=request.match_info.get("activity"),
            body=body,
            authorized="Authorization" in request.headers,
            status=status,
        )
        for card in call.cards:
            self.invalid_cards.extend(card_errors(card))
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if status >= 300:
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            error = {"error": {"code": "ServiceError", "message": f"injected {status}"}}
            return web.json_response(error, status=status, headers=headers)
        if call.kind == "update":
            return web.json_response({"id": call.activity_id})
        if call.kind == "create":
            return web.json_response({"id": f"a:personal-{next(self._ids)}"})
        return web.json_response({"id": f"bot-{next(self._ids)}"})
