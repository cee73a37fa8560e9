"""A reply stored as JSON (for stores shared by replicas) comes back the same, and anything
else is refused rather than half-read."""

from __future__ import annotations

import pytest

from bot.core.model import (
    Chart,
    Choice,
    ChoiceStyle,
    Field,
    Form,
    Menu,
    Reply,
    Severity,
    Table,
    Visibility,
)
from storage.replies import decode_reply, encode_reply

FULL = Reply(
    text="You may not restart payments.",
    echo="restart payments",
    title="Refused",
    fields=(Field("Now", "42 %"), Field("Peak", "97 %")),
    table=Table(("target", "cpu"), (("web-1", "42 %"), ("web-2", "—"))),
    code="up == 0",
    charts=(Chart("cpu of web-1", b"\x89PNG\r\n\x1a\n\x00\xff", "cpu.png", "a line"),),
    choices=(Choice("Approve", "approve 12", ChoiceStyle.PRIMARY), Choice("Share", "share")),
    menus=(Menu("Silence for...", (Choice("30 min", "silence X for 30m"),)),),
    forms=(Form("Add reason", "Why?", "Reason", "reason 12 {text}", max_length=200),),
    severity=Severity.WARNING,
    footer="Source: demo data",
    correlation_id="c0ffee",
    visibility=Visibility.PRIVATE,
)


@pytest.mark.parametrize("reply", [FULL, Reply(text="")])
def test_a_reply_survives_the_round_trip(reply: Reply) -> None:
    assert decode_reply(encode_reply(reply)) == reply


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"text": "x"}',
        encode_reply(FULL).replace(b'"warning"', b'"purple"'),
        encode_reply(FULL).replace(b'"Now"', b"7"),
        encode_reply(FULL).replace(b"reason 12 {text}", b"reason 12"),
    ],
)
def test_anything_else_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="not a stored reply"):
        decode_reply(raw)
