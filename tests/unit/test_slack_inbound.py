"""Slack payloads (recorded shapes from ``tests/data/slack``) into the core's messages."""

from __future__ import annotations

import pytest

from adapters.slack import inbound
from tests.fakes.slack_requests import payload

BOT = "U0LAN0Z89"


def test_slash_command_becomes_a_message_with_immutable_ids() -> None:
    """Team, channel and user come from Slack's ids; the name is for display only."""
    message = inbound.from_slash_command(payload("slash_command"))
    assert (message.platform, message.team_id, message.channel_id, message.user_id) == (
        "slack", "T0001", "C2147483705", "U2147483697",
    )  # fmt: skip
    assert message.user_name == "steve"
    assert message.text == "cpu of web-1"
    assert not message.is_direct
    assert message.thread_id is None


def test_empty_slash_command_asks_for_help() -> None:
    """``/ops`` alone is a request for help."""
    assert inbound.from_slash_command(payload("slash_command") | {"text": "  "}).text == "help"


def test_slash_command_in_a_direct_message_is_direct() -> None:
    body = payload("slash_command") | {"channel_id": "D024BE91L", "channel_name": "directmessage"}
    assert inbound.from_slash_command(body).is_direct


def test_mention_loses_the_bots_own_mention() -> None:
    """``@bot cpu of web-1`` reaches the core as ``cpu of web-1``."""
    body = payload("app_mention")
    body["event"]["text"] = f"<@{BOT}> cpu of web-1"
    message = inbound.from_event(body, bot_user_id=BOT)
    assert message is not None
    assert (message.text, message.user_id, message.channel_id) == (
        "cpu of web-1", "U061F7AUR", "C0LAN2Q65",
    )  # fmt: skip
    assert message.message_id == body["event"]["ts"]


def test_mention_in_a_thread_carries_the_thread() -> None:
    body = payload("app_mention")
    body["event"]["thread_ts"] = "1515449000.000001"
    message = inbound.from_event(body, bot_user_id=BOT)
    assert message is not None
    assert message.thread_id == "1515449000.000001"


def test_thread_parent_is_not_a_thread() -> None:
    """A thread's parent message has ``thread_ts == ts``: it was asked at top level."""
    body = payload("app_mention")
    body["event"]["thread_ts"] = body["event"]["ts"]
    message = inbound.from_event(body, bot_user_id=BOT)
    assert message is not None
    assert message.thread_id is None


def test_direct_message_is_direct() -> None:
    message = inbound.from_event(payload("message_im"), bot_user_id=BOT)
    assert message is not None
    assert message.is_direct
    assert message.text == "Hello hello can you hear me?"


def test_file_share_in_a_direct_message_is_still_a_question() -> None:
    body = payload("message_im")
    body["event"]["subtype"] = "file_share"
    assert inbound.from_event(body, bot_user_id=BOT) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"user": BOT},
        {"bot_id": "B0LAN0Z89"},
        {"subtype": "bot_message"},
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"channel_type": "channel"},
        {"user": ""},
        {"type": "reaction_added"},
    ],
)
def test_events_the_bot_must_not_answer(change: dict[str, str]) -> None:
    """Own and other bots' messages, edits, deletions, channel chatter without a mention,
    messages without a user and unrelated events give no message."""
    body = payload("message_im")
    body["event"] |= change
    assert inbound.from_event(body, bot_user_id=BOT) is None


@pytest.mark.parametrize(
    ("slack_text", "plain"),
    [
        ("<!channel> disk of db-primary", "@channel disk of db-primary"),
        ("<!here|here> status", "here status"),
        ("<!subteam^S0614TZR7|@oncall> ping", "@oncall ping"),
        ("<@U0CA5|amy> and <@U0CA6>", "@amy and @U0CA6"),
        ("errors in <#C0OPS|ops>", "errors in #ops"),
        ("see <https://grafana.example.com/d|grafana.example.com/d>", "see grafana.example.com/d"),
        ("<https://example.com>", "https://example.com"),
        ("rate(x[5m]) &gt; 0.5 &amp;&amp; y &lt; 3", "rate(x[5m]) > 0.5 && y < 3"),
        ("&amp;lt;", "&lt;"),
    ],
)  # fmt: skip
def test_slack_markup_becomes_plain_text(slack_text: str, plain: str) -> None:
    """The core sees what the user saw, not Slack's markup."""
    assert inbound.plain_text(slack_text) == plain


def test_click_is_the_clicking_user_running_the_buttons_command() -> None:
    body = payload("block_actions")
    click = inbound.from_click(body, body["actions"][0])
    assert click is not None
    assert click.message.user_id == "U0CA5"
    assert click.message.text == "approve 12"
    assert click.message.channel_id == "C0CA5"
    assert click.message.thread_id is None
    assert click.label == "Approve"
    assert click.message_ts == "1548261231.000200"
    assert click.response_url == body["response_url"]
    assert [b["type"] for b in click.original_blocks] == ["section", "actions"]


def test_click_on_a_message_in_a_thread_stays_in_that_thread() -> None:
    body = payload("block_actions")
    body["message"]["thread_ts"] = "1548261000.000100"
    click = inbound.from_click(body, body["actions"][0])
    assert click is not None
    assert click.message.thread_id == "1548261000.000100"


def test_other_actions_are_not_choices() -> None:
    body = payload("block_actions")
    action = body["actions"][0] | {"action_id": "somebody_elses_button"}
    assert inbound.from_click(body, action) is None


def test_event_dedupe_key_is_the_event_id() -> None:
    """Retries of one delivery share the key; different events do not."""
    body = payload("app_mention")
    assert inbound.event_dedupe_key(body) == "slack:event:Ev0LAN670R"
    assert inbound.event_dedupe_key(body | {"event_id": "Ev0OTHER"}) != "slack:event:Ev0LAN670R"


def test_click_dedupe_key_differs_per_button_and_message() -> None:
    body = payload("block_actions")
    approve = inbound.from_click(body, body["actions"][0])
    deny = inbound.from_click(body, body["actions"][0] | {"value": "deny 12"})
    assert approve is not None
    assert deny is not None
    assert inbound.click_dedupe_key(approve) != inbound.click_dedupe_key(deny)
    again = inbound.from_click(body, body["actions"][0])
    assert again is not None
    assert inbound.click_dedupe_key(again) == inbound.click_dedupe_key(approve)
