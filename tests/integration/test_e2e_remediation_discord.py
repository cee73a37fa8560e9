"""Guarded remediation end to end on Discord: the real bot (``open_services``: intent parser,
policy, SQLite audit log, the Kubernetes executor) with the real discord.py client, started
by the bot's aiohttp server against the fake Discord (gateway + REST); ``/ops`` commands and
button clicks arrive as interactions from different snowflake users, and the fake Kubernetes
API records what the executor does.

Every click is on the message as the fake Discord holds it at that moment (the fake applies
the bot's edits), so a message that lost its buttons cannot be clicked by the next person.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.discord.client import point_at
from bot.app.config import Settings
from bot.app.server import build_web_app
from bot.app.services import open_services
from tests.fakes.discord_bot import connected, fake_discord
from tests.fakes.discord_checks import assert_nobody_pinged
from tests.fakes.discord_server import ANA, APP_ID, BEN, TOKEN, FakeDiscord, RestCall
from tests.fakes.e2e_remediation import NAMESPACE, TARGET, remediation_settings, restart_patches
from tests.fakes.k8s_api import FakeKubernetesApi

pytestmark = pytest.mark.integration

MALLORY = {"id": "1300000000000000077", "username": "mallory", "global_name": "Mallory"}
Json = dict[str, Any]


@dataclass
class World:
    discord: FakeDiscord
    k8s: FakeKubernetesApi

    async def ops(self, text: str, *, user: Json) -> Json:
        """``/ops text`` run by ``user``; the message that answered it."""
        command = self.discord.slash_command(text, user=user)
        await self._answered(command)
        return list(self.discord.messages.values())[-1]

    async def click(self, message: Json, custom_id: str, *, user: Json) -> tuple[Json, Json]:
        """``user`` clicks ``custom_id`` on ``message``; the message after the bot's edit, and
        the interaction (to deliver it again)."""
        interaction = self.discord.button_click(message, custom_id, user=user)
        await self._answered(interaction)
        return self.discord.messages[message["id"]], interaction

    async def _answered(self, interaction: Json) -> None:
        """Deliver ``interaction`` and wait until its answer is complete (a deferred answer
        is finished by a follow-up or an edit of the original response)."""
        await self.discord.dispatch("INTERACTION_CREATE", interaction)
        token = interaction["token"]
        callback = await self.discord.wait_for_call(
            "POST", rf"/interactions/{interaction['id']}/{token}/callback"
        )
        if (callback.body or {}).get("type") in (5, 6):
            # A private answer deletes the public "thinking…" first: wait for the answer.
            await self.discord.wait_until(
                lambda: any(c.method != "DELETE" for c in self._webhook_calls(token)), "a follow-up"
            )

    def private_answer(self, interaction: Json) -> str:
        """What only the clicker saw: the interaction's ephemeral follow-up (flags 64)."""
        [note] = [
            c.body for c in self._webhook_calls(interaction["token"])
            if c.method == "POST" and (c.body or {}).get("flags", 0) & EPHEMERAL
        ]  # fmt: skip
        return shown(note or {})

    def _webhook_calls(self, token: str) -> list[RestCall]:
        return [c for c in self.discord.calls if c.path.startswith(f"/webhooks/{APP_ID}/{token}")]

    def callbacks_for(self, interaction: Json) -> list[RestCall]:
        return self.discord.calls_to(
            "POST", rf"/interactions/{interaction['id']}/{interaction['token']}/callback"
        )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with fake_discord(heartbeat_ms=500) as discord, FakeKubernetesApi() as k8s:
        point_at(discord.api_base, discord.gateway_url)
        oncall = (f"discord:{ANA['id']}", f"discord:{BEN['id']}")
        settings = remediation_settings(Settings(discord_token=TOKEN), k8s, tmp_path, oncall)
        async with open_services(settings) as services:
            server = TestServer(build_web_app(services.telemetry, services.checks,
                                              services.web_plugins))  # fmt: skip
            await server.start_server()
            try:
                await connected(discord)
                yield World(discord, k8s)
            finally:
                await server.close()
        assert_nobody_pinged(discord)


