"""The tenant allowlist (``policy.tenants``): every adapter names the message's tenant (Slack
team, Teams tenant, Discord guild), and a message from a tenant that is not served gets one
clear refusal and is never parsed, remembered or handled."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.discord.client import point_at
from adapters.discord.inbound import MessageFacts, Person, Place, from_message
from adapters.slack import inbound as slack_inbound
from adapters.slack.factory import SLACK_ADAPTER_KEY
from adapters.teams.factory import ENDPOINT_KEY, TeamsOptions
from adapters.teams.inbound import to_incoming
from adapters.teams.retry import RetryPolicy
from bot.app.config import FileSettings, Settings
from bot.app.server import build_web_app
from bot.app.services import open_services
from bot.app.wiring.teams import plugin as teams_plugin
from bot.core.dispatcher import Dispatcher
from bot.core.errors import ConfigError
from bot.core.model import ConversationKey, IncomingMessage, Reply
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.responder import WORKING_ON_IT
from bot.core.telemetry import Telemetry
from bot.features.access.tenants import TenantGate
from bot.features.remediation.policy import load_policy
from intents.model import Intent, Turn
from storage.memory import InMemoryContextStore
from tests.fakes.discord_bot import connected, fake_discord
from tests.fakes.discord_server import TOKEN
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, SlackBot, slack_settings
from tests.fakes.slack_requests import payload as slack_payload
from tests.fakes.slack_requests import slash_command
from tests.fakes.teams_activities import TENANT, activity, mention
from tests.fakes.teams_activities import payload as teams_payload
from tests.fakes.teams_cards import card_texts
from tests.fakes.teams_connector import FakeBotConnector

GUILD = 1200000000000000001
ANA = Person(1300000000000000001, "Ana")


def message(platform: str, tenant: str | None, text: str = "cpu of web-1") -> IncomingMessage:
    return IncomingMessage(platform, tenant or "dm", "C1", "U1", "ana", text, tenant_id=tenant)


# ---------------------------------------------------------------------- adapters name the tenant


def test_slack_messages_carry_their_team_as_the_tenant() -> None:
    """Slash commands, mentions and button clicks all name the workspace (``T0001``)."""
    command = slack_inbound.from_slash_command(slack_payload("slash_command"))
    mentioned = slack_inbound.from_event(slack_payload("app_mention"), bot_user_id="U0LAN0Z89")
    body = slack_payload("block_actions")
    click = slack_inbound.from_click(body, body["actions"][0])
    assert mentioned is not None
    assert click is not None
    assert [m.tenant_id for m in (command, mentioned, click.message)] == ["T0001"] * 3


@pytest.mark.parametrize("name", ["channel_mention", "personal_message", "group_chat_mention"])
def test_teams_messages_carry_the_entra_tenant_even_in_a_team_channel(name: str) -> None:
    """In a channel ``team_id`` is the team; the tenant is still the organisation's."""
    incoming = to_incoming(activity(teams_payload(name)))
    assert incoming.tenant_id == TENANT
    shouting = teams_payload("personal_message")
    shouting["channelData"]["tenant"]["id"] = TENANT.upper()
    assert to_incoming(activity(shouting)).tenant_id == TENANT


def test_discord_messages_carry_their_guild_and_direct_messages_none() -> None:
    in_guild = MessageFacts(1, "<@9> status", ANA, Place(GUILD, 5), frozenset({9}))
    direct = MessageFacts(2, "status", ANA, Place(None, 6), frozenset())
    guild_message = from_message(in_guild, bot_id=9, prefix=None)
    dm = from_message(direct, bot_id=9, prefix=None)
    assert guild_message is not None
    assert dm is not None
    assert guild_message.tenant_id == str(GUILD)
    assert dm.tenant_id is None


# ---------------------------------------------------------------------- the policy and the gate


