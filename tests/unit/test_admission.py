"""Admission: at most N turns answered at once, a smaller lane for charts and reports, and
past either a short "busy, try again" with the ref, counted and logged, that runs nothing.

On the real path: the Responder around the real Dispatcher, and the Slack adapter against the
fake Slack. Time is explicit: handlers hold their turn until the test opens an event; a wait
for a slot is either zero or long enough never to end before the test frees the slot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from bot.app.config import FileSettings, Settings, load_settings
from bot.app.services import open_services
from bot.core.admission import HEAVY, TURNS, Admission
from bot.core.dispatcher import Dispatcher
from bot.core.errors import ConfigError
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.responder import Responder
from bot.core.telemetry import Telemetry
from bot.features.metrics.help import charts_a_range
from intents.model import Intent, IntentName, SlotValue, Turn
from storage.memory import InMemoryContextStore
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, running_bot
from tests.fakes.slack_requests import slash_command

WORDS = {
    "hold": IntentName.STATUS,
    "status": IntentName.STATUS,
    "chart": IntentName.METRIC_QUERY,
    "restart": IntentName.REMEDIATION,
}


class FirstWord:
    """The intent is the message's first word."""

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        return Intent(WORDS.get(text.split()[0], IntentName.UNKNOWN), 0.9)


@dataclass
class Core:
    """A real Dispatcher whose handlers record what they ran; a message starting ``hold`` or
    ``chart`` keeps its slot until :attr:`release` is set (``entered`` says it got there)."""

    admission: Admission
    ran: list[str] = field(default_factory=list)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.telemetry = Telemetry(CollectorRegistry())
        specs = [
            HandlerSpec(IntentName.STATUS, "t", "status", (), self._answer),
            HandlerSpec(IntentName.METRIC_QUERY, "t", "chart", (), self._answer, heavy=True),
            HandlerSpec(IntentName.REMEDIATION, "t", "restart", (), self._answer),
        ]
        self.dispatcher = Dispatcher(
            FirstWord(), InMemoryContextStore(), Registry(specs), self.telemetry,
            admission=self.admission,
        )  # fmt: skip

    async def _answer(self, request: Request) -> Reply:
        text = request.message.text
        if text.split()[0] in ("hold", "chart"):
            self.entered.set()
            await self.release.wait()
        self.ran.append(text)
        return Reply(text=f"done: {text}")

    def refusals(self, lane: str) -> float:
        labels = {"platform": "slack", "lane": lane}
        sample = self.telemetry.registry.get_sample_value(
            "smartcloudops_busy_refusals_total", labels
        )
        return sample or 0.0


@dataclass
class Outbox:
    """Records what the Responder delivered."""

    shown: list[Reply] = field(default_factory=list)

    async def acknowledge(self) -> None: ...
    async def placeholder(self) -> None: ...

    async def deliver(self, reply: Reply) -> None:
        self.shown.append(reply)

    async def replace(self, reply: Reply) -> None:
        self.shown.append(reply)

    async def apologise(self, text: str) -> None:
        self.shown.append(Reply(text=text))


def message(text: str) -> IncomingMessage:
    return IncomingMessage("slack", "T1", "C1", "U1", "ann", text)


async def ask(core: Core, text: str) -> Reply:
    outbox = Outbox()
    answer = await Responder(core.dispatcher.handle, placeholder_after=60).respond(
        message(text), outbox
    )
    assert answer is not None
    assert outbox.shown == [answer]
    return answer


async def holding(core: Core, text: str = "hold on") -> asyncio.Task[Reply]:
    """``text`` being answered, holding its slot until ``core.release`` is set."""
    task = asyncio.create_task(ask(core, text))
    await core.entered.wait()
    return task


