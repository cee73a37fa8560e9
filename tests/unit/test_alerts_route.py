"""The alert route in front of the parser: ``silences``, ``unsilence ID``, ``subscriptions`` and
``ack <group id>`` become their own intents; ``unsilence`` followed by anything never reaches
the parser (which would read it as a silence); everything else does, ``ack <AlertName>``
included (the parser's own meaning: a silence)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.alerts.route import AlertRoute, parse_alert_command
from intents.model import Intent, Turn


class EchoParser:
    """Records what it was asked and answers ``unknown``."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def parse(self, text: str, history: Sequence[Turn] = ()) -> Intent:
        self.seen.append(text)
        return Intent("unknown", 0.0)


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("silences", "silences", {}),
        ("list active silences?", "silences", {}),
        ("Show me the silences", "silences", {}),
        ("what's silenced", "silences", {}),
        ("unsilence 3f2a9c1e", "unsilence", {"silence_id": "3f2a9c1e"}),
        ("unsilence #3F2A", "unsilence", {"silence_id": "3F2A"}),
        ("expire silence 3f2a9c1e-11aa-4bb2", "unsilence", {"silence_id": "3f2a9c1e-11aa-4bb2"}),
        ("unmute HighLatency", "unsilence", {"silence_id": "HighLatency"}),
        ("unsilence web-2 please", "unsilence", {"silence_id": "web-2"}),
        ("unsilence", "unsilence", {}),
        ("subscriptions", "subscriptions", {}),
        ("list this channel's subscriptions", "subscriptions", {}),
        ("what is this channel subscribed to?", "subscriptions", {}),
        ("ack 3f2a9c1e", "ack", {"group_id": "3f2a9c1e"}),
        ("acknowledge alert group 3f2a", "ack", {"group_id": "3f2a"}),
        ("ack", "ack", {}),
    ],
)
def test_alert_commands_become_their_intents(text: str, intent: str, slots: dict[str, str]) -> None:
    parser = EchoParser()
    found = AlertRoute(parser).parse(text)
    assert (found.name, dict(found.slots)) == (intent, slots)
    assert parser.seen == []


@pytest.mark.parametrize(
    "text",
    ["silence HighLatency for 2h", "subscribe critical", "unsubscribe", "acknowledged?",
     "silenced alerts on web-1", "what alerts are firing", "ack KubePodCrashLooping",
     "acknowledge HighMemory on payments"],
)  # fmt: skip
def test_everything_else_goes_to_the_parser(text: str) -> None:
    parser = EchoParser()
    assert AlertRoute(parser).parse(text).name == "unknown"
    assert parser.seen == [text]
    assert parse_alert_command(text) is None