def custom_ids(message: Json) -> list[str]:
    """The buttons' custom ids (not the *Add reason* dialog's ``scf:`` button)."""
    ids = [c["custom_id"] for row in message.get("components", []) for c in row["components"]]
    return [i for i in ids if not i.startswith("scf:")]


EPHEMERAL = 1 << 6


def shown(message: Json) -> str:
    """The text a Discord user sees in the message's embeds."""
    parts: list[str] = []
    for embed in message.get("embeds", []):
        parts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("author") or {}).get("name") or ""]  # fmt: skip
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_restart_needs_another_oncall_approval_and_runs_exactly_once(world: World) -> None:
    """Ana's `/ops restart checkout-api` shows a read-only dry run with Approve/Deny buttons;
    her own and an outsider's clicks are refused without touching the cluster and keep the
    buttons; Ben's click restarts the Deployment once and the message says who approved and
    what happened; a redelivered click or a repeated approval changes nothing."""
    message = await world.ops(f"restart {TARGET}", user=ANA)
    assert "Dry run" in shown(message)
    assert f"would restart deployment {NAMESPACE}/{TARGET} (3 pod(s), rolling)" in shown(message)
    [approve, deny] = custom_ids(message)
    assert approve.startswith("sco:approve ")
    assert deny == approve.replace("approve", "deny")
    request_id = approve.removeprefix("sco:approve ")
    assert world.k8s.calls
    assert all(c.method == "GET" for c in world.k8s.calls)

    # A refusal is for the clicker alone (an ephemeral follow-up); the message is untouched.
    message, click = await world.click(message, approve, user=ANA)
    assert "your approval does not count" in world.private_answer(click)
    assert "Ana chose Approve" not in shown(message)
    assert world.k8s.mutating_calls == []
    assert custom_ids(message) == [approve, deny], "a refused approval must leave the buttons"

    message, click = await world.click(message, approve, user=MALLORY)
    assert "not allowed to approve restart" in world.private_answer(click)
    assert world.k8s.mutating_calls == []
    assert custom_ids(message) == [approve, deny]

    message, click = await world.click(message, approve, user=BEN)
    [patch] = restart_patches(world.k8s)
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert len(world.k8s.mutating_calls) == 1
    text = shown(message)
    assert "Ben chose Approve" in text
    assert f"Approved by discord:{BEN['id']}" in text
    assert f"restarted deployment {NAMESPACE}/{TARGET}" in text
    assert custom_ids(message) == []

    await world.discord.dispatch("INTERACTION_CREATE", click)  # a redelivery of Ben's click
    again = await world.ops(f"approve {request_id}", user=BEN)
    assert "already executed" in shown(again)
    assert again["flags"] & EPHEMERAL, "a refusal is for the asker alone"
    assert len(world.callbacks_for(click)) == 1, "a redelivered click is answered once"
    assert len(restart_patches(world.k8s)) == 1
    assert len(world.k8s.mutating_calls) == 1


async def test_history_shows_the_restart_requested_by_ana_and_approved_by_ben(
    world: World,
) -> None:
    """After the approved restart, `/ops history` lists who requested, approved and ran it."""
    message = await world.ops(f"restart {TARGET}", user=ANA)
    [approve, _] = custom_ids(message)
    await world.click(message, approve, user=BEN)
    assert len(restart_patches(world.k8s)) == 1

    lines = shown(await world.ops("history", user=BEN)).splitlines()
    assert _line(lines, "requested", f"Ana (discord:{ANA['id']})", f"restart {TARGET}")
    assert _line(lines, "approved", f"Ben (discord:{BEN['id']})", f"restart {TARGET}")
    assert _line(lines, "executed", f"discord:{BEN['id']}", f"restarted deployment {NAMESPACE}")


def _line(lines: list[str], *parts: str) -> str | None:
    """The first line holding every one of ``parts``."""
    return next((line for line in lines if all(p in line for p in parts)), None)
