"""A core Reply rendered as a Discord embed with attachments and buttons."""

from __future__ import annotations

import pytest

from adapters.discord.buttons import CUSTOM_ID_PREFIX
from adapters.discord.render import (
    COLOURS,
    EMBED_TOTAL_LIMIT,
    LONG_OUTPUT_FILE,
    NO_MENTIONS,
    code_block,
    escape,
    render,
)
from bot.core.model import Chart, Choice, ChoiceStyle, Field, Reply, Severity, Table
from tests.fakes.discord_bot import PNG


def test_title_text_fields_and_footer_fill_the_embed() -> None:
    reply = Reply(
        title="CPU · web-1",
        text="CPU of web-1 is 12 % now.",
        fields=(Field("Now", "12 %"), Field("Detail", "x" * 60)),
        footer="Source: demo data",
        correlation_id="abc123",
    )
    embed = render(reply).embed
    assert embed.title == "CPU · web-1"
    assert embed.description == "CPU of web-1 is 12 % now."
    assert [(f.name, f.value, f.inline) for f in embed.fields] == [
        ("Now", "12 %", True),
        ("Detail", "x" * 60, False),
    ]
    assert embed.footer.text == "Source: demo data · ref abc123"


@pytest.mark.parametrize("severity", list(Severity))
def test_the_colour_follows_the_severity(severity: Severity) -> None:
    colour = render(Reply(text="x", severity=severity)).embed.colour
    assert colour is not None
    assert colour.value == COLOURS[severity]
    assert len(set(COLOURS.values())) == len(Severity)


def test_user_text_cannot_mention_or_format() -> None:
    text = (
        "@everyone @here <@&1200000000000000009> <@1300000000000000001> **bold** [x](https://e.vil)"
    )
    embed = render(Reply(text=text, fields=(Field("@here", "@everyone"),))).embed
    description = embed.description or ""
    for ping in ("@everyone", "@here", "<@&1200000000000000009>", "<@1300000000000000001>"):
        assert ping not in description
    assert "@\u200beveryone" in description
    assert "\\*\\*bold\\*\\*" in description
    assert "\\[x](" in description
    assert (embed.fields[0].name, embed.fields[0].value) == ("@\u200bhere", "@\u200beveryone")


def test_code_and_tables_go_in_code_blocks_that_cannot_be_closed_early() -> None:
    reply = Reply(
        text="Result:",
        code="sum(rate(x[5m]))\n``` @everyone",
        table=Table(("target", "up"), (("web-1", "yes"),)),
    )
    description = render(reply).embed.description or ""
    assert description.count("```") == 4
    assert "target" in description
    assert "web-1" in description
    assert code_block("a```b") == "```\na`\u200b``b\n```"


def test_charts_are_attachments_and_the_first_is_the_embed_image() -> None:
    charts = (
        Chart("CPU", PNG, "cpu of web/1.png", "CPU of web-1"),
        Chart("Memory", PNG, "cpu of web/1.png", "Memory of web-1"),
    )
    rendered = render(Reply(text="x", charts=charts), file_prefix="9-")
    names = [u.filename for u in rendered.uploads]
    assert names == ["9-cpu-of-web-1.png", "9-cpu-of-web-1-2.png"]
    assert rendered.embed.image.url == "attachment://9-cpu-of-web-1.png"
    assert [u.data for u in rendered.uploads] == [PNG, PNG]
    files = rendered.files()
    assert [f.filename for f in files] == names
    assert files[0].fp.read() == PNG


def test_long_output_is_cut_and_attached_whole_as_a_file() -> None:
    code = "\n".join(f"line {i:05d}" for i in range(2000))
    reply = Reply(text="Big output below.", code=code)
    rendered = render(reply)
    assert len(rendered.embed) <= EMBED_TOTAL_LIMIT
    assert LONG_OUTPUT_FILE in (rendered.embed.description or "")
    (upload,) = rendered.uploads
    assert upload.filename == LONG_OUTPUT_FILE
    assert upload.data.decode() == reply.plain_text()
    assert "line 01999" in upload.data.decode()


def test_too_many_fields_stay_within_limits_and_are_attached() -> None:
    fields = tuple(Field(f"f{i}", "v" * 900) for i in range(30))
    rendered = render(Reply(text="x", fields=fields))
    assert len(rendered.embed) <= EMBED_TOTAL_LIMIT
    assert len(rendered.embed.fields) < 30
    assert [u.filename for u in rendered.uploads] == [LONG_OUTPUT_FILE]


def test_choices_become_buttons_carrying_their_command() -> None:
    choices = (
        Choice("Approve", "approve 12", ChoiceStyle.PRIMARY),
        Choice("Deny", "deny 12", ChoiceStyle.DANGER),
    )
    rendered = render(Reply(text="Restart web-1?", choices=choices))
    assert rendered.buttons == (
        ("Approve", "approve 12", ChoiceStyle.PRIMARY),
        ("Deny", "deny 12", ChoiceStyle.DANGER),
    )


async def test_buttons_are_a_discord_view_with_styles_and_custom_ids() -> None:
    rendered = render(Reply(text="?", choices=(Choice("Deny", "deny 12", ChoiceStyle.DANGER),)))
    view = rendered.view()
    assert view is not None
    (row,) = view.to_components()
    (button,) = row["components"]
    assert (button["label"], button["custom_id"], button["style"]) == (
        "Deny", f"{CUSTOM_ID_PREFIX}deny 12", 4,
    )  # fmt: skip
    assert render(Reply(text="no choices")).view() is None


def test_a_command_too_long_for_a_button_is_listed_instead() -> None:
    command = "silence " + "x" * 120
    rendered = render(Reply(text="?", choices=(Choice("Silence", command),)))
    assert rendered.buttons == ()
    assert rendered.embed.fields[-1].name == "Reply with"
    assert "x" * 50 in (rendered.embed.fields[-1].value or "")


def test_the_outcome_heads_the_embed() -> None:
    embed = render(Reply(text="Approved."), outcome="Ben chose Approve").embed
    assert embed.author.name == "Ben chose Approve"


async def test_message_arguments_never_allow_mentions() -> None:
    kwargs = render(
        Reply(text="@everyone", charts=(Chart("c", PNG, "c.png", "c"),))
    ).message_kwargs()
    assert kwargs["allowed_mentions"] is NO_MENTIONS
    assert NO_MENTIONS.to_dict() == {"parse": []}
    assert [f.filename for f in kwargs["files"]] == ["c.png"]


def test_escape_leaves_plain_text_alone() -> None:
    assert escape("CPU of web-1 is 12 % now.") == "CPU of web-1 is 12 % now."


def test_a_state_changing_answer_starts_with_the_command_understood() -> None:
    embed = render(Reply(text="Refused: no role.", echo="restart payments")).embed
    assert embed.description == escape("Understood: `restart payments`") + "\n\nRefused: no role."
    assert render(Reply(text="Refused: no role.")).embed.description == "Refused: no role."
