"""Guarded remediation end to end on Slack: the real bot (``open_services``: intent parser,
policy, SQLite audit log, the Kubernetes executor) behind the real Slack plugin, driven by
correctly signed slash commands and button clicks, with the fake Slack recording what the
bot sends and the fake Kubernetes API recording what the executor does.

Each click carries the blocks of the message as it looks at that moment (as Slack sends
them), so a message that lost its buttons cannot be clicked by the next person either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack.factory import SLACK_ADAPTER_KEY
from bot.app.server import build_web_app
from bot.app.services import open_services
from tests.fakes.e2e_remediation import NAMESPACE, TARGET, remediation_settings, restart_patches
from tests.fakes.k8s_api import FakeKubernetesApi
from tests.fakes.slack_api import Call, FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, SlackBot, slack_settings
from tests.fakes.slack_requests import SlackRequest, block_actions, slash_command

pytestmark = pytest.mark.integration

ALICE, BOB, MALLORY = "U0ALICE", "U0BOB", "U0MALLORY"
CHANNEL = "C0CA5"  # the channel of the recorded block_actions payload


@dataclass
class World:
    bot: SlackBot
    slack: FakeSlack
    k8s: FakeKubernetesApi

    async def ops(self, text: str, *, user: str, name: str) -> Call:
        """``/ops text`` typed by ``user``; the answer posted to its response_url."""
        hook = self.slack.response_url(f"ops-{len(self.slack.calls)}")
        request = slash_command(text, response_url=hook, user_id=user, user_name=name,
                                channel_id=CHANNEL)  # fmt: skip
        return await self._answer(request, hook)

    async def click_approve(
        self, user: str, blocks: list[dict[str, Any]]
    ) -> tuple[Call, SlackRequest]:
        """``user`` clicks the first button (Approve) of the message showing ``blocks``."""
        hook = self.slack.response_url(f"click-{len(self.slack.calls)}")
        request = block_actions(user_id=user, response_url=hook, blocks=blocks)
        return await self._answer(request, hook), request

    async def _answer(self, request: SlackRequest, hook: str) -> Call:
        status, _ = await self.bot.send(request)
        assert status == 200
        await self.bot.settle()
        path = hook.removeprefix(self.slack.url)
        [answer] = [c for c in self.slack.calls_to("response_url") if c.path == path]
        return answer


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeSlack(bot_token=BOT_TOKEN) as slack, FakeKubernetesApi() as k8s:
        oncall = (f"slack:{ALICE}", f"slack:{BOB}")
        settings = remediation_settings(slack_settings(slack), k8s, tmp_path, oncall)
        async with open_services(settings) as services:
            app = build_web_app(services.telemetry, services.checks, services.web_plugins)
            async with TestClient(TestServer(app)) as client:
                yield World(SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET), slack, k8s)


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    """The commands behind the buttons a message shows (not the *Add reason* dialog's)."""
    return [
        element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("type") == "button" and element["action_id"].startswith("sco:choice:")
    ]


def replaced(call: Call) -> bool:
    return call.params.get("replace_original") in (True, "true")


async def test_restart_needs_another_oncall_approval_and_runs_exactly_once(world: World) -> None:
    """Alice's `/ops restart checkout-api` shows a read-only dry run with Approve/Deny; her
    own and an outsider's approvals are refused without touching the cluster; Bob's approval
    restarts the Deployment once, the message says who approved and what happened, and a
    redelivered or repeated approval changes nothing."""
    asked = await world.ops(f"restart {TARGET}", user=ALICE, name="alice")
    shown = asked.displayed()
    assert "Dry run" in shown
    assert f"would restart deployment {NAMESPACE}/{TARGET} (3 pod(s), rolling)" in shown
    message = asked.blocks
    [approve, deny] = buttons(message)
    assert approve.startswith("approve ")
    assert deny == approve.replace("approve", "deny")
    request_id = approve.removeprefix("approve ")
    assert world.k8s.calls
    assert all(c.method == "GET" for c in world.k8s.calls)

    own, _ = await world.click_approve(ALICE, message)
    assert "your approval does not count" in own.displayed()
    assert world.k8s.mutating_calls == []
    message = own.blocks if replaced(own) else message
    assert buttons(message) == [approve, deny], "a refused approval must leave the buttons"

    outsider, _ = await world.click_approve(MALLORY, message)
    assert "not allowed to approve restart" in outsider.displayed()
    assert world.k8s.mutating_calls == []
    message = outsider.blocks if replaced(outsider) else message
    assert buttons(message) == [approve, deny]

    approved, click = await world.click_approve(BOB, message)
    [patch] = restart_patches(world.k8s)
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert len(world.k8s.mutating_calls) == 1
    assert replaced(approved)
    shown = approved.displayed()
    assert f"<@{BOB}>" in shown
    assert f"Approved by slack:{BOB}" in shown
    assert f"restarted deployment {NAMESPACE}/{TARGET}" in shown
    assert buttons(approved.blocks) == []

    before = len(world.slack.calls)
    status, _ = await world.bot.send(click, retry_num=1)
    assert status == 200
    await world.bot.settle()
    assert len(world.slack.calls) == before, "a redelivered click is answered once"
    again = await world.ops(f"approve {request_id}", user=BOB, name="bob")
    assert "already executed" in again.displayed()
    assert len(restart_patches(world.k8s)) == 1
    assert len(world.k8s.mutating_calls) == 1


async def test_history_shows_the_restart_requested_by_alice_and_approved_by_bob(
    world: World,
) -> None:
    """After the approved restart, `/ops history` lists who requested, approved and ran it."""
    asked = await world.ops(f"restart {TARGET}", user=ALICE, name="alice")
    await world.click_approve(BOB, asked.blocks)
    assert len(restart_patches(world.k8s)) == 1

    history = (await world.ops("history", user=BOB, name="bob")).displayed()
    lines = history.splitlines()
    assert _line(lines, "requested", f"alice (slack:{ALICE})", f"restart {TARGET}")
    assert _line(lines, "approved", f"slack:{BOB}", f"restart {TARGET}")
    assert _line(lines, "execution_started", "#1", f"requested by slack:{ALICE}")
    assert _line(lines, "executed", f"slack:{BOB}", f"restarted deployment {NAMESPACE}/{TARGET}")


def _line(lines: list[str], *parts: str) -> str | None:
    """The first line holding every one of ``parts``."""
    return next((line for line in lines if all(p in line for p in parts)), None)
