"""Running the bot with its Discord plugin against :class:`FakeDiscord`, end to end through
the aiohttp server, plus a tiny scripted core whose handlers record who asked what.

``ScriptedCore`` is a real :class:`Dispatcher` over a small registry: ``chart ...`` answers
with fields, a chart and Approve/Deny buttons, ``approve N``/``deny N`` answer as the clicking
user, ``slow ...`` takes a while, ``long ...`` overflows an embed, anything else is echoed
(so tests can see what user text becomes in a reply).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from adapters.discord.options import DiscordOptions
from bot.app.config import Settings
from bot.app.server import build_web_app
from bot.app.services import Services
from bot.app.wiring.discord import build_plugin
from bot.core.dispatcher import Dispatcher
from bot.core.model import (
    Chart,
    Choice,
    ChoiceStyle,
    Field,
    Form,
    IncomingMessage,
    Menu,
    Reply,
    Severity,
)
from bot.core.ports import DedupeStore
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.telemetry import Telemetry
from bot.features.anomaly.ports import Finding
from bot.features.metrics.ports import (
    Alert,
    CatalogSeries,
    Sample,
    Series,
    TargetHealth,
    TargetRef,
    Window,
)
from bot.features.metrics.targets import TargetDirectory
from intents.model import Intent, IntentName, Turn
from storage.dedupe import InMemoryDedupeStore
from storage.memory import InMemoryContextStore
from tests.fakes.discord_server import TOKEN, FakeDiscord

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SLOW_SECONDS = 0.4


def fast_options(fake: FakeDiscord, **changes: Any) -> DiscordOptions:
    """Options for tests: the fake's endpoints, short timings (the placeholder delay stays at
    its default, so a fast answer never races it on a busy machine)."""
    return fast_options_for(fake.api_base, fake.gateway_url, **changes)


def fast_options_for(api_base: str, gateway_url: str, **changes: Any) -> DiscordOptions:
    options = DiscordOptions(
        token=TOKEN,
        guild_ready_timeout=0.05,
        lease_ttl=2.0,
        lease_renew_every=0.25,
        standby_poll=0.1,
        api_base=api_base,
        gateway_url=gateway_url,
    )
    return dataclasses.replace(options, **changes)


WORDS = {
    "chart": IntentName.METRIC_QUERY,
    "approve": IntentName.APPROVE,
    "deny": IntentName.DENY,
    "slow": IntentName.ANOMALY_QUERY,
    "long": IntentName.PROMQL,
    "unknown": IntentName.UNKNOWN,
    "share": IntentName.SHARE,
    "controls": IntentName.HEALTH,
}
"""The test's command words and the (real) intents that stand for them."""


class FirstWordParser:
    """Intent = the message's first word (``approve 12`` -> approve {request_id: 12})."""

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        word, _, rest = text.strip().partition(" ")
        slots = {"request_id": rest} if word in ("approve", "deny") and rest else {}
        return Intent(WORDS.get(word.lower(), IntentName.UNKNOWN), 0.9, slots)


class DemoTargets:
    """A metrics source that only knows its targets (for autocomplete)."""

    description = "test"
    is_demo = True

    @property
    def target_labels(self) -> tuple[str, ...]:
        return ("instance",)

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries:
        return CatalogSeries((), metric)

    async def target_names(self) -> list[TargetRef]:
        return [TargetRef(t.name, "instance") for t in await self.targets()]

    async def query(self, expr: str) -> list[Sample]:
        return []

    async def query_range(self, expr: str, window: Window) -> list[Series]:
        return []

    async def targets(self) -> list[TargetHealth]:
        names = ("web-1:9100", "web-2:9100", "db-primary:9100", "payments")
        return [TargetHealth(name, "node", True) for name in names]

    async def alerts(self) -> list[Alert]:
        return []


class NoAnomalies:
    async def find(
        self,
        series: Sequence[tuple[str, Series]],
        *,
        metric: str | None = None,
        target: str | None = None,
        since: float | None = None,
    ) -> list[Finding]:
        return []