async def test_past_the_turn_limit_a_command_is_told_busy_and_nothing_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every turn taken and no wait allowed: "restart payments" is answered at once that the
    bot is busy and nothing was run, quoting the ref; counted and logged at WARNING. The turn
    already running is answered as usual."""
    core = Core(Admission.bounded(max_turns=1, turn_wait=0))
    first = await holding(core)

    with caplog.at_level(logging.WARNING, logger="bot.core.dispatcher"):
        busy = await ask(core, "restart payments")

    assert "answering 1 questions right now" in busy.text
    assert "nothing was run or changed" in busy.text
    assert f"ref {busy.correlation_id}" in busy.text
    assert busy.severity is Severity.WARNING
    assert busy.private
    assert core.ran == []
    assert core.refusals(TURNS) == 1
    assert any(
        r.levelno == logging.WARNING and f"cid={busy.correlation_id}" in r.getMessage()
        for r in caplog.records
    )
    core.release.set()
    assert (await first).text == "done: hold on"
    assert core.ran == ["hold on"]


async def test_a_message_waits_its_turn_within_the_bound() -> None:
    """A turn freed while the next message waits within the bound: that message is answered,
    not refused."""
    core = Core(Admission.bounded(max_turns=1, turn_wait=3600))
    first = await holding(core)
    second = asyncio.create_task(ask(core, "status"))
    while core.admission.turns.waiting == 0:  # noqa: ASYNC110 - yields only, no timing
        await asyncio.sleep(0)

    core.release.set()

    assert (await first).text == "done: hold on"
    assert (await second).text == "done: status"
    assert core.refusals(TURNS) == 0


async def test_a_turn_is_given_back_when_its_answer_is_done() -> None:
    """Turns are released after every kind of answer, so a limit of one serves one message
    after another indefinitely."""
    core = Core(Admission.bounded(max_turns=1, turn_wait=0))
    core.release.set()
    for text in ("status", "restart payments", "nonsense", "chart cpu"):
        assert (await ask(core, text)).text.startswith(("done", "Sorry", "I did not"))
    assert core.admission.turns.in_use == 0
    assert core.admission.heavy.in_use == 0
    assert core.refusals(TURNS) == 0


async def test_charts_past_their_smaller_lane_are_busy_while_cheap_questions_go_on() -> None:
    """The heavy lane full: another chart is told the bot is busy drawing (with the ref), a
    cheap question is still answered."""
    core = Core(Admission.bounded(max_turns=8, turn_wait=0, max_heavy=1, heavy_wait=0))
    first = await holding(core, "chart cpu of web-1")

    busy = await ask(core, "chart memory of web-2")
    cheap = await ask(core, "status")

    assert "drawing 1 charts and reports" in busy.text
    assert f"ref {busy.correlation_id}" in busy.text
    assert core.refusals(HEAVY) == 1
    assert core.refusals(TURNS) == 0
    assert cheap.text == "done: status"
    core.release.set()
    assert (await first).text == "done: chart cpu of web-1"
    assert core.ran == ["status", "chart cpu of web-1"]


async def test_the_default_dispatcher_is_bounded() -> None:
    """A Dispatcher built without an admission still has both lanes."""
    dispatcher = Dispatcher(FirstWord(), InMemoryContextStore(), Registry(), Telemetry())
    admission = dispatcher.admission
    assert admission.turns.size >= admission.heavy.size >= 1


async def test_slack_command_past_the_limit_gets_a_private_busy_answer_at_its_response_url() -> (
    None
):
    """Through Bolt and the fake Slack: a second `/ops restart payments` while the only turn
    is taken is acknowledged, answered privately at its response_url that the bot is busy,
    and not run; the first command's answer still arrives."""
    core = Core(Admission.bounded(max_turns=1, turn_wait=0))
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as fake,
        running_bot(fake, core.dispatcher.handle) as bot,
    ):
        status, _ = await bot.send(slash_command("hold on", response_url=fake.response_url("a")))
        assert status == 200
        await core.entered.wait()
        status, _ = await bot.send(
            slash_command("restart payments", response_url=fake.response_url("b"))
        )
        assert status == 200
        [busy] = await fake.wait_for("response_url")
        core.release.set()
        await bot.settle()

    assert busy.path.endswith("/b")
    assert busy.params["response_type"] == "ephemeral"
    assert "nothing was run or changed" in busy.displayed()
    assert core.ran == ["hold on"]
    answers = [c for c in fake.calls_to("response_url") if c.path.endswith("/a")]
    assert "done: hold on" in answers[-1].displayed()
    assert core.refusals(TURNS) == 1


async def test_the_served_bot_takes_its_lanes_from_the_settings(tmp_path: Path) -> None:
    """``max_turns_in_flight`` and friends reach the dispatcher ``serve`` builds; zero in
    the file is a configuration error naming the key."""
    file = FileSettings(
        max_turns_in_flight=3, turn_queue_seconds=0.5, max_heavy_in_flight=2, heavy_queue_seconds=4
    )
    async with open_services(Settings(file=file)) as services:
        admission = services.dispatcher.admission
    assert (admission.turns.size, admission.turns.wait) == (3, 0.5)
    assert (admission.heavy.size, admission.heavy.wait) == (2, 4)
    config = tmp_path / "smartcloudops.yaml"
    config.write_text("max_turns_in_flight: 0\n")
    with pytest.raises(ConfigError, match="max_turns_in_flight"):
        load_settings({"SMARTCLOUDOPS_CONFIG": str(config)})


async def test_promql_goes_in_the_heavy_lane_only_when_it_draws_a_range() -> None:
    """ "promql up" is a table (the turns lane only); over a range it is a chart (heavy)."""
    promql = IntentName.PROMQL
    assert not charts_a_range(Intent(promql, 0.9, {"expr": "up"}))
    assert charts_a_range(Intent(promql, 0.9, {"expr": "up", "range": 3600}))
    spec = HandlerSpec(promql, "t", "promql", (), Core(Admission.bounded())._answer, charts_a_range)
    assert spec.weighs(Intent(promql, 0.9, {"expr": "up", "start": 1}))
    assert not spec.weighs(Intent(promql, 0.9, {"expr": "up"}))


async def test_the_served_bot_puts_charts_and_reports_in_the_heavy_lane() -> None:
    """In the registry ``serve`` builds, metric charts, anomaly reports, forecasts and PromQL
    over a range go in the heavy lane; "what's down?", alerts and "promql up" do not."""
    async with open_services(Settings()) as services:
        registry = services.dispatcher.registry

        def weighs(name: IntentName, **slots: SlotValue) -> bool:
            spec = registry.get(name)
            assert spec is not None
            return spec.weighs(Intent(name, 0.9, slots))

        assert weighs(IntentName.METRIC_QUERY, metric="cpu", target="web-1")
        assert weighs(IntentName.ANOMALY_QUERY)
        assert weighs(IntentName.FORECAST, metric="disk", target="db-primary")
        assert weighs(IntentName.PROMQL, expr="up", range=3600)
        assert not weighs(IntentName.PROMQL, expr="up")
        assert not weighs(IntentName.STATUS)
        assert not weighs(IntentName.ALERTS_LIST)
