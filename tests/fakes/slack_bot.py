"""The bot's real aiohttp server with the Slack plugin, for end-to-end Slack tests, plus a
small recording "core" (a real :class:`~bot.core.dispatcher.Dispatcher` over a tiny registry) whose
answers exercise every part of a reply."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from adapters.slack.adapter import SlackAdapter
from adapters.slack.factory import EVENTS_PATH, SLACK_ADAPTER_KEY
from bot.app.config import Settings
from bot.app.server import build_web_app
from bot.app.wiring.slack import build_plugin
from bot.core.dispatcher import Dispatcher
from bot.core.model import Chart, Choice, ChoiceStyle, Field, IncomingMessage, Reply, Severity
from bot.core.ports import DedupeStore
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.responder import Handle
from bot.core.telemetry import Telemetry
from intents.model import Intent, IntentName, Turn
from storage.dedupe import InMemoryDedupeStore
from storage.memory import InMemoryContextStore
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackRequest

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5-test"
BOT_TOKEN = "xoxb-1234-5678-TESTbotTOKENvalue"
APP_TOKEN = "xapp-1-A0MDYCDME-1234-TESTappTOKENvalue"


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG (grey pixels), built by hand so the tests need no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))  # fmt: skip


CHART_PNG = tiny_png()


WORDS = {
    "echo": IntentName.STATUS,
    "chart": IntentName.METRIC_QUERY,
    "slow": IntentName.ANOMALY_QUERY,
    "choose": IntentName.ALERTS_LIST,
    "approve": IntentName.APPROVE,
    "long": IntentName.PROMQL,
    "share": IntentName.SHARE,
}
"""The test's command words and the (real) intents that stand for them."""


class FirstWordParser:
    """The intent is the message's first word (``echo``, ``chart``, ``slow``, ...)."""

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        word = text.split(maxsplit=1)[0].lower() if text.strip() else "unknown"
        return Intent(WORDS.get(word, IntentName.UNKNOWN), 0.9)


@dataclass
class RecordingCore:
    """The core the Slack tests talk to; ``messages`` is everything it was asked."""

    slow_seconds: float = 0.0
    messages: list[IncomingMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        specs = [
            HandlerSpec(WORDS.get(name, IntentName.UNKNOWN), "test", name, (name,), handler)
            for name, handler in {
                "echo": self._echo, "chart": self._chart, "slow": self._slow,
                "choose": self._choose, "approve": self._approve, "long": self._long,
                "unknown": self._unknown,
            }.items()
        ]  # fmt: skip
        self.dispatcher = Dispatcher(
            FirstWordParser(), InMemoryContextStore(), Registry(specs),
            Telemetry(CollectorRegistry()),
        )  # fmt: skip

    async def handle(self, message: IncomingMessage) -> Reply:
        return await self.dispatcher.handle(message)

    def _heard(self, request: Request) -> str:
        self.messages.append(request.message)
        return request.message.text

    async def _echo(self, request: Request) -> Reply:
        text = self._heard(request)
        return Reply(
            title=f"You said: {text}", text=text, fields=(Field("Input", text),), code=text,
            footer=f"asked: {text}", choices=(Choice(f"Again {text}", f"echo {text}"),),
        )  # fmt: skip

    async def _chart(self, request: Request) -> Reply:
        self._heard(request)
        chart = Chart("CPU of web-1", CHART_PNG, "cpu-web-1.png", "CPU of web-1, last hour")
        return Reply(text="CPU of web-1 is 42 % now.", charts=(chart,), footer="Source: test")

    async def _slow(self, request: Request) -> Reply:
        self._heard(request)
        await asyncio.sleep(self.slow_seconds)
        return Reply(text="Finally, the slow answer.")

    async def _choose(self, request: Request) -> Reply:
        self._heard(request)
        return Reply(text="Restart checkout-api?", choices=(
            Choice("Approve", "approve 12", ChoiceStyle.PRIMARY),
            Choice("Deny", "deny 12", ChoiceStyle.DANGER),
        ))  # fmt: skip

    async def _approve(self, request: Request) -> Reply:
        self._heard(request)
        return Reply(
            text="Request 12 approved; restarting checkout-api.", severity=Severity.SUCCESS
        )

    async def _long(self, request: Request) -> Reply:
        self._heard(request)
        lines = "\n".join(f"line {i:05d} of a very long log" for i in range(600))
        return Reply(text="Here is the log.", code=lines)

    async def _unknown(self, request: Request) -> Reply:
        self._heard(request)
        return Reply(text="I did not understand that.")


@dataclass
class SlackBot:
    """The running bot: an HTTP client for its server and its Slack adapter."""

    client: TestClient[web.Request, web.Application]
    adapter: SlackAdapter
    secret: str

    async def send(
        self,
        request: SlackRequest,
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        secret: str | None = None,
    ) -> tuple[int, str]:
        """POST ``request`` to ``/slack/events``, signed; returns status and body."""
        headers = request.headers(secret or self.secret, timestamp=timestamp, retry_num=retry_num)
        response = await self.client.post(EVENTS_PATH, data=request.body, headers=headers)
        return response.status, await response.text()

    async def settle(self) -> None:
        """Wait until every answer in progress has been sent."""
        await self.adapter.drain(30)


def slack_settings(fake: FakeSlack, *, app_token: str | None = None,
                   signing_secret: str | None = SIGNING_SECRET) -> Settings:  # fmt: skip
    return Settings(
        slack_bot_token=fake.bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=fake.api_url,
    )


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeSlack,
    handle: Handle,
    *,
    dedupe: DedupeStore | None = None,
    app_token: str | None = None,
    signing_secret: str | None = SIGNING_SECRET,
    placeholder_after: float = 5.0,
) -> AsyncIterator[SlackBot]:
    """The bot's server (``build_web_app`` + the Slack plugin) on a loopback port."""
    async with contextlib.AsyncExitStack() as stack:
        plugin = await build_plugin(
            slack_settings(fake, app_token=app_token, signing_secret=signing_secret),
            handle=handle,
            dedupe=dedupe or InMemoryDedupeStore(),
            stack=stack,
            placeholder_after=placeholder_after,
        )
        app = build_web_app(Telemetry(CollectorRegistry()), [], [plugin])
        client = await stack.enter_async_context(TestClient(TestServer(app)))
        yield SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET)
