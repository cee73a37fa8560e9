"""Shared parts of the Slack benchmarks (``slack_bench.py``, ``slack_soak.py``).

* :class:`FakeSlack`: a lean local Slack, on a loopback port in the load generator's own
  process: ``auth.test``, ``chat.postMessage``/``update``/``postEphemeral``/``delete``, the
  files upload v2 flow and ``response_url``
  hooks. It keeps no record of calls (a soak would grow it); a hook POST resolves the future
  of the command it answers, so the generator sees each answer arrive.
* :func:`start_server`: the bot (``python -m bot.app.cli serve``, embedded defaults: demo
  metrics, in-memory stores; with ``redis_url``, context, dedupe and the other shared state in
  that Redis, as replicas run) or the bare Bolt baseline (``slack_baseline_app.py``) as a
  subprocess, pointed at the fake.
* :class:`RedisProcess`: a real ``redis-server`` as our child on a free loopback port, the way
  ``tests/harness/redis.py`` starts one (foreground, no persistence), for ``--redis``.
* :func:`slash_command`: ``/ops <text>`` form-encoded and signed exactly as Slack does
  (``v0=`` + HMAC-SHA256 of ``v0:{ts}:{body}``), each with its own ``response_url`` and
  ``trigger_id``, as every real command has.
* :class:`Client`: sends one command and waits for its acknowledgement (the HTTP answer) and
  its answer (a POST to its ``response_url``), timing both.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"  # noqa: S105 - the fake's own
BOT_TOKEN = "xoxb-bench-0000-TOKEN"  # noqa: S105 - the fake's own
TEAM_ID = "T0BENCH01"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FakeSlack:
    """Slack's side for the benchmarks (see the module docstring)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        self._ids = itertools.count(1)
        self.hooks = 0
        self.uploads = 0
        self.api_calls = 0
        self.placeholders = 0
        #: Answers saying the bot was too busy (its admission lanes full).
        self.busy = 0
        self._placeholder_threads: dict[str, str] = {}
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/commands/{team}/{hook}/{secret}", self._hook)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=1024).start()

    async def close(self) -> None:
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def expect_answer(self) -> tuple[str, asyncio.Future[bytes]]:
        """A fresh ``response_url`` and the future its first POST that is not the "Working on
        it…" placeholder resolves."""
        hook = str(next(self._ids))
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[hook] = future
        return f"{self.url}/commands/{TEAM_ID}/{hook}/s3cr3t", future

    def expect_post(self) -> tuple[str, asyncio.Future[bytes]]:
        """A fresh thread ts and the future the answer in it resolves: the first
        ``chat.postMessage`` into it, or the ``chat.update`` of the placeholder posted there."""
        thread = f"{time.time():.0f}.{next(self._ids):06d}"
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[f"thread:{thread}"] = future
        return thread, future

    def forget(self, future: asyncio.Future[bytes]) -> None:
        """Stop waiting for the answer ``future`` stands for."""
        for key, waiting in list(self._waiting.items()):
            if waiting is future:
                del self._waiting[key]

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.hooks += 1
        if _is_placeholder(body):
            self.placeholders += 1
            return web.Response(text="ok")
        self._count_busy(body)
        future = self._waiting.pop(request.match_info["hook"], None)
        if future is not None and not future.done():
            future.set_result(body)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.read()
        self.api_calls += 1
        if method == "auth.test":
            answer = {
                "ok": True, "url": "https://bench.slack.com/", "team": "Bench",
                "user": "smartcloudops", "team_id": TEAM_ID, "user_id": "U0BENCHBOT",
                "bot_id": "B0BENCHBOT", "is_enterprise_install": False,
            }  # fmt: skip
            return web.json_response(answer, headers={"x-oauth-scopes": "chat:write,commands"})
        if method == "chat.delete":  # form-encoded by the SDK
            ts = str((await request.post()).get("ts", ""))
            self._placeholder_threads.pop(ts, None)
            return web.json_response({"ok": True, "ts": ts})
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            params = json.loads(body) if request.content_type == "application/json" else {}
            ts = params.get("ts") or f"{time.time():.6f}.{next(self._ids)}"
            key = f"thread:{params.get('thread_ts')}"
            self._count_busy(body)
            if method == "chat.update":
                key = self._placeholder_threads.pop(ts, "")
            elif _is_placeholder(body):
                self.placeholders += 1
                self._placeholder_threads[ts] = key
                key = ""
            future = self._waiting.pop(key, None)
            if future is not None and not future.done():
                future.set_result(body)
            answer = {"ok": True, "ts": ts, "channel": params.get("channel"), "message_ts": ts}
            return web.json_response(answer)
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):09d}"
            return web.json_response(
                {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
            )
        if method == "files.completeUploadExternal":
            form = await request.post()
            raw = form.get("files")
            files = json.loads(raw) if isinstance(raw, str) else []
            return web.json_response({"ok": True, "files": [{"id": f["id"]} for f in files]})
        return web.json_response({"ok": False, "error": "unknown_method"})

    def _count_busy(self, body: bytes) -> None:
        if b"right now" in body and b"again in a minute" in body:
            self.busy += 1

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads += 1
        return web.Response(text=f"OK - {len(body)}")


def _is_placeholder(body: bytes) -> bool:
    """The bot's "Working on it…" (the answer replaces it later)."""
    return b"Working on it" in body and len(body) < 400


def sign(timestamp: str, body: str, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


_triggers = itertools.count(1)


def slash_command(
    text: str, response_url: str, *, user: str = "U0BENCH01"
) -> tuple[str, dict[str, str]]:
    """The form body and signed headers of ``/ops <text>``."""
    fields = {
        "token": "benchverificationtoken", "team_id": TEAM_ID, "team_domain": "bench",
        "channel_id": "C0BENCH01", "channel_name": "ops", "user_id": user,
        "user_name": "bench", "command": "/ops", "text": text, "api_app_id": "A0BENCH01",
        "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": f"{next(_triggers)}.{os.getpid()}.bench",
    }  # fmt: skip
    body = urlencode(fields)
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(ts, body),
    }
    return body, headers


_events = itertools.count(1)


def app_mention(
    text: str, thread_ts: str, *, user: str = "U0BENCH01"
) -> tuple[str, dict[str, str]]:
    """The JSON body and signed headers of an ``app_mention`` of the bot in a thread."""
    ts = f"{time.time():.6f}"
    event = {
        "type": "app_mention", "user": user, "text": f"<@U0BENCHBOT> {text}", "ts": ts,
        "thread_ts": thread_ts, "channel": "C0BENCH01", "event_ts": ts, "team": TEAM_ID,
    }  # fmt: skip
    body = json.dumps({
        "token": "benchverificationtoken", "team_id": TEAM_ID, "api_app_id": "A0BENCH01",
        "event": event, "type": "event_callback", "event_id": f"Ev{next(_events):08d}{os.getpid()}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": "U0BENCHBOT",
                            "is_bot": True, "is_enterprise_install": False}],
    })  # fmt: skip
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(stamp, body),
    }
    return body, headers