def test_tenants_are_open_unless_listed_and_snowflakes_may_be_unquoted() -> None:
    tenants = load_policy({"tenants": {"discord": [GUILD], "slack": "T0001"}}).tenants
    assert tenants.allowlist("discord") == {str(GUILD)}
    assert tenants.allowlist("slack") == {"t0001"}
    assert tenants.allowlist("teams") is None
    assert load_policy({}).tenants.allowlist("slack") is None
    assert load_policy({"tenants": None}).tenants.allowlist("slack") is None  # all commented


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"slack": ["T0001 T0002"]}, "policy.tenants.slack[0]"),
        ({"mattermost": ["x"]}, "policy.tenants.mattermost"),
    ],
)
def test_bad_tenant_config_names_the_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_policy({"tenants": raw})
    assert str(caught.value).startswith(key)


def test_the_gate_admits_listed_tenants_and_refuses_the_rest_clearly() -> None:
    gate = TenantGate(load_policy({"tenants": {"slack": ["T0001"], "teams": [TENANT]}}).tenants)
    assert gate(message("slack", "T0001")) is None
    assert gate(message("teams", TENANT.upper())) is None
    assert gate(message("discord", str(GUILD))) is None  # no list: every guild
    refused = gate(message("slack", "T0BAD"))
    assert refused is not None
    assert refused.text == (
        "This bot is not enabled for this Slack workspace (T0BAD), so I can't answer here."
    )
    assert refused.footer is not None
    assert "add T0BAD to `policy.tenants.slack`" in refused.footer


def test_a_message_naming_no_tenant_is_refused_where_a_list_applies() -> None:
    """A Discord DM belongs to no guild, so a guild allowlist cannot admit it."""
    gate = TenantGate(load_policy({"tenants": {"discord": [GUILD]}}).tenants)
    refused = gate(message("discord", None))
    assert refused is not None
    assert "not in direct messages" in refused.text


# ---------------------------------------------------------------------- never dispatched


class RecordingParser:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def parse(self, text: str, history: Sequence[Turn] = (), now: float | None = None) -> Intent:
        self.texts.append(text)
        return Intent("metric_query", 0.9)


async def test_a_refused_tenant_is_never_parsed_remembered_or_handled() -> None:
    handled: list[Request] = []

    async def handler(request: Request) -> Reply:
        handled.append(request)
        return Reply(text="answered")

    parser, context, telemetry = RecordingParser(), InMemoryContextStore(), Telemetry()
    registry = Registry([HandlerSpec("metric_query", "metrics", "", (), handler)])
    gate = TenantGate(load_policy({"tenants": {"slack": ["T0001"]}}).tenants)
    dispatcher = Dispatcher(parser, context, registry, telemetry, gate=gate)

    outsider = message("slack", "T0BAD")
    refused = await dispatcher.handle(outsider)
    assert "not enabled for this Slack workspace" in refused.text
    assert refused.correlation_id
    assert parser.texts == []
    assert handled == []
    assert await context.recent(outsider.key) == []
    errors = telemetry.registry.get_sample_value(
        "smartcloudops_errors_total", {"platform": "slack", "kind": "not_admitted"}
    )
    assert errors == 1.0

    answered = await dispatcher.handle(message("slack", "T0001"))
    assert answered.text == "answered"
    assert parser.texts == ["cpu of web-1"]
    assert await context.recent(ConversationKey("slack", "T0001", "C1", "U1")) != []


@pytest.mark.parametrize(("allowed", "served"), [(["T0002"], False), (["T0001", "T0002"], True)])
async def test_slack_end_to_end_only_an_allowed_workspace_is_answered(
    allowed: list[str], served: bool
) -> None:
    """The real Slack adapter, built by the composition root with ``policy.tenants.slack``,
    answers a slash command from workspace T0001 only when T0001 is listed."""
    async with FakeSlack(bot_token=BOT_TOKEN) as fake:
        settings = dataclasses.replace(
            slack_settings(fake), file=FileSettings(policy={"tenants": {"slack": allowed}})
        )
        async with open_services(settings) as services:
            app = build_web_app(services.telemetry, services.checks, services.web_plugins)
            async with TestClient(TestServer(app)) as client:
                bot = SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET)
                request = slash_command("status web-1", response_url=fake.response_url("m"))
                status, _ = await bot.send(request)
                await bot.settle()
    assert status == 200
    shown = fake.calls_to("response_url")[-1].displayed()
    refusal = "This bot is not enabled for this Slack workspace (T0001)"
    assert (refusal not in shown) is served
    assert ("web-1" in shown) is served


