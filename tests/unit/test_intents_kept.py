"""The parser's kept readings: a message whose parse read neither the clock nor the turns of
the conversation is answered from the reading kept the first time, and only such a message.
Every labelled message of ``tests/unit/data`` (the safety corpus included) parses the same
with kept readings as without, whatever the time, timezone and history around it."""

from __future__ import annotations

import random
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from intents.evaluation import labelled_texts
from intents.model import Intent, IntentName, Turn
from intents.parser import KEPT_TEXT_CHARS, IntentParser
from ml.intent_classifier import IntentClassifier

DATA = Path(__file__).parent / "data"
T0 = 1_796_400_000.0  # a Monday, 2026-12-07 00:00 UTC
NOWS = (T0, T0 + 7.5 * 3600, T0 + 3 * 86_400 + 600, T0 - 200 * 86_400)
HISTORIES: tuple[tuple[Turn, ...], ...] = (
    (),
    (Turn("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}, T0 - 60),),
    (Turn("unknown", {}, T0 - 30, "restart payments"),),
    (Turn("status", {"target": "db-1"}, T0 - 500), Turn("help", {}, T0 - 10)),
)


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return IntentClassifier.load()


def test_kept_readings_change_no_parse(classifier: IntentClassifier) -> None:
    """Each labelled message, parsed in shuffled order at several moments (in a timezone
    west of UTC) and after several histories, gives what a parser keeping nothing gives."""
    tz = timezone(timedelta(hours=-7))
    fresh = IntentParser(classifier, timezone=tz, kept=0)
    keeping = IntentParser(classifier, timezone=tz)
    scenarios = [(history, now) for history in HISTORIES for now in NOWS]
    shuffle = random.Random(7).shuffle
    differences = []
    for text in labelled_texts(DATA):
        shuffle(scenarios)
        for history, now in scenarios:
            if keeping.parse(text, history, now) != fresh.parse(text, history, now):
                differences.append((text, history, now))
    assert differences == []
    assert keeping.kept_hits > 0


def test_a_repeated_question_is_parsed_once(classifier: IntentClassifier) -> None:
    """ "what's down?" reads neither the clock nor the turns: asked again, at another moment
    and after other turns, it is the kept reading, equal to a fresh parse."""
    parser = IntentParser(classifier)
    history = (Turn("status", {}, T0 - 5),)
    first = parser.parse("what's down?", history, T0)
    again = parser.parse("what's down?", (*history, Turn("help", {}, T0)), T0 + 86_400)
    assert parser.kept_hits == 1
    assert again == first
    assert again == IntentParser(classifier, kept=0).parse("what's down?", history, T0 + 86_400)


def test_a_reading_that_needs_the_clock_is_not_kept(classifier: IntentClassifier) -> None:
    """ "cpu of web-1 since yesterday" means another window on another day."""
    parser = IntentParser(classifier)
    monday = parser.parse("cpu of web-1 since yesterday", (), T0)
    tuesday = parser.parse("cpu of web-1 since yesterday", (), T0 + 86_400)
    assert parser.kept_hits == 0
    assert tuesday.slots["start"] == monday.slots["start"] + 86_400


def test_a_follow_up_is_read_against_its_own_history(classifier: IntentClassifier) -> None:
    """ "and memory?" takes the target of whichever conversation it is in."""
    parser = IntentParser(classifier)
    web = parser.parse("and memory?", (Turn("metric_query", {"target": "web-1"}, T0),), T0)
    db = parser.parse("and memory?", (Turn("metric_query", {"target": "db-1"}, T0),), T0)
    assert (web.slots["target"], db.slots["target"]) == ("web-1", "db-1")
    assert parser.kept_hits == 0


def test_a_yes_confirms_only_what_is_still_open(classifier: IntentClassifier) -> None:
    """A "yes" reads the turn before and the clock: a stale "did you mean" is not confirmed."""
    parser = IntentParser(classifier)
    asked = (Turn("unknown", {}, T0, "restart payments"),)
    fresh = parser.parse("yes", asked, T0 + 10)
    stale = parser.parse("yes", asked, T0 + 3600)
    assert (fresh.suggestion, stale.suggestion) == ("restart payments", None)


def test_with_and_without_history_are_kept_apart(classifier: IntentClassifier) -> None:
    """ "web-1" alone asks for its status in a new conversation, and nothing without one to
    refine (a whole history would be a follow-up: that reads the turns)."""
    parser = IntentParser(classifier)
    alone = parser.parse("web-1", (), T0)
    assert alone.name is IntentName.STATUS
    fresh = IntentParser(classifier, kept=0)
    history = (Turn("unknown", {}, T0),)
    assert parser.parse("web-1", history, T0) == fresh.parse("web-1", history, T0)
    assert parser.parse("web-1", (), T0 + 5) == alone


def test_a_kept_reading_cannot_be_changed_through_an_answer(classifier: IntentClassifier) -> None:
    """Each parse gets mappings of its own."""
    parser = IntentParser(classifier)
    first = parser.parse("status of web-1")
    assert isinstance(first.slots, dict)
    first.slots["target"] = "db-1"
    assert parser.parse("status of web-1").slots == {"target": "web-1"}
    assert parser.kept_hits == 1


def test_kept_readings_are_bounded(classifier: IntentClassifier) -> None:
    """The oldest reading goes first; a long message is never kept."""
    parser = IntentParser(classifier, kept=2)
    for text in ("status of web-1", "status of web-2", "status of web-3", "status of web-1"):
        parser.parse(text)
    assert parser.kept_hits == 0
    parser.parse("status of web-3")
    assert parser.kept_hits == 1
    long = "status of web-1 " + "please " * (KEPT_TEXT_CHARS // 7)
    assert parser.parse(long) == parser.parse(long)
    assert parser.kept_hits == 1


def test_keeping_nothing(classifier: IntentClassifier) -> None:
    parser = IntentParser(classifier, kept=0)
    intents: list[Intent] = [parser.parse("what's down?") for _ in range(3)]
    assert parser.kept_hits == 0
    assert intents[0] == intents[2]