@dataclass
class Sample:
    """One command: seconds to the acknowledgement and to the answer (None: never came)."""

    ack: float | None
    answer: float | None
    status: int


@dataclass
class Client:
    """Sends commands to ``url`` (``…/slack/events``) and waits for ack and answer."""

    fake: FakeSlack
    url: str
    answer_timeout: float = 30.0
    session: aiohttp.ClientSession = field(init=False)

    async def __aenter__(self) -> Client:
        connector = aiohttp.TCPConnector(limit=0)
        self.session = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.session.close()

    async def command(self, text: str, *, user: str = "U0BENCH01") -> Sample:
        """``/ops <text>``, answered at its ``response_url``."""
        response_url, answered = self.fake.expect_answer()
        body, headers = slash_command(text, response_url, user=user)
        return await self._send(body, headers, response_url, answered)

    async def mention(self, text: str, *, user: str = "U0BENCH01") -> Sample:
        """``@bot <text>`` in a thread, answered with ``chat.postMessage`` in that thread."""
        thread, answered = self.fake.expect_post()
        body, headers = app_mention(text, thread, user=user)
        return await self._send(body, headers, thread, answered)

    async def _send(
        self, body: str, headers: dict[str, str], response_url: str, answered: asyncio.Future[bytes]
    ) -> Sample:
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=headers) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientError:
            self.fake.forget(answered)
            return Sample(None, None, 0)
        ack = time.perf_counter() - started
        if status != 200:
            self.fake.forget(answered)
            return Sample(ack, None, status)
        try:
            await asyncio.wait_for(answered, self.answer_timeout)
        except TimeoutError:
            self.fake.forget(answered)
            return Sample(ack, None, status)
        return Sample(ack, time.perf_counter() - started, status)


