"""Which Discord messages address the bot, and the IncomingMessage they become."""

from __future__ import annotations

import pytest

from adapters.discord.inbound import (
    InteractionFacts,
    MessageFacts,
    Person,
    Place,
    addressed_text,
    from_interaction,
    from_message,
)

BOT = 1100000000000000001
ANA = Person(1300000000000000001, "Ana")
GUILD = Place(1200000000000000001, 1200000000000000002)
DM = Place(None, 1400000000000000001)


def facts(
    content: str,
    *,
    place: Place = GUILD,
    author: Person = ANA,
    mentions: frozenset[int] = frozenset(),
    is_plain: bool = True,
) -> MessageFacts:
    return MessageFacts(1329001122334455667, content, author, place, mentions, is_plain)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (f"<@{BOT}> cpu of web-1", "cpu of web-1"),
        (f"<@!{BOT}>, cpu of web-1", "cpu of web-1"),
        (f"hey <@{BOT}>: status", "hey status"),
        (f"<@{BOT}>", "help"),
        (f"<@{BOT}> promql\nsum(up)", "promql\nsum(up)"),
    ],
)
def test_a_mention_addresses_the_bot_and_is_removed_from_the_text(
    content: str, expected: str
) -> None:
    text = addressed_text(facts(content, mentions=frozenset({BOT})), bot_id=BOT, prefix=None)
    assert text == expected


def test_channel_messages_without_mention_or_prefix_are_not_for_the_bot() -> None:
    assert addressed_text(facts("cpu of web-1"), bot_id=BOT, prefix=None) is None
    assert addressed_text(facts("cpu of web-1"), bot_id=BOT, prefix="!ops") is None


def test_mentioning_someone_else_does_not_address_the_bot() -> None:
    other = facts("<@1300000000000000002> cpu", mentions=frozenset({1300000000000000002}))
    assert addressed_text(other, bot_id=BOT, prefix=None) is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("!ops cpu of web-1", "cpu of web-1"),
        ("!OPS status", "status"),
        ("  !ops: status", "status"),
        ("!ops", "help"),
        ("!opsx status", None),
        ("ops status", None),
    ],
)
def test_a_configured_prefix_addresses_the_bot(content: str, expected: str | None) -> None:
    assert addressed_text(facts(content), bot_id=BOT, prefix="!ops") == expected


def test_a_symbol_prefix_needs_no_space() -> None:
    assert addressed_text(facts("!status"), bot_id=BOT, prefix="!") == "status"


def test_every_direct_message_is_for_the_bot() -> None:
    assert addressed_text(facts("status of payments", place=DM), bot_id=BOT, prefix=None) == (
        "status of payments"
    )


def test_bots_webhooks_system_messages_and_the_bot_itself_are_ignored() -> None:
    mention = frozenset({BOT})
    assert (
        addressed_text(
            facts(f"<@{BOT}> hi", author=Person(7, "other-bot", is_bot=True), mentions=mention),
            bot_id=BOT,
            prefix=None,
        )
        is None
    )
    assert addressed_text(facts("hi", place=DM, author=Person(BOT, "me")), bot_id=BOT,
                          prefix=None) is None  # fmt: skip
    assert (
        addressed_text(
            facts(f"<@{BOT}> pinned", mentions=mention, is_plain=False), bot_id=BOT, prefix=None
        )
        is None
    )


def test_a_guild_message_becomes_an_incoming_message_with_snowflake_ids() -> None:
    message = from_message(facts(f"<@{BOT}> cpu", mentions=frozenset({BOT})), bot_id=BOT,
                           prefix=None)  # fmt: skip
    assert message is not None
    assert (message.platform, message.team_id, message.channel_id, message.user_id) == (
        "discord", "1200000000000000001", "1200000000000000002", "1300000000000000001",
    )  # fmt: skip
    assert (message.text, message.user_name, message.is_direct, message.thread_id) == (
        "cpu", "Ana", False, None,
    )  # fmt: skip
    assert message.message_id == "1329001122334455667"


def test_a_direct_message_has_the_dm_team_and_is_direct() -> None:
    message = from_message(facts("status", place=DM), bot_id=BOT, prefix=None)
    assert message is not None
    assert (message.team_id, message.channel_id, message.is_direct) == (
        "dm", "1400000000000000001", True,
    )  # fmt: skip


def test_a_thread_message_keeps_the_parent_channel_and_names_the_thread() -> None:
    thread = Place(1200000000000000001, 1200000000000000002, 1200000000000000003)
    message = from_message(facts(f"<@{BOT}> cpu", place=thread, mentions=frozenset({BOT})),
                           bot_id=BOT, prefix=None)  # fmt: skip
    assert message is not None
    assert (message.channel_id, message.thread_id) == ("1200000000000000002", "1200000000000000003")
    assert message.key.thread_id == "1200000000000000003"


def test_an_interaction_speaks_as_the_clicking_user() -> None:
    ben = Person(1300000000000000002, "Ben")
    message = from_interaction(InteractionFacts(42, ben, GUILD), "  approve 12 ")
    assert (message.user_id, message.user_name, message.text, message.message_id) == (
        "1300000000000000002", "Ben", "approve 12", "42",
    )  # fmt: skip


def test_another_persons_mention_stays_in_the_text_as_an_at_name() -> None:
    """ "@bot @bob restart web-1" is said to Bob too: the parser must see that (and not act)."""
    content = f"<@{BOT}> <@!1300000000000000002> restart web-1"
    mentions = frozenset({BOT, 1300000000000000002})
    text = addressed_text(facts(content, mentions=mentions), bot_id=BOT, prefix=None)
    assert text == "@1300000000000000002 restart web-1"
