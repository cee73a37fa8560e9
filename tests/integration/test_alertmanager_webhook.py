"""Alert posts with a real Alertmanager 0.25 (started by the harness) sending its webhook to
the bot's server, built by the same wiring the bot uses (``open_alerting``): an alert reaches
the subscribed channel once, acknowledging and resolving it edit that same post, a silence
made from chat is in Alertmanager and stops the posts, alerts lists read Alertmanager, and a
webhook without the token is refused and runs nothing."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from adapters.alertmanager.webhook import webhook_plugin
from adapters.metrics.demo import DemoMetricsSource
from bot.app.config import Settings
from bot.app.server import DependencyCheck, build_web_app
from bot.app.wiring.alerts import open_alerting
from bot.core.dispatcher import Dispatcher
from bot.core.errors import DependencyError
from bot.core.model import Reply
from bot.core.telemetry import Telemetry
from bot.features.alerts.alerting import Alerting
from bot.features.metrics.specs import lookup_specs
from bot.features.metrics.targets import TargetDirectory
from storage.sql.alert_store import open_alert_store_at
from tests.fakes.alerts import RecordingPoster, alert_dispatcher, on_call, recorded, said
from tests.harness.alertmanager import TOKEN, AlertmanagerServer, StartAlertmanager

pytestmark = pytest.mark.integration

QUIET_SECONDS = 2.5  # more than two group intervals: anything still to come would have come


@dataclass
class Rig:
    """The bot's alert side serving Alertmanager's webhook, and a fake chat platform."""

    am: AlertmanagerServer
    alerting: Alerting
    bot: Dispatcher
    poster: RecordingPoster
    database: str
    checks: list[DependencyCheck]

    async def say(self, channel: str, text: str, user: str = "U0ANA", name: str = "Ana") -> Reply:
        return await self.bot.handle(said("chat", channel, user, name, text))

    async def fire(self, alertname: str, **options: Any) -> None:
        await asyncio.to_thread(functools.partial(self.am.fire, alertname, **options))


@contextlib.asynccontextmanager
async def running(am: AlertmanagerServer, tmp_path: Path, token: str = TOKEN) -> AsyncIterator[Rig]:
    database = f"sqlite:///{tmp_path / 'alerts.db'}"
    settings = Settings(
        alertmanager_url=am.url, alertmanager_webhook_token=token, database_url=database
    )
    poster = RecordingPoster()
    checks: list[DependencyCheck] = []
    async with contextlib.AsyncExitStack() as stack:
        alerting = await open_alerting(settings, stack, posters={"chat": poster}, checks=checks)
        demo = DemoMetricsSource(seed=7)
        alerts = alerting.alerts_source(demo)
        on_call_team = on_call("chat:U0ANA", "chat:U0BOB")
        lookups = lookup_specs(
            demo, alerts, TargetDirectory(demo), settings.file.default_range_seconds
        )
        bot = alert_dispatcher(alerting, *lookups, policy=on_call_team)
        app = build_web_app(Telemetry(), checks, [webhook_plugin(alerting.notifier, token)])
        server = TestServer(app, port=am.receiver_port)
        await server.start_server()
        stack.push_async_callback(server.close)
        yield Rig(am, alerting, bot, poster, database, checks)


async def test_an_alert_is_posted_once_and_ack_and_resolution_edit_that_post(
    alertmanager: AlertmanagerServer, tmp_path: Path
) -> None:
    async with running(alertmanager, tmp_path) as rig:
        await rig.say("C-OPS", "subscribe critical")
        await rig.say("C-PAY", "subscribe warning for payments")
        await rig.fire("HighLatency", summary="p95 latency of checkout-api is 2.3 s")
        (post,) = await rig.poster.wait_for_posts()
        assert post.channel.channel_id == "C-OPS"
        assert post.reply.title == "Firing: HighLatency on checkout-api-1"
        assert "p95 latency of checkout-api is 2.3 s" in post.reply.text

        ack = next(c.command for c in post.reply.choices if c.label == "Acknowledge")
        assert (await rig.say("C-OPS", ack, "U0BOB", "Bob")).title == "Acknowledged HighLatency"
        await rig.poster.wait_for_edits(1)
        await asyncio.sleep(QUIET_SECONDS)
        assert len(rig.poster.posts) == 1
        (acked,) = rig.poster.edits
        assert acked.ref == post.ref
        assert "by Bob at" in acked.reply.plain_text()

        await rig.fire("HighLatency", resolved=True)
        resolved = (await rig.poster.wait_for_edits(2))[-1]
        assert resolved.ref == post.ref
        assert resolved.reply.title == "Resolved: HighLatency on checkout-api-1"
        assert "by Bob at" in resolved.reply.plain_text()
        assert resolved.reply.choices == ()
        await asyncio.sleep(QUIET_SECONDS)
        assert len(rig.poster.posts) == 1
        assert len(rig.poster.edits) == 2


async def test_the_post_survives_a_restart_of_the_bot(
    alertmanager: AlertmanagerServer, tmp_path: Path
) -> None:
    """The message id is in the database: a new bot process edits the old post."""
    async with running(alertmanager, tmp_path) as first:
        await first.say("C-OPS", "subscribe")
        await first.fire("DiskFull", severity="warning")
        (post,) = await first.poster.wait_for_posts()
    async with running(alertmanager, tmp_path) as second:
        await second.fire("DiskFull", severity="warning", resolved=True)
        (edit,) = await second.poster.wait_for_edits()
        assert edit.ref == post.ref
        assert second.poster.posts == []


async def test_a_silence_from_chat_is_in_alertmanager_and_stops_the_posts(
    alertmanager: AlertmanagerServer, tmp_path: Path
) -> None:
    async with running(alertmanager, tmp_path) as rig:
        await rig.say("C-OPS", "subscribe")
        reply = await rig.say("C-OPS", "silence HighLatency for 2h")
        assert reply.title == "Silenced HighLatency for 2h"
        (silence,) = await asyncio.to_thread(rig.am.silences)
        assert silence["status"]["state"] == "active"
        assert silence["createdBy"] == "Ana (chat:U0ANA)"
        assert silence["comment"] == "from chat by Ana (chat:U0ANA)"
        assert silence["matchers"] == [
            {"name": "alertname", "value": "HighLatency", "isRegex": False, "isEqual": True}
        ]
        length = _at(silence["endsAt"]) - _at(silence["startsAt"])
        assert 7190 <= length.total_seconds() <= 7210

        await rig.fire("HighLatency")
        await rig.fire("DiskFull", severity="warning")
        await rig.poster.wait_for_posts()
        await asyncio.sleep(QUIET_SECONDS)
        assert [p.reply.title for p in rig.poster.posts] == ["Firing: DiskFull on checkout-api-1"]
        held = {
            a["labels"]["alertname"]: a["status"] for a in await asyncio.to_thread(rig.am.alerts)
        }
        assert held["HighLatency"]["silencedBy"] == [silence["id"]]

        firing = await rig.say("C-OPS", "what alerts are firing?")
        assert firing.table is not None
        assert [row[1] for row in firing.table.rows] == ["DiskFull"], "read from Alertmanager"
        assert firing.footer == "Source: Alertmanager"  # not the metrics source's "demo data"

        listed = await rig.say("C-OPS", "silences")
        assert listed.table is not None
        assert listed.table.rows[0][0] == silence["id"][:8]
        ended = await rig.say("C-OPS", f"unsilence {silence['id'][:5]}")
        assert ended.title == f"Silence {silence['id'][:8]} ended"
        (expired,) = await asyncio.to_thread(rig.am.silences)
        assert expired["status"]["state"] == "expired"
        await rig.poster.wait_for_posts(2)
        assert rig.poster.posts[1].reply.title == "Firing: HighLatency on checkout-api-1"


async def test_a_silence_by_someone_off_call_or_of_unreadable_length_is_never_made(
    alertmanager: AlertmanagerServer, tmp_path: Path
) -> None:
    """Eve is not on call; Ana's "for -5m" and "for 0s" cannot be read: Alertmanager gets
    no silence at all (no 1-hour default, no instance=~"0s" matcher)."""
    async with running(alertmanager, tmp_path) as rig:
        refused = await rig.say("C-OPS", "silence HighLatency for 2h", "U0EVE", "Eve")
        assert "not allowed to silence or unsilence alerts" in refused.text
        assert "policy.alerts.silence" in refused.text
        for text in ("silence NodeDown for -5m", "silence NodeDown for 0s"):
            assert "I couldn't read the duration" in (await rig.say("C-OPS", text)).text
        assert await asyncio.to_thread(rig.am.silences) == []


async def test_the_button_silence_for_a_target_is_made_on_its_instance(
    alertmanager: AlertmanagerServer, tmp_path: Path
) -> None:
    async with running(alertmanager, tmp_path) as rig:
        await rig.say("C-OPS", "subscribe")
        await rig.fire("InstanceDown", instance="web-2:9100", job="node")
        (post,) = await rig.poster.wait_for_posts()
        (menu,) = post.reply.menus
        button = next(c for c in menu.options if c.label == "4 hours")
        assert button.command == "silence InstanceDown on web-2 for 4h"
        await rig.say("C-OPS", button.command)
        (silence,) = await asyncio.to_thread(rig.am.silences)
        assert {m["name"]: m["value"] for m in silence["matchers"]} == {
            "alertname": "InstanceDown", "instance": "web-2(:[0-9]+)?",
        }  # fmt: skip
        held = await asyncio.to_thread(rig.am.alerts)
        assert held[0]["status"]["silencedBy"] == [silence["id"]], "it matches the alert"


async def test_a_webhook_without_the_token_is_refused_and_runs_nothing(
    start_alertmanager: StartAlertmanager, tmp_path: Path
) -> None:
    alertmanager = start_alertmanager(token="not-the-bots-token")
    async with running(alertmanager, tmp_path) as rig:
        await rig.say("C-OPS", "subscribe")
        await rig.fire("HighLatency")
        for _ in range(100):
            if await asyncio.to_thread(rig.am.failed_notifications) >= 1:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("Alertmanager never tried the webhook")
        async with ClientSession() as http:
            response = await http.post(rig.am.webhook_url, data=recorded("firing.json"))
            assert response.status == 401
        assert rig.poster.posts == []
    async with open_alert_store_at(rig.database) as store:
        assert await store.find_groups("") == []


async def test_readiness_checks_alertmanager(
    alertmanager: AlertmanagerServer, tmp_path: Path
) -> None:
    async with running(alertmanager, tmp_path) as rig:
        (check,) = rig.checks
        assert check.name == "alertmanager"
        await check.check()
        alertmanager.stop()
        with pytest.raises(DependencyError, match="unreachable"):
            await check.check()


def _at(raw: str) -> datetime:
    return datetime.fromisoformat(raw)
