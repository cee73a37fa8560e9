"""Replies as Adaptive Cards: every card valid against the 1.5 schema, every part shown,
user text inert, oversized replies cut to fit a Teams message."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from adapters.teams.render import (
    CARD_TEXT_BUDGET,
    COMMAND_VERB,
    CUT_NOTICE,
    MAX_ACTIONS,
    headline,
    render_notice,
    render_reply,
    text_size,
)
from bot.core.model import Chart, Choice, ChoiceStyle, Field, Form, Menu, Reply, Severity, Table
from bot.core.responder import WORKING_ON_IT
from tests.fakes.teams_cards import assert_valid_card, card_errors, card_texts

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

FULL = Reply(
    title="CPU · web-1 · last 4h",
    text="CPU of web-1 is 93 % now.\n\nUp from 40 % an hour ago.",
    fields=(Field("Now", "93 %"), Field("Peak", "97 % at 09:14")),
    table=Table(("host", "cpu"), (("web-1", "93 %"), ("web-2", "41 %"))),
    code='sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))',
    charts=(Chart("CPU of web-1", PNG, "cpu.png", "CPU of web-1 rising to 93 %"),),
    choices=(
        Choice("Restart web-1", "restart web-1", ChoiceStyle.DANGER),
        Choice("Silence 1h", "silence HighCPU for 1h", ChoiceStyle.PRIMARY),
        Choice("Details", "anything unusual on web-1"),
    ),
    severity=Severity.CRITICAL,
    footer="Source: demo data",
)

REPLIES = {
    "text only": Reply(text="Hello"),
    "empty": Reply(text=""),
    "full": FULL,
    "each severity": Reply(text="x", title="t", severity=Severity.WARNING),
    "success": Reply(text="done", severity=Severity.SUCCESS),
    "error without title": Reply(text="Sorry (reference abc)", severity=Severity.ERROR),
    "ragged table": Reply(text="", table=Table(("a", "b", "c"), (("1",), ("1", "2", "3", "4")))),
    "empty cells": Reply(text="", table=Table(("a", ""), (("", ""),))),
    "menu and form": Reply(
        text="HighLatency is firing",
        menus=(
            Menu("Silence for…", (Choice("30 min", "silence HighLatency for 30m"),)),
            Menu("Which target?", (Choice("web-1", "cpu of web-1"), Choice("", "cpu of web-2"))),
        ),
        forms=(Form("Add reason", "Why restart?", "Reason", "reason 12 {text}", max_length=200),),
        choices=(Choice("Approve", "approve 12", ChoiceStyle.PRIMARY),),
    ),
    "many choices": Reply(
        text="pick", choices=tuple(Choice(f"c{i}", f"cmd {i}") for i in range(9))
    ),
    "huge": Reply(
        text="\n".join(f"line {i} " + "x" * 300 for i in range(400)),
        fields=tuple(Field(f"f{i}", "v" * 400) for i in range(100)),
        table=Table(("a", "b"), tuple((f"r{i}", "y" * 300) for i in range(500))),
        code="\n".join("    " + "z" * 600 for _ in range(500)),
    ),
}


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_every_rendered_card_is_a_valid_1_5_adaptive_card(name: str) -> None:
    """Whatever the reply holds, the card passes the official schema and has a text line."""
    rendered = render_reply(REPLIES[name])
    assert_valid_card(rendered.card)
    assert_valid_card(render_reply(REPLIES[name], outcome="Ann chose “Approve”").card)
    assert text_size(rendered.card) <= CARD_TEXT_BUDGET


def test_the_validator_rejects_a_card_with_an_invented_property() -> None:
    """The schema check can fail: unknown keys and elements are violations."""
    card = render_reply(FULL).card
    card["body"].append({"type": "TextBlock", "text": "x", "colour": "red"})
    assert card_errors(card)
    assert card_errors({**render_reply(FULL).card, "version": "1.6"})


def test_full_reply_shows_facts_table_code_chart_and_buttons() -> None:
    """Fields -> FactSet, table -> Table, code -> monospace runs, chart -> data-URI Image."""
    card = render_reply(FULL).card
    elements = _elements(card)
    facts = next(e for e in elements if e["type"] == "FactSet")["facts"]
    assert [(f["title"], f["value"]) for f in facts] == [("Now", "93 %"), ("Peak", "97 % at 09:14")]
    table = next(e for e in elements if e["type"] == "Table")
    assert len(table["rows"]) == 3
    assert table["firstRowAsHeader"] is True
    monospace = [e for e in elements if e.get("fontType") == "monospace"]
    assert "".join(run["text"] for run in monospace).replace("\u00a0", " ") == FULL.code
    image = next(e for e in elements if e["type"] == "Image")
    assert image["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert image["altText"] == "CPU of web-1 rising to 93 %"
    assert "Source: demo data" in card_texts(card)


def test_choices_become_universal_actions_carrying_the_command() -> None:
    """Each choice is an Action.Execute (verb "command") whose data is the command (and
    label) to run."""
    actions = render_reply(FULL).card["actions"]
    assert [a["type"] for a in actions] == ["Action.Execute"] * 3
    assert {a["verb"] for a in actions} == {COMMAND_VERB}
    assert actions[0]["data"] == {"command": "restart web-1", "label": "Restart web-1"}
    assert actions[0]["style"] == "destructive"
    assert actions[1]["style"] == "positive"
    assert "style" not in actions[2]


def test_choices_beyond_teams_limit_are_listed_as_commands() -> None:
    """Teams shows six actions; the rest stay reachable as typed commands."""
    card = render_reply(REPLIES["many choices"]).card
    assert len(card["actions"]) == MAX_ACTIONS
    texts = card_texts(card)
    assert "cmd 6" in texts
    assert "cmd 8" in texts


def test_severity_colours_the_head() -> None:
    """Critical and error answers sit in an attention container; info has none."""
    critical = render_reply(FULL).card["body"][0]
    assert (critical["type"], critical["style"]) == ("Container", "attention")
    assert render_reply(Reply(text="x")).card["body"][0]["type"] == "RichTextBlock"


def test_user_text_is_shown_verbatim_never_as_mention_markup_or_link() -> None:
    """``<at>``, HTML and markdown from a user stay literal text runs; no entities exist."""
    hostile = "<at>everyone</at> [click](https://evil.example) **bold** <script>x</script>"
    card = render_reply(Reply(title=hostile, text=hostile, code=hostile)).card
    runs = [e for e in _elements(card) if e["type"] == "TextRun"]
    assert all(run["text"].replace("\u00a0", " ") == hostile for run in runs)
    assert len(runs) == 3
    assert not any(e["type"] == "TextBlock" for e in _elements(card))
    assert "msteams" not in json.dumps(card)
    assert "entities" not in json.dumps(card)


def test_code_spans_become_monospace_runs_without_backticks() -> None:
    """Cards do not render backticks: "Try `status web-2`." is a plain run then a monospace
    run holding the command, with no backtick left on the card."""
    card = render_reply(Reply(text="Try `status web-2` now.")).card
    assert_valid_card(card)
    runs = [e for e in _elements(card) if e["type"] == "TextRun"]
    assert [(r["text"], r.get("fontType")) for r in runs] == [
        ("Try ", None), ("status web-2", "monospace"), (" now.", None),
    ]  # fmt: skip
    assert "`" not in json.dumps(card)


def test_fact_strings_are_markdown_escaped() -> None:
    """FactSet strings are read as markdown by Teams, so links and emphasis are escaped."""
    card = render_reply(Reply(text="", fields=(Field("*who*", "[x](https://evil.example)"),))).card
    fact = next(e for e in _elements(card) if e["type"] == "FactSet")["facts"][0]
    assert fact == {"title": "\\*who\\*", "value": "\\[x\\](https://evil.example)"}


def test_headline_is_one_plain_line_without_angle_brackets() -> None:
    """The activity text (notification, fallback) cannot form a tag whatever the format."""
    line = headline(Reply(text="<at>Boss</at> look\nsecond line"))
    assert line == "‹at›Boss‹/at› look"
    assert headline(FULL) == "CPU · web-1 · last 4h"
    assert headline(Reply(text="x"), "Ann chose “Approve”") == "Ann chose “Approve”: x"


def test_oversized_reply_is_cut_with_a_notice() -> None:
    """A reply beyond a Teams message's size is shortened and says so."""
    rendered = render_reply(REPLIES["huge"])
    assert rendered.cut
    assert not render_reply(FULL).cut
    card = rendered.card
    assert text_size(card) <= CARD_TEXT_BUDGET
    assert CUT_NOTICE in card_texts(card)
    assert CUT_NOTICE not in card_texts(render_reply(FULL).card)


