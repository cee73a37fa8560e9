"""Teams activities -> IncomingMessage: ids, threads, mentions and button clicks."""

from __future__ import annotations

import pytest

from adapters.teams.inbound import (
    click_of,
    is_bot_account,
    join_conversation_id,
    message_text,
    split_conversation_id,
    to_incoming,
)
from tests.fakes.teams_activities import (
    ADELE_AAD,
    BOT_ID,
    CHANNEL,
    GROUP_CHAT,
    MEGAN_AAD,
    PERSONAL,
    TEAM,
    TENANT,
    activity,
    payload,
)


def test_channel_mention_is_stripped_and_keyed_on_channel_thread_and_aad_id() -> None:
    """A channel post: the bot's mention is gone, ids are immutable, the thread is the post."""
    message = to_incoming(activity(payload("channel_mention")))
    assert message.text == "what can you do?"
    assert message.platform == "teams"
    assert message.user_id == MEGAN_AAD
    assert message.user_name == "Megan Bowen"
    assert message.team_id == TEAM
    assert message.channel_id == CHANNEL
    assert message.thread_id == "1715678477118"
    assert message.message_id == "1715678477118"
    assert message.is_direct is False


def test_personal_chat_is_direct_and_keyed_on_the_tenant() -> None:
    """A personal chat has no thread; its team id is the tenant."""
    message = to_incoming(activity(payload("personal_message")))
    assert message.text == "what can you do?"
    assert message.is_direct is True
    assert message.channel_id == PERSONAL
    assert message.thread_id is None
    assert message.team_id == TENANT


def test_group_chat_keeps_other_mentions_as_at_names() -> None:
    """Only the bot's own mention is removed; another person's becomes ``@Name``, so the
    parser knows the words are (also) said to someone else."""
    message = to_incoming(activity(payload("group_chat_mention")))
    assert message.text == "what can you do? cc @AdeleVance"
    assert message.channel_id == GROUP_CHAT
    assert message.is_direct is False


def test_mention_markup_and_entities_never_survive_into_the_text() -> None:
    """Attributes on an ``<at>`` tag, HTML entities and non-breaking spaces are cleaned up."""
    body = payload(
        "channel_mention",
        text='<at id="0">SmartCloudOps</at>&nbsp;cpu of <b>web-1</b> &amp; more\u00a0 now',
    )
    assert message_text(activity(body)) == "cpu of <b>web-1</b> & more now"


def test_bare_mention_gives_empty_text() -> None:
    """Mentioning the bot with nothing else leaves no words (the bot then shows help)."""
    assert message_text(activity(payload("channel_mention", text="<at>SmartCloudOps</at>"))) == ""


def test_sender_without_aad_object_id_falls_back_to_channel_id() -> None:
    """Some clients omit ``aadObjectId``; the channel-scoped id is still immutable."""
    body = payload("personal_message")
    del body["from"]["aadObjectId"]
    assert to_incoming(activity(body)).user_id == body["from"]["id"]


def test_click_is_read_from_the_submit_data_as_the_clicking_user() -> None:
    """A card click carries our command and label; the user is whoever clicked."""
    click_activity = activity(payload("card_click"))
    click = click_of(click_activity)
    assert click is not None
    assert (click.command, click.label, click.card_id) == ("help", "Show help", "1715678479000")
    message = to_incoming(click_activity, text=click.command)
    assert message.user_id == ADELE_AAD
    assert message.thread_id == "1715678477118"


@pytest.mark.parametrize(
    "value",
    [{"command": ""}, {"command": 7}, {"other": "x"}, "help", ["help"], {"command": "x" * 1001}],
)
def test_values_that_are_not_our_buttons_are_not_clicks(value: object) -> None:
    """Only a non-empty string ``command`` within bounds counts as a click."""
    assert click_of(activity(payload("card_click", value=value))) is None


def test_click_without_label_uses_the_command() -> None:
    """The label is display only; without one the command is shown."""
    click = click_of(activity(payload("card_click", value={"command": "approve 12"})))
    assert click is not None
    assert click.label == "approve 12"


def test_conversation_ids_split_and_join_round_trip() -> None:
    """``;messageid=`` separates the channel from the thread root, and back."""
    assert split_conversation_id(f"{CHANNEL};messageid=42") == (CHANNEL, "42")
    assert split_conversation_id(PERSONAL) == (PERSONAL, None)
    assert join_conversation_id(CHANNEL, "42") == f"{CHANNEL};messageid=42"
    assert join_conversation_id(CHANNEL, None) == CHANNEL


def test_bot_account_is_recognised_among_members() -> None:
    """``membersAdded`` naming the recipient means the bot itself was added."""
    update = activity(payload("bot_added_to_team"))
    assert is_bot_account(update, update.members_added[0])
    assert update.members_added[0].id == BOT_ID
    assert not is_bot_account(update, update.from_property)