class ScriptedCore:
    """The handlers; ``requests`` records every message the core received."""

    def __init__(self) -> None:
        self.requests: list[IncomingMessage] = []

    def registry(self) -> Registry:
        specs = [
            ("chart", self._chart),
            ("approve", self._approve),
            ("deny", self._approve),
            ("slow", self._slow),
            ("long", self._long),
            ("controls", self._controls),
            ("unknown", self._echo),
        ]
        return Registry(HandlerSpec(WORDS[name], "test", name, (), h) for name, h in specs)

    def _seen(self, request: Request) -> None:
        self.requests.append(request.message)

    async def _chart(self, request: Request) -> Reply:
        self._seen(request)
        return Reply(
            title="CPU · web-1",
            text="CPU of web-1 is 12 % now.",
            fields=(Field("Now", "12 %"), Field("Peak", "31 %")),
            charts=(Chart("CPU of web-1", PNG, "cpu-web-1.png", "CPU of web-1, last hour"),),
            choices=(
                Choice("Approve", "approve 12", ChoiceStyle.PRIMARY),
                Choice("Deny", "deny 12", ChoiceStyle.DANGER),
            ),
            severity=Severity.WARNING,
            footer="Source: test data",
        )

    async def _approve(self, request: Request) -> Reply:
        self._seen(request)
        verb = "Approved" if request.intent.name == "approve" else "Denied"
        who = request.message.user_name
        return Reply(text=f"{verb} request {request.intent.slots.get('request_id')} by {who}.",
                     severity=Severity.SUCCESS)  # fmt: skip

    async def _slow(self, request: Request) -> Reply:
        self._seen(request)
        await asyncio.sleep(SLOW_SECONDS)
        return Reply(text="Finally done.")

    async def _long(self, request: Request) -> Reply:
        self._seen(request)
        return Reply(text="Big output below.", code="\n".join(f"line {i:05d}" for i in range(800)))

    async def _controls(self, request: Request) -> Reply:
        self._seen(request)
        return Reply(
            text="Pick one, or say why.",
            menus=(Menu("Which target?", (Choice("web-1", "approve 1"), Choice("web", "deny 2"))),),
            forms=(Form("Add reason", "Reason for #12", "Why?", "reason 12 {text}"),),
        )

    async def _echo(self, request: Request) -> Reply:
        self._seen(request)
        return Reply(text=f"You said: {request.message.text}")


def scripted_services(
    core: ScriptedCore, *, redis: Redis | None = None, dedupe: DedupeStore | None = None
) -> Services:
    """Services around ``core``; with ``redis``, the shard lease lives there (the caller
    owns and closes the client)."""
    telemetry = Telemetry()
    context = InMemoryContextStore()
    dispatcher = Dispatcher(FirstWordParser(), context, core.registry(), telemetry)
    targets = DemoTargets()
    return Services(
        settings=Settings(discord_token=TOKEN),
        telemetry=telemetry,
        parser=FirstWordParser(),
        context=context,
        metrics=targets,
        alerts=targets,
        directory=TargetDirectory(targets),
        anomaly=NoAnomalies(),
        dedupe=dedupe or InMemoryDedupeStore(),
        redis=redis,
        dispatcher=dispatcher,
    )


@contextlib.asynccontextmanager
async def running_bot(services: Services, options: DiscordOptions) -> AsyncIterator[TestServer]:
    """The bot's aiohttp server with the Discord plugin, started (so the gateway runs) and
    cleaned up (so the gateway stops and the shard lease is released) around the block."""
    async with contextlib.AsyncExitStack() as stack:
        plugin = build_plugin(services, stack, options)
        app = build_web_app(services.telemetry, services.checks, [plugin])
        server = TestServer(app)
        await server.start_server()
        stack.push_async_callback(server.close)
        yield server


@contextlib.asynccontextmanager
async def fake_discord(heartbeat_ms: int = 1000) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(heartbeat_ms=heartbeat_ms)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


async def connected(fake: FakeDiscord, sessions: int = 1) -> None:
    """Wait until ``sessions`` clients have identified and got their guild."""
    await fake.wait_until(
        lambda: len(fake.live_sessions) >= sessions and all(s.seq >= 2 for s in fake.live_sessions),
        f"{sessions} gateway session(s)",
    )