@dataclass
class Server:
    """A server subprocess and where it listens."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def start_server(
    kind: str,
    fake: FakeSlack,
    log_dir: Path,
    prefix: Sequence[str] = (),
    *,
    redis_url: str | None = None,
    root: Path = ROOT,
) -> Server:
    """``ours``: ``smartcloudops serve``; ``bolt``: the bare Bolt baseline. Waits until the
    server answers ``/slack/events`` (a GET there is a 405 once it listens). ``prefix`` goes
    before the command line (a profiler: ``py-spy record -o out.svg --``). The caller's
    ``*_URL`` variables are not passed on (the bench decides what the server talks to);
    ``redis_url`` becomes the server's ``REDIS_URL``; ``root`` is the tree our server runs
    from (:func:`compiled_copy`)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    env.pop("SMARTCLOUDOPS_CONFIG", None)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    env.update(
        PYTHONPATH=str(root),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{fake.url}/api",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{log_dir / 'bench.db'}",
    )
    if kind == "ours":
        argv = [sys.executable, "-m", "bot.app.cli", "serve", "--port", str(port)]
    elif kind == "bolt":
        argv = [sys.executable, str(BENCH / "slack_baseline_app.py"), "--port", str(port)]
    else:
        raise ValueError(kind)
    argv = [*prefix, *argv]
    log = log_dir / f"{kind}.log"
    process = _spawn(argv, env, log, root)
    url = f"http://127.0.0.1:{port}/slack/events"
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{kind} server exited; see {log}")
            try:
                async with session.get(url) as response:
                    if response.status in (200, 405):
                        return Server(kind, process, url, log)
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{kind} server did not start within 120 s; see {log}")


def _spawn(
    argv: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=out, cwd=cwd)


def compiled_copy(dest: Path) -> Path:
    """A copy of this tree's packages in ``dest`` with the parser compiled in place by
    ``setup.py`` (``SMARTCLOUDOPS_COMPILE=1``, as the image is built); needs the ``dev``
    extra (mypy) and a C compiler. About 40 s on 2 CPUs."""
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for package in ("bot", "adapters", "intents", "ml", "storage"):
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__", "*.so")
        )
    env = {**os.environ, "SMARTCLOUDOPS_COMPILE": "1"}
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=dest, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return dest


class RedisProcess:
    """A ``redis-server`` of the bench's own (see the module docstring); ``stop`` waits for it
    to exit."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on PATH (apt-get install redis-server)")
        self.port = free_port()
        self.directory = directory
        log = (directory / "redis.log").open("ab")
        with log:
            self.process = subprocess.Popen(
                [
                    binary,
                    *("--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--dir", str(directory), "--daemonize", "no"),
                    *("--save", "", "--appendonly", "no", "--loglevel", "warning"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 10
        while not self._answers_ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start; see {directory / 'redis.log'}")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


async def redis_info(url: str) -> dict[str, str]:
    """``INFO memory`` and ``INFO keyspace`` of the Redis at ``url`` (``redis://host:port/db``),
    over a bare socket: the bench needs no client library of its own."""
    host, _, port = url.removeprefix("redis://").split("/")[0].rpartition(":")
    reader, writer = await asyncio.open_connection(host or "127.0.0.1", int(port))
    try:
        writer.write(b"INFO memory\r\nINFO keyspace\r\n")
        await writer.drain()
        fields: dict[str, str] = {}
        for _ in range(2):
            size = int((await reader.readline())[1:])
            text = (await reader.readexactly(size + 2)).decode()
            for line in text.splitlines():
                name, sep, value = line.partition(":")
                if sep:
                    fields[name] = value
        return fields
    finally:
        writer.close()
        await writer.wait_closed()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` from ``/proc`` (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
