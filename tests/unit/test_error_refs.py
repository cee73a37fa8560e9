"""Every platform shows an error reply's correlation id as ``ref <id>``: what the user passes
on is what the operator finds on the turn's log lines and audit rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.console import ConsoleRenderer
from adapters.discord.render import render as render_discord
from adapters.slack.adapter import _apologise
from adapters.slack.render import render as render_slack
from adapters.teams.render import render_reply as render_teams
from bot.core.correlation import correlated
from bot.core.errors import AdapterError
from bot.core.model import Reply, Severity
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


class RecordingOutbox:
    def __init__(self) -> None:
        self.delivered: list[Reply] = []

    async def placeholder(self) -> None:
        """Not used here."""

    async def deliver(self, reply: Reply) -> None:
        self.delivered.append(reply)


async def test_slacks_own_apology_quotes_the_turns_ref() -> None:
    """When Slack refuses the answer itself, the note that replaces it carries the ref."""
    outbox = RecordingOutbox()
    with correlated() as cid:
        await _apologise(outbox, AdapterError("invalid_blocks"))
    (note,) = outbox.delivered
    assert f"ref {cid}" in json.dumps(render_slack(note).blocks)
