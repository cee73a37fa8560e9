"""A local Discord for the real discord.py client: REST under ``/api/v10`` and the gateway
websocket at ``/gateway``, speaking Discord's wire format and recording everything it is sent.

Gateway: HELLO (short heartbeat interval), IDENTIFY -> READY + GUILD_CREATE, heartbeats are
ACKed, RESUME replays what the session missed and answers RESUMED. Events are queued per
session like Discord does, so a client that drops and resumes still gets them. ``drop()``
aborts every live connection as a network failure would.

REST: login (``GET /users/@me``, ``GET /oauth2/applications/@me``), command registration,
channel messages (JSON or multipart with ``payload_json``), interaction callbacks
(``?with_response``), follow-ups and ``@original`` edits. JSON answers carry exactly
``Content-Type: application/json``. Payload templates come from ``tests/data/discord``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

DATA = Path(__file__).resolve().parent.parent / "data" / "discord"
TOKEN = "test-discord-token"
BOT_ID = "1100000000000000001"
APP_ID = "1100000000000000001"
GUILD_ID = "1200000000000000001"
CHANNEL_ID = "1200000000000000002"
THREAD_ID = "1200000000000000003"
ROLE_ID = "1200000000000000009"
DM_CHANNEL_ID = "1400000000000000001"
KNOWN_CHANNELS = frozenset({CHANNEL_ID, THREAD_ID, DM_CHANNEL_ID})
ANA = {"id": "1300000000000000001", "username": "ana.ops", "global_name": "Ana"}
BEN = {"id": "1300000000000000002", "username": "ben.sre", "global_name": "Ben"}
LOADING_FLAG = 1 << 7
EPHEMERAL_FLAG = 1 << 6

Json = dict[str, Any]


def load(name: str) -> Json:
    """A recorded payload from ``tests/data/discord`` (a fresh copy each time)."""
    data: Json = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    name: str
    filename: str
    data: bytes
    content_type: str


@dataclass
class RestCall:
    """One REST request: ``path`` is relative to ``/api/v10``; ``body`` is the JSON body or the
    multipart ``payload_json``."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[Upload]


@dataclass
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    session: Session | None = None
    dropped: bool = False
    closed: bool = False


@dataclass
class Session:
    """A gateway session: survives a dropped connection (resumable), ends on a clean close."""

    id: str
    shard: list[int] | None
    intents: int | None
    seq: int = 0
    backlog: list[Json] = field(default_factory=list)
    connection: Connection | None = None
    alive: bool = True


