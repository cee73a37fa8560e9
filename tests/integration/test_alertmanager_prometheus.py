"""The whole production path with real services: a Prometheus alerting rule fires, Prometheus
sends it to Alertmanager, Alertmanager groups it and calls the bot's webhook, and the bot
posts it once in the subscribed channel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.harness.alertmanager import AlertmanagerServer, StartRulePrometheus
from tests.integration.test_alertmanager_webhook import QUIET_SECONDS, running

pytestmark = pytest.mark.integration

RULES = [
    {
        "alert": "CheckoutErrorBudgetBurn",
        "expr": "vector(1)",
        "labels": {"severity": "critical", "service": "checkout-api"},
        "annotations": {"summary": "checkout-api is burning its error budget 14x too fast"},
    }
]


async def test_a_prometheus_rule_reaches_the_subscribed_channel_once(
    alertmanager: AlertmanagerServer, start_rule_prometheus: StartRulePrometheus, tmp_path: Path
) -> None:
    async with running(alertmanager, tmp_path) as rig:
        await rig.say("C-OPS", "subscribe critical for checkout-api")
        await rig.say("C-WEB", "subscribe critical for web-1")
        start_rule_prometheus(alertmanager, RULES)
        (post,) = await rig.poster.wait_for_posts(within=30)
        assert post.channel.channel_id == "C-OPS"
        assert post.reply.title == "Firing: CheckoutErrorBudgetBurn on checkout-api"
        assert "burning its error budget" in post.reply.text
        assert [c.command for c in post.reply.menus[0].options][:1] == [
            "silence CheckoutErrorBudgetBurn for 30m"
        ]
        await asyncio.sleep(QUIET_SECONDS)
        assert len(rig.poster.posts) == 1, "Prometheus re-sends every second; posted once"
