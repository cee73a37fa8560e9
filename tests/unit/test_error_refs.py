"""Every platform shows an error reply's correlation id as ``ref <id>``: what the user passes
on is what the operator finds on the turn's log lines and audit rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from adapters.console import ConsoleRenderer
from adapters.discord.render import render as render_discord
from adapters.slack.render import render as render_slack
from adapters.teams.render import render_reply as render_teams
from bot.core.correlation import correlated
from bot.core.dispatcher import Dispatcher
from bot.core.errors import AdapterError
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.responder import Responder
from bot.core.telemetry import Telemetry
from intents.model import Intent
from storage.memory import InMemoryContextStore
from tests.fakes.teams_cards import card_texts

APOLOGY = Reply(
    text="Sorry, something went wrong on my side.",
    severity=Severity.ERROR,
    footer="Source: demo data",
    correlation_id="c0ffee123456",
)


def slack_text(reply: Reply, _: Path) -> str:
    return json.dumps(render_slack(reply).blocks)


def teams_text(reply: Reply, _: Path) -> str:
    return "\n".join(card_texts(render_teams(reply).card))


def discord_text(reply: Reply, _: Path) -> str:
    embed = render_discord(reply).embed
    return f"{embed.description}\n{embed.footer.text}"


def console_text(reply: Reply, charts: Path) -> str:
    return ConsoleRenderer(charts).render(reply)


PLATFORMS = {
    "slack": slack_text,
    "teams": teams_text,
    "discord": discord_text,
    "console": console_text,
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_an_error_reply_shows_its_ref(platform: str, tmp_path: Path) -> None:
    """The error's footer is kept and followed by ``ref <id>``."""
    shown = PLATFORMS[platform](APOLOGY, tmp_path)
    assert "ref c0ffee123456" in shown
    assert "Source: demo data" in shown


@pytest.mark.parametrize("platform", ["slack", "teams", "console"])
def test_an_answer_does_not_show_a_ref(platform: str, tmp_path: Path) -> None:
    """Answers that are not errors stay as short as they were."""
    answer = Reply(text="web-1 is up", footer="Source: demo data", correlation_id="c0ffee123456")
    assert "ref c0ffee123456" not in PLATFORMS[platform](answer, tmp_path)


def test_an_error_without_a_footer_shows_the_ref_alone() -> None:
    reply = Reply(text="Sorry.", severity=Severity.ERROR, correlation_id="abc")
    assert reply.shown_footer == "ref abc"
    assert reply.plain_text() == "Sorry.\nref abc"


class RefusingOutbox:
    """A platform that takes everything but the answer (Slack's ``invalid_blocks``)."""

    def __init__(self) -> None:
        self.apologies: list[str] = []

    async def acknowledge(self) -> None:
        """Nothing to acknowledge."""

    async def placeholder(self) -> None:
        """Not shown: the core answers at once."""

    async def deliver(self, reply: Reply) -> None:
        raise AdapterError("invalid_blocks")

    async def replace(self, reply: Reply) -> None:
        raise AdapterError("invalid_blocks")

    async def apologise(self, text: str) -> None:
        self.apologies.append(text)


async def test_the_apology_for_a_refused_answer_quotes_the_entry_points_ref() -> None:
    """Inside an HTTP request's turn the Responder and the dispatcher keep the request's id:
    the apology quotes it, as do the access line and every log line of the request."""
    registry = Registry([HandlerSpec("status", "test", "status", (), _answer)])
    dispatcher = Dispatcher(
        _Status(), InMemoryContextStore(), registry, Telemetry(CollectorRegistry())
    )
    outbox = RefusingOutbox()
    with correlated() as request_id:
        shown = await Responder(dispatcher.handle, placeholder_after=60).respond(
            IncomingMessage("slack", "T1", "C1", "U1", "ann", "web-1"), outbox
        )
    (apology,) = outbox.apologies
    assert f"ref {request_id}" in apology
    assert shown is not None
    assert shown.correlation_id == request_id


class _Status:
    def parse(self, text: str, history: Any = (), now: float | None = None) -> Intent:
        return Intent("status", 0.9, {"target": text})


async def _answer(request: Request) -> Reply:
    return Reply(text="web-1 is up")