@pytest.mark.parametrize(("allowed", "served"), [(["another-tenant"], False),
                                                 ([TENANT.upper()], True)])  # fmt: skip
async def test_teams_end_to_end_only_an_allowed_tenant_is_answered(
    allowed: list[str], served: bool
) -> None:
    """The real Teams adapter, built by the composition root with ``policy.tenants.teams``,
    answers a channel mention from tenant TENANT only when it is listed (GUIDs compare
    case-insensitively); otherwise the reply is the refusal, naming the tenant."""
    settings = Settings(
        file=FileSettings(development_mode=True, policy={"tenants": {"teams": allowed}})
    )
    options = TeamsOptions(placeholder_after=5.0, retry=RetryPolicy(base_delay=0.01))
    async with contextlib.AsyncExitStack() as stack:
        services = await stack.enter_async_context(open_services(settings))
        mount = await teams_plugin(services, stack, options=options)
        app = build_web_app(services.telemetry, services.checks, [mount])
        connector = await stack.enter_async_context(FakeBotConnector())
        client = await stack.enter_async_context(TestClient(TestServer(app)))
        await client.post("/api/messages", json=mention("cpu of web-1", service_url=connector.url))
        await app[ENDPOINT_KEY].drain()
        # The answer, or a placeholder the answer replaces on a slow machine.
        answers = connector.of_kind("reply") + connector.of_kind("update")
    shown = " ".join(
        f"{a.body.get('text', '')} {' '.join(t for c in a.cards for t in card_texts(c))}"
        for a in answers
    )
    refusal = f"This bot is not enabled for this Microsoft 365 tenant ({TENANT})"
    assert (refusal not in shown) is served
    assert ("web-1" in shown) is served


@pytest.mark.parametrize(
    ("allowed", "dm", "expected"),
    [
        ([str(GUILD)], False, "web-1"),
        (["1200000000000000999"], False, f"not enabled for this Discord server ({GUILD})"),
        ([str(GUILD)], True, "not in direct messages"),
    ],
)
async def test_discord_end_to_end_only_an_allowed_guild_is_answered(
    allowed: list[str], dm: bool, expected: str
) -> None:
    """The real Discord adapter over the fake gateway, built by the composition root with
    ``policy.tenants.discord``: a mention in a listed guild is answered; one in another
    guild, or a direct message (no guild), gets the refusal."""
    settings = Settings(
        discord_token=TOKEN, file=FileSettings(policy={"tenants": {"discord": allowed}})
    )
    async with fake_discord(heartbeat_ms=500) as fake, contextlib.AsyncExitStack() as stack:
        point_at(fake.api_base, fake.gateway_url)
        services = await stack.enter_async_context(open_services(settings))
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        server = TestServer(app)
        await server.start_server()
        stack.push_async_callback(server.close)
        await connected(fake)
        await fake.dispatch("MESSAGE_CREATE", fake.user_message("cpu of web-1", dm=dm))
        call = await fake.wait_for_call("POST", r"/channels/\d+/messages")
        if (call.body or {}).get("content") == WORKING_ON_IT:  # a slow machine: edited later
            call = await fake.wait_for_call("PATCH", r"/channels/\d+/messages/\d+")
    body = call.body or {}
    shown = str(body.get("content") or "") + " ".join(
        f"{e.get('title', '')} {e.get('description', '')} {e.get('footer', {}).get('text', '')}"
        for e in body.get("embeds") or ()
    )
    assert expected in shown