def test_chart_images_do_not_count_against_the_text_budget() -> None:
    """Teams excludes base64 images from its size limit; a big chart is not cut."""
    big = Reply(text="", charts=(Chart("c", b"\x89PNG" + b"\0" * 200_000, "c.png", "alt"),))
    card = render_reply(big).card
    assert CUT_NOTICE not in card_texts(card)
    assert text_size(card) < 2_000


def test_outcome_heads_the_updated_card() -> None:
    """After a click the card opens with who chose what."""
    card = render_reply(Reply(text="Approved."), outcome="Ann chose “Approve”").card
    assert card_texts(card)[:2] == ["Ann chose “Approve”", "Approved."]


def test_placeholder_card_says_working_on_it() -> None:
    """The slow-answer placeholder is a valid one-line card."""
    rendered = render_notice()
    assert_valid_card(rendered.card)
    assert card_texts(rendered.card) == [WORKING_ON_IT]
    assert rendered.text == WORKING_ON_IT


def _elements(node: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "type" in node:
            found.append(node)
        for value in node.values():
            found.extend(_elements(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_elements(item))
    return found


def test_a_state_changing_answer_starts_with_the_command_understood() -> None:
    card = render_reply(Reply(title="Refused", text="no role", echo="restart payments")).card
    texts = card_texts(card["body"])
    assert texts[0].startswith("Understood:")
    assert "restart payments" in texts[0] + (texts[1] if len(texts) > 1 else "")
    assert texts.index("Refused") > 0


def test_a_menu_is_a_compact_choice_set_whose_button_lists_the_commands() -> None:
    """Each menu: an Input.ChoiceSet (compact, labelled, one value per option, the option's
    index) and an Action.Execute whose data holds the options, so a pick maps back to one
    of the commands the card offered."""
    body = render_reply(REPLIES["menu and form"]).card["body"]
    sets = [e for e in body if e["type"] == "Input.ChoiceSet"]
    assert [s["id"] for s in sets] == ["menu0", "menu1"]
    assert sets[0]["style"] == "compact"
    assert sets[0]["label"] == sets[0]["placeholder"] == "Silence for…"
    assert sets[1]["choices"] == [
        {"title": "web-1", "value": "0"},
        {"title": "cpu of web-2", "value": "1"},
    ]
    buttons = [e["actions"][0] for e in body if e["type"] == "ActionSet"]
    assert [(b["type"], b["verb"]) for b in buttons] == [("Action.Execute", COMMAND_VERB)] * 2
    assert buttons[1]["data"] == {
        "menu": "menu1",
        "options": [["web-1", "cpu of web-1"], ["", "cpu of web-2"]],
    }


def test_a_form_is_a_button_that_opens_a_task_module() -> None:
    """A form's button is an Action.Submit asking Teams for a task module (task/fetch),
    carrying the form; it follows the choices."""
    actions = render_reply(REPLIES["menu and form"]).card["actions"]
    approve, form = actions
    assert approve["type"] == "Action.Execute"
    assert form == {
        "type": "Action.Submit",
        "title": "Add reason",
        "data": {
            "msteams": {"type": "task/fetch"},
            "form": {
                "title": "Why restart?",
                "prompt": "Reason",
                "command": "reason 12 {text}",
                "max": 200,
            },
        },
    }


def test_forms_beyond_teams_limit_are_listed_as_what_to_type() -> None:
    """With six buttons already, a form is shown as its command to type."""
    reply = Reply(
        text="pick",
        choices=tuple(Choice(f"c{i}", f"cmd {i}") for i in range(6)),
        forms=(Form("Add reason", "Why?", "Reason", "reason 12 {text}"),),
    )
    card = render_reply(reply).card
    assert len(card["actions"]) == MAX_ACTIONS
    assert "reason 12 <text>" in card_texts(card)
