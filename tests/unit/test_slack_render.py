"""Rendering the core's replies as Block Kit: escaped, within Slack's limits, nothing lost."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack.escape import WORD_JOINER, cut, escape
from adapters.slack.render import (
    FULL_REPLY_FILENAME,
    render,
    render_click_outcome,
    render_placeholder,
)
from bot.core.model import Chart, Choice, ChoiceStyle, Field, Reply, Severity, Table

HOSTILE = "<!channel> @here <@U0CA5> <https://evil.example|click> a & b > c"


def texts(blocks: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> list[str]:
    """Every displayed ``text`` string in the blocks."""
    found: list[str] = []

    def walk(value: object, key: str = "") -> None:
        if isinstance(value, str) and key == "text":
            found.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)

    walk(list(blocks))
    return found


def sdk_validates(blocks: tuple[dict[str, Any], ...]) -> None:
    """slack_sdk's own Block Kit models accept every block (they check Slack's limits) and
    give back the same JSON byte for byte (the renderer builds the dicts itself)."""
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        assert json.dumps(parsed.to_dict()) == json.dumps(block)


def test_escape_neutralises_markup_and_broadcasts() -> None:
    assert escape("a & b <c> @channel @HERE @everyone") == (
        f"a &amp; b &lt;c&gt; @{WORD_JOINER}channel @{WORD_JOINER}HERE @{WORD_JOINER}everyone"
    )


def test_escape_leaves_ordinary_at_signs_alone() -> None:
    assert escape("mail ops@example.com, @channels, @hereby") == (
        "mail ops@example.com, @channels, @hereby"
    )


def test_escape_is_one_translation_and_one_substitution() -> None:
    """The shortcuts for text without ``&<>`` or ``@`` change nothing: every string over a
    small alphabet escapes as the plain translate-then-substitute would."""
    entities = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
    broadcast = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
    rng = random.Random(3)
    pieces = ["&", "<", ">", "@", "channel", "HERE", "every", "one", " ", "x", "amp;", "é"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert escape(text) == broadcast.sub("@" + WORD_JOINER, text.translate(entities))


def test_cut_never_splits_an_entity() -> None:
    text = escape("x" * 8 + "&&&&")  # "xxxxxxxx&amp;&amp;..."
    for limit in range(9, 20):
        fitted, was_cut = cut(text, limit, "…")
        assert was_cut
        assert len(fitted) <= limit
        assert re.search(r"&(?!amp;)", fitted) is None, fitted


def test_cut_prefers_a_line_break() -> None:
    text = "\n".join(f"line {i}" for i in range(100))
    fitted, was_cut = cut(text, 100, " …")
    assert was_cut
    assert fitted.endswith(("line 11 …", "line 12 …"))
    assert fitted.rsplit("\n", 1)[-1].startswith("line ")


def test_every_part_of_a_reply_is_rendered() -> None:
    reply = Reply(
        title="CPU of web-1", text="42 % now", fields=(Field("Peak", "97 %"),),
        table=Table(("host", "cpu"), (("web-1", "42"),)), code="rate(x[5m])",
        footer="Source: demo data", severity=Severity.WARNING,
        choices=(Choice("Silence 1h", "silence HighCPU for 1h", ChoiceStyle.DANGER),),
    )  # fmt: skip
    message = render(reply)
    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["header", "section", "section", "section", "section", "actions", "context"]
    header, text, fields, table, code, actions, context = message.blocks
    assert header["text"]["text"] == ":warning: CPU of web-1"
    assert text["text"]["text"] == "42 % now"
    assert fields["fields"][0]["text"] == "*Peak*\n97 %"
    assert table["text"]["text"].startswith("```\n")
    assert "web-1" in table["text"]["text"]
    assert code["text"]["text"] == "```\nrate(x[5m])\n```"
    [button] = actions["elements"]
    assert (button["value"], button["style"]) == ("silence HighCPU for 1h", "danger")
    assert context["elements"][0]["text"] == "Source: demo data"
    assert message.files == ()
    assert message.text == ":warning: CPU of web-1"
    sdk_validates(message.blocks)


def test_mrkdwn_is_verbatim_so_slack_adds_no_mentions_or_links() -> None:
    message = render(Reply(text="hi", fields=(Field("a", "b"),), footer="f"))
    mrkdwn = re.findall(r'"type": "mrkdwn", "verbatim": (\w+)', json.dumps(message.blocks))
    assert mrkdwn == ["true", "true", "true"]


def test_user_text_is_escaped_everywhere_it_appears() -> None:
    reply = Reply(
        title=HOSTILE, text=HOSTILE, fields=(Field(HOSTILE, HOSTILE),), code=HOSTILE,
        table=Table((HOSTILE,), ((HOSTILE,),)), footer=HOSTILE,
        choices=(Choice(HOSTILE, "echo hi"),),
    )  # fmt: skip
    message = render(reply)
    shown = [*texts(message.blocks), message.text]
    assert len(shown) == 8  # header, text, field, table, code, button, footer, notification
    for text in shown:
        assert "<" not in text, text
        assert ">" not in text, text
        assert re.search(r"@(channel|here|everyone)", text) is None, text


def test_chart_becomes_a_file_with_a_safe_name() -> None:
    chart = Chart("CPU <!here>", b"\x89PNG...", "../cpu of web-1?.png", "CPU, last hour")
    [file] = render(Reply(text="see chart", charts=(chart,))).files
    assert file.filename == "cpu-of-web-1-.png"
    assert file.content == b"\x89PNG..."
    assert file.title == "CPU &lt;!here&gt;"
    assert file.alt_text == "CPU, last hour"


def test_short_reply_is_not_cut() -> None:
    message = render(Reply(text="all good"))
    assert message.files == ()
    assert "full reply" not in json.dumps(message.blocks)


def test_oversized_reply_fits_slacks_limits_and_attaches_the_full_text() -> None:
    """A reply far beyond every Slack limit still renders a valid message; whatever was cut
    is in reply.txt."""
    reply = Reply(
        title="T" * 400, text="word " * 2000, code="\n".join(f"row {i}" for i in range(2000)),
        fields=tuple(Field(f"f{i}", "v" * 2500) for i in range(500)),
        footer="foot " * 1000,
        choices=tuple(Choice(f"choice number {i} " * 10, f"echo {i}") for i in range(30)),
    )  # fmt: skip
    message = render(reply)
    blocks = message.blocks
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
    sdk_validates(blocks)
    assert sum(len(b["elements"]) for b in blocks if b["type"] == "actions") == 30
    assert "reply.txt" in blocks[-1]["elements"][0]["text"]
    [full] = [f for f in message.files if f.filename == FULL_REPLY_FILENAME]
    assert full.content.decode() == reply.plain_text()


def test_a_command_too_long_for_a_button_is_left_out_not_shortened() -> None:
    reply = Reply(text="pick", choices=(Choice("ok", "echo ok"), Choice("huge", "x" * 2001)))
    message = render(reply)
    values = [e["value"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == ["echo ok"]
    assert any(f.filename == FULL_REPLY_FILENAME for f in message.files)


def test_placeholder_says_working_on_it() -> None:
    assert "Working on it…" in json.dumps(render_placeholder().blocks, ensure_ascii=False)


ORIGINAL = (
    {"type": "section", "block_id": "q", "text": {"type": "mrkdwn", "text": "Restart?"}},
    {"type": "actions", "block_id": "sco:choices:ab12cd34:0", "elements": []},
    {"type": "actions", "block_id": "someone-elses", "elements": []},
)


def test_click_outcome_replaces_the_buttons_with_who_chose_what_and_the_answer() -> None:
    message = render_click_outcome(
        ORIGINAL, label="Approve", user_id="U0CA5", reply=Reply(text="Approved.")
    )
    assert [b.get("block_id") for b in message.blocks[:2]] == ["q", "someone-elses"]
    assert message.blocks[2]["elements"][0]["text"] == "*Approve* by <@U0CA5>"
    assert message.blocks[3]["text"]["text"] == "Approved."
    assert message.text == "Approved."


def test_pending_click_says_it_is_being_worked_on() -> None:
    message = render_click_outcome(ORIGINAL, label="Approve", user_id="U0CA5", reply=None)
    assert "Working on it…" in message.blocks[-1]["elements"][0]["text"]


@pytest.mark.parametrize("user_id", ["<!channel>", "U0CA5> <!here", ""])
def test_click_outcome_mentions_only_real_user_ids(user_id: str) -> None:
    message = render_click_outcome(ORIGINAL, label="<!here>", user_id=user_id, reply=None)
    text = message.blocks[-1]["elements"][0]["text"]
    assert "<!" not in text
    assert "by someone" in text


def test_click_outcome_stays_within_fifty_blocks() -> None:
    many = tuple({"type": "divider", "block_id": f"d{i}"} for i in range(49))
    big = Reply(text="x", fields=tuple(Field(str(i), "v") for i in range(100)))
    message = render_click_outcome(many, label="Go", user_id="U0CA5", reply=big)
    assert len(message.blocks) <= 50
    assert any("*Go* by <@U0CA5>" in t for t in texts(message.blocks))


def test_every_kind_of_block_is_the_json_slack_sdk_would_make() -> None:
    reply = Reply(
        title="t", text="x", fields=(Field("a", "b"),), footer="f",
        choices=(Choice("Go", "go", ChoiceStyle.PRIMARY), Choice("Plain", "plain")),
    )  # fmt: skip
    message = render(reply)
    sdk_validates(message.blocks)
    sdk_validates(render_placeholder().blocks)
    click = render_click_outcome(message.blocks, label="Go", user_id="U0CA5", reply=reply)
    sdk_validates(click.blocks)


def test_a_state_changing_answer_starts_with_the_command_understood() -> None:
    reply = Reply(title="Refused", text="<!channel> no", echo="restart payments")
    first, header, *_ = render(reply).blocks
    assert first["type"] == "context"
    assert first["elements"][0]["text"] == "Understood: `restart payments`"
    assert header["type"] == "header"
    assert render(Reply(title="Refused", text="no")).blocks[0]["type"] == "header"