class FakeDiscord:
    """The fake. ``await start()``, point the client at ``api_base``/``gateway_url``."""

    def __init__(self, *, token: str = TOKEN, heartbeat_ms: int = 1000) -> None:
        self.token = token
        self.heartbeat_ms = heartbeat_ms
        self.calls: list[RestCall] = []
        self.received: list[Json] = []
        self.sessions: list[Session] = []
        self.connections: list[Connection] = []
        self.messages: dict[str, Json] = {}
        self.deleted: list[str] = []
        self.commands: list[Json] = []
        self._interactions: dict[str, Json] = {}
        self._originals: dict[str, str] = {}
        self._ids = itertools.count(_snowflake_now())
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for connection in self.connections:
            if not connection.closed:
                await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ------------------------------------------------------------------ test controls

    def new_id(self) -> str:
        return str(next(self._ids))

    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions if s.alive]

    @property
    def live_connections(self) -> list[Connection]:
        return [c for c in self.connections if not c.closed]

    def ops(self, op: int) -> list[Json]:
        """Every gateway payload with opcode ``op`` the fake received."""
        return [p for p in self.received if p.get("op") == op]

    async def dispatch(self, event: str, data: Json) -> int:
        """Send ``event`` to every live session (queued while it is disconnected)."""
        if event == "INTERACTION_CREATE":
            self._interactions[data["token"]] = data
        sessions = self.live_sessions
        for session in sessions:
            await self._emit(session, event, data)
        return len(sessions)

    async def drop(self) -> None:
        """Abort every live gateway connection, as a network failure would."""
        for connection in self.live_connections:
            connection.dropped = True
            transport = connection.request.transport
            if transport is not None:
                transport.abort()
            else:
                await connection.ws.close(code=4000)

    def calls_to(self, method: str, pattern: str) -> list[RestCall]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    async def wait_until(
        self, condition: Callable[[], bool], what: str, within: float = 10.0
    ) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.01)

    async def wait_for_call(self, method: str, pattern: str, count: int = 1) -> RestCall:
        await self.wait_until(
            lambda: len(self.calls_to(method, pattern)) >= count, f"{count} x {method} {pattern}"
        )
        return self.calls_to(method, pattern)[count - 1]

    # ------------------------------------------------------------------ event builders

    def user_message(
        self,
        content: str,
        *,
        author: Json | None = None,
        mention_bot: bool = True,
        dm: bool = False,
        channel_id: str = CHANNEL_ID,
    ) -> Json:
        """A MESSAGE_CREATE from a user (``content`` as typed; the bot mention is prepended
        when ``mention_bot``)."""
        data = load("message_create_dm.json" if dm else "message_create.json")
        data["id"] = self.new_id()
        data["content"] = f"<@{BOT_ID}> {content}" if mention_bot and not dm else content
        if not mention_bot:
            data["mentions"] = []
        if not dm:
            data["channel_id"] = channel_id
        data["author"].update(author or {})
        return data

    def slash_command(self, text: str, *, user: Json | None = None) -> Json:
        data = self._interaction("interaction_command.json", user)
        data["data"]["options"][0]["value"] = text
        return data

    def autocomplete(self, current: str) -> Json:
        data = self._interaction("interaction_autocomplete.json", None)
        data["data"]["options"][0]["value"] = current
        return data

    def button_click(self, message: Json, custom_id: str, *, user: Json | None = None) -> Json:
        """A click on ``custom_id`` in ``message`` (a message the bot posted)."""
        data = self._interaction("interaction_component.json", user)
        data["data"]["custom_id"] = custom_id
        data["message"] = copy.deepcopy(message)
        return data

    def menu_pick(
        self, message: Json, custom_id: str, value: str, *, user: Json | None = None
    ) -> Json:
        """A pick of the option ``value`` in the select ``custom_id`` of ``message``."""
        data = self.button_click(message, custom_id, user=user)
        data["data"] |= {"component_type": 3, "values": [value]}
        return data

    def modal_submit(
        self, message: Json, custom_id: str, typed: str, *, user: Json | None = None
    ) -> Json:
        """A submitted modal (opened from a button of ``message``): one text input."""
        data = self.button_click(message, custom_id, user=user)
        text_input = {"type": 4, "id": 2, "custom_id": "text", "value": typed}
        data["type"] = 5
        row = {"type": 1, "id": 1, "components": [text_input]}
        data["data"] = {"custom_id": custom_id, "components": [row]}
        return data

    def _interaction(self, template: str, user: Json | None) -> Json:
        data = load(template)
        data["id"] = self.new_id()
        data["token"] = f"interaction-token-{uuid.uuid4().hex}"
        data["member"]["user"].update(user or {})
        return data

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = Connection(ws, request)
        self.connections.append(connection)
        hello = {"heartbeat_interval": self.heartbeat_ms, "_trace": ["fake-gateway"]}
        await _send(ws, {"op": 10, "d": hello, "s": None, "t": None})
        try:
            async for message in ws:
                if message.type.name == "TEXT":
                    await self._on_frame(connection, json.loads(message.data))
        finally:
            connection.closed = True
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                session.alive = connection.dropped
        return ws

    async def _on_frame(self, connection: Connection, frame: Json) -> None:
        self.received.append(frame)
        op, data = frame.get("op"), frame.get("d") or {}
        if op == 1:
            await _send(connection.ws, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(connection, data)
        elif op == 6:
            await self._resume(connection, data)

    async def _identify(self, connection: Connection, data: Json) -> None:
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        session = Session(uuid.uuid4().hex, data.get("shard"), data.get("intents"))
        self.sessions.append(session)
        self._attach(connection, session)
        ready = load("ready.json")
        ready["session_id"] = session.id
        ready["resume_gateway_url"] = self.gateway_url
        ready["shard"] = session.shard or [0, 1]
        await self._emit(session, "READY", ready)
        await self._emit(session, "GUILD_CREATE", load("guild_create.json"))

    async def _resume(self, connection: Connection, data: Json) -> None:
        session = next((s for s in self.sessions if s.id == data.get("session_id")), None)
        if session is None or not session.alive or data.get("token") != self.token:
            await _send(connection.ws, {"op": 9, "d": False, "s": None, "t": None})
            return
        self._attach(connection, session)
        for frame in session.backlog:
            if frame["s"] > (data.get("seq") or 0):
                await _send(connection.ws, frame)
        await self._emit(session, "RESUMED", {"_trace": ["fake-gateway"]})

    @staticmethod
    def _attach(connection: Connection, session: Session) -> None:
        connection.session = session
        session.connection = connection

    async def _emit(self, session: Session, event: str, data: Json) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.backlog.append(frame)
        connection = session.connection
        if connection is not None and not connection.closed:
            with contextlib.suppress(ConnectionError):
                await _send(connection.ws, frame)

    # ------------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        call = RestCall(request.method, path, dict(request.query), body, files)
        self.calls.append(call)
        for method, pattern, handler, needs_auth in self._routes():
            match = re.fullmatch(pattern, path)
            if method == request.method and match:
                if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                    return _json({"message": "401: Unauthorized", "code": 0}, status=401)
                return await handler(call, match.groupdict())
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _routes(
        self,
    ) -> list[tuple[str, str, Callable[[RestCall, dict[str, str]], Awaitable[web.Response]], bool]]:
        return [
            ("GET", r"/users/@me", self._user_me, True),
            ("GET", r"/oauth2/applications/@me", self._application, True),
            ("GET", r"/applications/\d+/commands", self._list_commands, True),
            ("PUT", r"/applications/\d+/commands", self._put_commands, True),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._create_message, True),
            ("PATCH", r"/channels/\d+/messages/(?P<message>\d+)", self._edit_message, True),
            ("POST", r"/channels/\d+/typing", self._no_content, True),
            ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", self._callback, False),
            ("POST", r"/webhooks/\d+/(?P<token>[^/]+)", self._follow_up, False),
            (
                "PATCH",
                r"/webhooks/\d+/(?P<token>[^/]+)/messages/(?P<message>[^/]+)",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                r"/webhooks/\d+/(?P<token>[^/]+)/messages/(?P<message>[^/]+)",
                self._delete_webhook_message,
                False,
            ),
        ]

    async def _user_me(self, _: RestCall, __: dict[str, str]) -> web.Response:
        return _json(load("user_me.json"))

    async def _application(self, _: RestCall, __: dict[str, str]) -> web.Response:
        return _json(load("application_me.json"))

    async def _list_commands(self, _: RestCall, __: dict[str, str]) -> web.Response:
        return _json(self.commands)

    async def _put_commands(self, call: RestCall, _: dict[str, str]) -> web.Response:
        commands: list[Json] = call.body if isinstance(call.body, list) else []
        self.commands = [
            {**c, "id": self.new_id(), "application_id": APP_ID, "version": self.new_id()}
            for c in commands
        ]
        return _json(self.commands)

    async def _no_content(self, _: RestCall, __: dict[str, str]) -> web.Response:
        return web.Response(status=204)

    async def _create_message(self, call: RestCall, match: dict[str, str]) -> web.Response:
        if match["channel"] not in KNOWN_CHANNELS:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        return _json(self._new_message(match["channel"], call))

    async def _edit_message(self, call: RestCall, match: dict[str, str]) -> web.Response:
        if match["message"] not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(self._update_message(match["message"], call))

    async def _callback(self, call: RestCall, match: dict[str, str]) -> web.Response:
        token = match["token"]
        interaction = self._interactions[token]
        body = call.body or {}
        kind = body.get("type")
        message: Json | None = None
        data: Json = body.get("data") or {}
        if kind == 4:
            message = self._new_message(interaction["channel_id"], call, data=data)
        elif kind == 5:
            ephemeral = data.get("flags", 0) & EPHEMERAL_FLAG
            message = self._new_message(
                interaction["channel_id"], call,
                data={"content": "", "flags": LOADING_FLAG | ephemeral},
            )  # fmt: skip
        elif kind in (6, 7):
            original = interaction["message"]
            self.messages.setdefault(original["id"], copy.deepcopy(original))
            message = self.messages[original["id"]]
            if kind == 7:
                message = self._update_message(original["id"], call, data=data)
        if message is not None:
            self._originals[token] = message["id"]
        answer = {
            "interaction": {
                "id": interaction["id"],
                "type": interaction["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(
                    message and message.get("flags", 0) & EPHEMERAL_FLAG
                ),
            },
            "resource": {"type": kind, "message": message} if message else None,
        }
        return _json({k: v for k, v in answer.items() if v is not None})

    async def _follow_up(self, call: RestCall, match: dict[str, str]) -> web.Response:
        token = match["token"]
        original = self.messages.get(self._originals.get(token, ""))
        if original is not None and original.get("flags", 0) & LOADING_FLAG:
            # The first follow-up of a deferral fills in the "thinking…" message and keeps
            # the deferral's visibility, whatever flags it asks for (as Discord does).
            flags = original["flags"] & EPHEMERAL_FLAG
            body = dict(call.body or {}, flags=flags)
            return _json(self._update_message(original["id"], call, data=body))
        channel = self._interactions[token]["channel_id"]
        return _json(self._new_message(channel, call))

    async def _edit_webhook_message(self, call: RestCall, match: dict[str, str]) -> web.Response:
        message_id = match["message"]
        if message_id == "@original":
            message_id = self._originals[match["token"]]
        return _json(self._update_message(message_id, call))

    async def _delete_webhook_message(self, call: RestCall, match: dict[str, str]) -> web.Response:
        message_id = match["message"]
        if message_id == "@original":
            message_id = self._originals.pop(match["token"], "")
        if self.messages.pop(message_id, None) is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        self.deleted.append(message_id)
        return web.Response(status=204)

    # ------------------------------------------------------------------ messages

    def _new_message(self, channel_id: str, call: RestCall, *, data: Json | None = None) -> Json:
        body = data if data is not None else (call.body or {})
        message = load("message_create.json")
        message.pop("member", None)
        message.update(
            id=self.new_id(),
            channel_id=channel_id,
            author=load("user_me.json"),
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            mentions=[],
            flags=body.get("flags", 0),
            timestamp=_now(),
            attachments=self._attachments(channel_id, body, call.files, []),
            type=19 if body.get("message_reference") else 0,
        )
        if channel_id == DM_CHANNEL_ID:
            message.pop("guild_id", None)
        self.messages[message["id"]] = message
        return message

    def _update_message(self, message_id: str, call: RestCall, *, data: Json | None = None) -> Json:
        body = data if data is not None else (call.body or {})
        message = self.messages[message_id]
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = body[key] if body[key] is not None else _EMPTY[key]
        if "attachments" in body or call.files:
            old = message.get("attachments", [])
            message["attachments"] = self._attachments(message["channel_id"], body, call.files, old)
        message["edited_timestamp"] = _now()
        return message

    def _attachments(
        self, channel_id: str, body: Json, files: list[Upload], old: list[Json]
    ) -> list[Json]:
        by_id = {a["id"]: a for a in old}
        out: list[Json] = []
        entries = body.get("attachments") or [{"id": i} for i in range(len(files))]
        for entry in entries:
            kept = by_id.get(str(entry["id"]))
            if kept is not None:
                out.append(kept)
                continue
            index = int(entry["id"])
            if index < len(files):
                out.append(self._attachment(channel_id, files[index], entry))
        return out

    def _attachment(self, channel_id: str, upload: Upload, entry: Json) -> Json:
        attachment_id = self.new_id()
        url = (
            f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{upload.filename}"
        )
        return {
            "id": attachment_id,
            "filename": upload.filename,
            "description": entry.get("description"),
            "size": len(upload.data),
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": upload.content_type,
        }


DISCORD_EPOCH_MS = 1_420_070_400_000


def _snowflake_now() -> int:
    """A snowflake for this millisecond: ids stay unique across fakes sharing a Redis."""
    return (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22


_EMPTY: Json = {"content": "", "embeds": [], "components": [], "flags": 0}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON with exactly ``Content-Type: application/json`` (discord.py reads anything else,
    even with a charset, as text)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


async def _send(ws: web.WebSocketResponse, frame: Json) -> None:
    await ws.send_str(json.dumps(frame))


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(await request.multipart())
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


async def _read_multipart(reader: MultipartReader) -> tuple[Any, list[Upload]]:
    body: Any = None
    files: list[Upload] = []
    while (part := await reader.next()) is not None:
        assert isinstance(part, BodyPartReader)
        if part.name == "payload_json":
            body = json.loads(await part.text())
        else:
            data = bytes(await part.read())
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            files.append(Upload(part.name or "", part.filename or "", data, content_type))
    return body, files
