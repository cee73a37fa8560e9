"""``whoami``: the id the policy needs, read from the message, never changing anything; and
near misses of command words offered back instead of guessed."""

from __future__ import annotations

import pytest

from bot.core.model import IncomingMessage
from bot.core.registry import Request
from bot.features.remediation.identity import identity_spec
from bot.features.remediation.policy import load_policy
from intents.model import Intent, IntentName
from ml.intent_classifier import build_parser

PARSER = build_parser()


@pytest.mark.parametrize(
    "text",
    ["whoami", "who am I?", "what's my user id?", "what is my slack id", "show me my id",
     "which id does the policy need for me?", "my id please"],
)  # fmt: skip
def test_questions_about_my_id_are_whoami(text: str) -> None:
    assert PARSER.parse(text).name is IntentName.WHOAMI


@pytest.mark.parametrize("text", ["what is my name", "who is on call", "who approved 12?"])
def test_other_questions_are_not(text: str) -> None:
    assert PARSER.parse(text).name is not IntentName.WHOAMI


def _asked(platform: str, user: str, channel: str, tenant: str | None = None) -> Request:
    message = IncomingMessage(
        platform=platform, team_id="T1", channel_id=channel, user_id=user,
        user_name="Ana", text="whoami", tenant_id=tenant,
    )  # fmt: skip
    return Request(message, Intent(IntentName.WHOAMI, 1.0), "cid")


async def test_whoami_names_the_principal_the_roles_and_where_the_id_is_shown() -> None:
    policy = load_policy({
        "roles": {"oncall": {"users": ["slack:U0ANA"]}, "sre": {"channels": ["slack:C0OPS"]}},
    })  # fmt: skip
    reply = await identity_spec(policy).handler(_asked("slack", "U0ANA", "C0OPS"))
    assert reply.title == "You are slack:U0ANA"
    assert "You hold `oncall`, `sre`." in reply.text
    assert {f.label: f.value for f in reply.fields} == {
        "You": "`slack:U0ANA`", "This channel": "`slack:C0OPS`",
    }  # fmt: skip
    assert "Copy member ID" in (reply.footer or "")


@pytest.mark.parametrize(
    ("platform", "tenant", "label"),
    [("slack", "T0ACME", "Slack workspace"), ("teams", "72f988bf-86f1", "Teams tenant"),
     ("discord", "1200000000000000001", "Discord server")],
)  # fmt: skip
async def test_whoami_names_the_tenant_the_allowlist_needs(
    platform: str, tenant: str, label: str
) -> None:
    reply = await identity_spec(load_policy({})).handler(_asked(platform, "U1", "C1", tenant))
    fields = {f.label: f.value for f in reply.fields}
    assert fields[label] == f"`{tenant}` (`policy.tenants.{platform}`)"


async def test_whoami_without_a_role_says_where_to_add_it() -> None:
    reply = await identity_spec(load_policy({})).handler(_asked("discord", "123456789", "42"))
    assert reply.title == "You are discord:123456789"
    assert "policy.roles.<role>.users" in reply.text
    assert "Developer Mode" in (reply.footer or "")


@pytest.mark.parametrize(
    ("text", "suggested"),
    [("histroy", "history"), ("whats dwn", "what is down"), ("promq up", "promql up"),
     ("silnce NodeDown for 1h", None)],
)  # fmt: skip
def test_near_misses_of_command_words_are_offered_not_acted_on(
    text: str, suggested: str | None
) -> None:
    intent = PARSER.parse(text)
    assert intent.name is IntentName.UNKNOWN
    if suggested is not None:
        assert intent.suggestion == suggested
