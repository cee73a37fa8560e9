"""A command that acts, acts exactly as asked: every length, count and name the user gave is
in its slots, or the command is refused whole. Found by probing the parser with phrasings of
on-call chat (the fifth session's probes); each case here acted differently from what was
asked before its fix.

The parser has a classifier that always says ``remediation`` with certainty (the worst case,
as in ``test_intents_commands``).
"""

from __future__ import annotations

import pytest

from intents.durations import compact_duration, parse_compact
from intents.model import STATE_CHANGING, IntentName, SlotValue
from intents.parser import IntentParser
from tests.unit.test_intents_commands import NOW, Insistent

# NOW is 2026-01-14 15:30 UTC, a Wednesday


@pytest.fixture
def parser() -> IntentParser:
    return IntentParser(Insistent(), actions=("flush-cache",))


def shape(parser: IntentParser, text: str) -> tuple[str, dict[str, SlotValue]]:
    intent = parser.parse(text, now=NOW)
    return intent.name.value, dict(intent.slots)


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("silence DiskFull until 5pm", {"alertname": "DiskFull", "duration": 90 * 60}),
        ("mute DiskFull till 17:45", {"alertname": "DiskFull", "duration": 135 * 60}),
        # "until tomorrow" is 09:00 the next day
        ("silence NodeDown on web-2 until tomorrow",
         {"alertname": "NodeDown", "target": "web-2", "duration": (17 * 60 + 30) * 60}),
        ("hey bot mute NodeDown on cache-1 til tomorrow",
         {"alertname": "NodeDown", "target": "cache-1", "duration": (17 * 60 + 30) * 60}),
    ],
)  # fmt: skip
def test_a_silence_until_a_time_lasts_until_that_time(
    parser: IntentParser, text: str, slots: dict[str, SlotValue]
) -> None:
    """The end a silence was given is its length, never the one-hour default it fell back to
    when "until" was read and then dropped."""
    assert shape(parser, text) == ("alert_silence", slots)


def test_a_silence_until_a_time_echoes_a_length_that_reads_back_the_same(
    parser: IntentParser,
) -> None:
    intent = parser.parse("silence NodeDown until tomorrow", now=NOW)
    assert intent.canonical == "silence NodeDown for 17h30m"
    assert parser.parse(intent.canonical, now=NOW).slots == intent.slots


@pytest.mark.parametrize(
    ("seconds", "text"), [(63_000, "17h30m"), (97_620, "1d3h7m"), (5_400, "90m"), (7_200, "2h")]
)
def test_long_mixed_durations_print_in_days_hours_and_minutes(seconds: int, text: str) -> None:
    assert compact_duration(seconds) == text
    assert parse_compact(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "silence NodeDown for 2h until 5pm",  # two lengths: which one?
        "silence NodeDown until 5pm for 2h",
        "silence NodeDown for ages",  # "ages" is no length and no target
        "silence NodeDown for maintenance",
        "silence NodeDown on web-1, web-2 for 2h",  # the list goes on with its own length
    ],
)
def test_a_silence_that_cannot_hold_all_it_was_told_is_refused_whole(
    parser: IntentParser, text: str
) -> None:
    intent = parser.parse(text, now=NOW)
    assert intent.name is IntentName.UNKNOWN
    assert intent.refusal == "extra_words"


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("silence alerts for payments", {"target": "payments"}),
        ("silence NodeDown for web-1", {"alertname": "NodeDown", "target": "web-1"}),
        ("silence NodeDown for payments for 2h",
         {"alertname": "NodeDown", "target": "payments", "duration": 7200}),
    ],
)  # fmt: skip
def test_a_name_after_for_is_still_what_is_silenced_where_it_can_be(
    parser: IntentParser, text: str, slots: dict[str, SlotValue]
) -> None:
    assert shape(parser, text) == ("alert_silence", slots)


@pytest.mark.parametrize(
    ("text", "replicas"),
    [
        ("scale search from 10 replicas down to 4", 4),
        ("scale payments up from 3 replicas to 6 replicas", 6),
        ("scale payments from 3 replicas to 6", 6),
        ("bump payments from 2 replicas to 4", 4),
        ("increase checkout-api from 3 to 5", 5),
    ],
)
def test_a_scale_from_one_count_to_another_asks_for_the_second(
    parser: IntentParser, text: str, replicas: int
) -> None:
    """The count it has now ("from 3 replicas") was taken for the count asked for."""
    name, slots = shape(parser, text)
    assert (name, slots["replicas"]) == ("remediation", replicas)


def test_a_scale_that_only_says_where_it_starts_has_no_count(parser: IntentParser) -> None:
    """ "scale payments from 3 replicas": the handler asks how many; 3 is not the answer."""
    name, slots = shape(parser, "scale payments from 3 replicas")
    assert name == "remediation"
    assert "replicas" not in slots


def test_a_reason_that_starts_with_a_name_is_still_a_reason(parser: IntentParser) -> None:
    """The list rule reads only clauses after the command."""
    assert parser.parse("web-1 has been down since 2am, restart it", now=NOW).name in (
        STATE_CHANGING
    )
