"""The core's :class:`~bot.core.model.Reply` as an Adaptive Card (schema 1.5, what Teams renders
for bots on desktop, web and mobile), plus the activity's plain-text line.

Layout: title and text (in a coloured container when the severity is not plain info),
fields -> ``FactSet``, table -> ``Table``, code -> monospace ``TextRun`` lines on an emphasis
background, charts -> ``Image`` with a ``data:image/png;base64`` URL, footer -> subtle small
text. Controls (every one ends in a command sent as the person who used it):

- choices -> Universal Actions buttons (``Action.Execute``, verb :data:`COMMAND_VERB`) whose
  ``data`` is ``{"command": ..., "label": ...}``; they come back as ``adaptiveCard/action``
  invokes (:mod:`adapters.teams.actions`);
- menus -> a compact ``Input.ChoiceSet`` and an ``Action.Execute`` whose data lists the
  options; the pick comes back as the option's index, so only a listed command can be sent;
- forms -> an ``Action.Submit`` that opens a task module (``msteams.type: task/fetch``) with
  one text field (:mod:`adapters.teams.dialogs`).

Safety (see :mod:`adapters.teams.escape`): free text goes in ``TextRun``s, which never read
markdown; the ``FactSet`` strings are markdown-escaped; nothing here builds a mention entity.

Size: Teams refuses a message over its size limit (the limit excludes base64 images), so the
card is rendered with shrinking line/row caps until its text fits :data:`CARD_TEXT_BUDGET`,
and says it was cut. Nothing here imports the Bot Framework SDK: this is plain JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.teams.escape import cut, keep_spaces, markdown_literal, plain_line
from bot.core.markup import code_spans, quote_code
from bot.core.model import Chart, Choice, ChoiceStyle, Field, Form, Menu, Reply, Severity, Table
from bot.core.responder import WORKING_ON_IT

CARD_VERSION = "1.5"
CARD_SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
#: Characters of card JSON, images excluded (Teams counts UTF-16: 2 bytes a character, and
#: its documented limits have been 40 KB and 100 KB; this stays under the smaller).
CARD_TEXT_BUDGET = 18_000
#: Teams shows at most six actions on a card; further choices are listed as text.
MAX_ACTIONS = 6
ACTION_TITLE_LIMIT = 50
COMMAND_LIMIT = 1000
HEADLINE_LIMIT = 200
FALLBACK_LIMIT = 2000
CUT_NOTICE = "Cut to fit a Teams message; ask a narrower question to see everything."
#: The ``verb`` of a button that sends its command; refreshes use :data:`REFRESH_VERB`.
COMMAND_VERB = "command"
REFRESH_VERB = "refresh"
MENU_BUTTON = "Choose"
MAX_MENU_OPTIONS = 50

Element = dict[str, Any]

_SEVERITY_STYLE = {
    Severity.INFO: None,
    Severity.SUCCESS: "good",
    Severity.WARNING: "warning",
    Severity.CRITICAL: "attention",
    Severity.ERROR: "attention",
}
_SEVERITY_COLOUR = {
    Severity.INFO: "default",
    Severity.SUCCESS: "good",
    Severity.WARNING: "warning",
    Severity.CRITICAL: "attention",
    Severity.ERROR: "attention",
}
_ACTION_STYLE = {
    ChoiceStyle.DEFAULT: None,
    ChoiceStyle.PRIMARY: "positive",
    ChoiceStyle.DANGER: "destructive",
}


@dataclass(frozen=True, slots=True)
class Caps:
    """How much of each part a card shows; shrunk step by step for a reply that is too big."""

    text_lines: int = 60
    line_chars: int = 500
    fields: int = 40
    table_rows: int = 50
    code_lines: int = 80

    def halved(self) -> Caps:
        return Caps(
            text_lines=max(self.text_lines // 2, 4),
            line_chars=max(self.line_chars // 2, 80),
            fields=max(self.fields // 2, 4),
            table_rows=max(self.table_rows // 2, 4),
            code_lines=max(self.code_lines // 2, 4),
        )


@dataclass(frozen=True, slots=True)
class RenderedReply:
    """A card and the activity's plain-text line (notification preview and fallback);
    ``cut`` says the card could not show everything (see :data:`CUT_NOTICE`)."""

    card: Element
    text: str
    cut: bool = False


def render_reply(reply: Reply, *, outcome: str | None = None) -> RenderedReply:
    """``reply`` as a card; ``outcome`` (e.g. "Ann chose Approve") heads an updated card."""
    caps = Caps()
    card = _card(reply, caps, outcome, cut_note=False)
    cut_down = False
    for _ in range(4):
        if text_size(card) <= CARD_TEXT_BUDGET:
            break
        caps = caps.halved()
        card = _card(reply, caps, outcome, cut_note=True)
        cut_down = True
    return RenderedReply(card=card, text=headline(reply, outcome), cut=cut_down)


def render_notice(text: str = WORKING_ON_IT) -> RenderedReply:
    """A one-line card, e.g. the "Working on it…" placeholder that the answer replaces."""
    return RenderedReply(
        card=_envelope([_text_block(text, subtle=True)], [], fallback=text),
        text=plain_line(text, HEADLINE_LIMIT),
    )


def headline(reply: Reply, outcome: str | None = None) -> str:
    """The activity's ``text``: one plain line saying what the card is about (title, else the
    first line of the text), so notifications and text-only clients show something useful
    without repeating the whole card above it."""
    first = reply.title or next((line for line in reply.text.splitlines() if line.strip()), "")
    if not first:
        first = reply.plain_text().strip().split("\n", 1)[0]
    if outcome:
        first = f"{outcome}: {first}" if first else outcome
    return plain_line(quote_code(first), HEADLINE_LIMIT)


def text_size(card: Element) -> int:
    """Characters of ``card`` as JSON, not counting image data URLs (Teams does not count
    base64 images against a message's size)."""
    return len(json.dumps(card, ensure_ascii=False)) - sum(len(url) for url in _image_urls(card))


def choice_data(choice: Choice) -> dict[str, str]:
    """The data of a button; it comes back in the click's invoke (or, from a client that
    predates Universal Actions, as an ``Action.Submit`` message's ``value``)."""
    return {"command": choice.command, "label": choice.label}


def form_data(form: Form) -> dict[str, Any]:
    """What a form's button carries to ``task/fetch`` and its dialog back to ``task/submit``."""
    return {
        "title": cut(form.title, HEADLINE_LIMIT),
        "prompt": cut(form.prompt, HEADLINE_LIMIT),
        "command": form.command,
        "max": form.max_length,
    }


def has_controls(card: Element) -> bool:
    """Whether ``card`` offers anything to click, pick or fill in."""
    return any(True for _ in _controls(card))


# --------------------------------------------------------------------------- card


def _card(reply: Reply, caps: Caps, outcome: str | None, *, cut_note: bool) -> Element:
    body: list[Element] = []
    if outcome:
        body.append(_text_block(outcome, italic=True, subtle=True))
    if reply.echo_line:
        body.extend(_lines(reply.echo_line, caps, subtle=True, small=True))
    body.extend(_head(reply, caps))
    if reply.fields:
        body.append(_facts(reply.fields[: caps.fields], caps))
    if reply.table is not None and reply.table.columns:
        body.append(_table(reply.table, caps))
    if reply.code:
        body.append(_code(reply.code, caps))
    for chart in reply.charts:
        body.extend(_chart(chart))
    for index, menu in enumerate(reply.menus):
        body.extend(_menu(menu, index))
    shown, listed = _split_choices(reply.choices)
    forms, hinted = _split_forms(reply.forms, MAX_ACTIONS - len(shown))
    if listed or hinted:
        body.append(_more_commands([c.command for c in listed] + [f.hint for f in hinted]))
    if reply.shown_footer:
        body.extend(_lines(reply.shown_footer, caps, subtle=True, small=True))
    if cut_note:
        body.append(_text_block(CUT_NOTICE, italic=True, subtle=True, small=True))
    fallback = markdown_literal(cut(quote_code(reply.plain_text()), FALLBACK_LIMIT))
    actions = [_action(choice) for choice in shown] + [_form_action(form) for form in forms]
    return _envelope(body, actions, fallback=fallback)


def _envelope(body: list[Element], actions: list[Element], *, fallback: str) -> Element:
    card: Element = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA_URL,
        "version": CARD_VERSION,
        "fallbackText": fallback,
        "body": body or [_text_block(" ")],
    }
    if actions:
        card["actions"] = actions
    return card


def _head(reply: Reply, caps: Caps) -> list[Element]:
    items: list[Element] = []
    if reply.title:
        items.append(
            _rich(
                [_run(reply.title, weight="bolder", size="medium",
                      color=_SEVERITY_COLOUR[reply.severity])]
            )
        )  # fmt: skip
    items.extend(_lines(reply.text, caps))
    style = _SEVERITY_STYLE[reply.severity]
    if style is None or not items:
        return items
    return [{"type": "Container", "style": style, "bleed": True, "items": items}]


def _lines(text: str, caps: Caps, *, subtle: bool = False, small: bool = False) -> list[Element]:
    """One ``RichTextBlock`` per non-empty line: line breaks survive every renderer."""
    blocks: list[Element] = []
    gap = False
    lines = text.splitlines()
    for line in lines[: caps.text_lines]:
        if not line.strip():
            gap = bool(blocks)
            continue
        runs = [
            _run(piece, subtle=subtle, small=small, monospace=code)
            for piece, code in code_spans(cut(line, caps.line_chars))
        ]
        block = _rich(runs)
        block["spacing"] = "medium" if gap else "none" if blocks else "default"
        blocks.append(block)
        gap = False
    if len(lines) > caps.text_lines:
        blocks.append(_text_block(f"… {len(lines) - caps.text_lines} more lines", subtle=True))
    return blocks


def _facts(fields: Sequence[Field], caps: Caps) -> Element:
    return {
        "type": "FactSet",
        "facts": [
            {
                "title": markdown_literal(cut(f.label, 100)),
                "value": markdown_literal(cut(f.value, caps.line_chars)),
            }
            for f in fields
        ],
    }


def _table(table: Table, caps: Caps) -> Element:
    width = len(table.columns)
    header = _table_row(table.columns, width, bold=True)
    rows = [_table_row(row, width) for row in table.rows[: caps.table_rows]]
    element: Element = {
        "type": "Table",
        "columns": [{"type": "TableColumnDefinition", "width": 1} for _ in range(width)],
        "rows": [header, *rows],
        "firstRowAsHeader": True,
        "showGridLines": True,
    }
    hidden = len(table.rows) - caps.table_rows
    if hidden <= 0:
        return element
    note = _text_block(f"… {hidden} more rows", subtle=True, small=True)
    return {"type": "Container", "items": [element, note]}


def _table_row(cells: Sequence[str], width: int, *, bold: bool = False) -> Element:
    padded = [*cells[:width], *([""] * (width - len(cells)))]
    return {
        "type": "TableRow",
        "cells": [
            {
                "type": "TableCell",
                "items": [_rich([_run(cut(cell, 200) or " ", weight="bolder" if bold else None)])],
            }
            for cell in padded
        ],
    }


def _code(code: str, caps: Caps) -> Element:
    lines = code.splitlines() or [""]
    items = [
        _rich([_run(keep_spaces(cut(line, caps.line_chars)) or " ", monospace=True, small=True)],
              spacing="none")
        for line in lines[: caps.code_lines]
    ]  # fmt: skip
    if len(lines) > caps.code_lines:
        items.append(_text_block(f"… {len(lines) - caps.code_lines} more lines", subtle=True))
    return {"type": "Container", "style": "emphasis", "items": items}


def _chart(chart: Chart) -> list[Element]:
    data = base64.b64encode(chart.png).decode("ascii")
    image: Element = {
        "type": "Image",
        "url": f"data:image/png;base64,{data}",
        "altText": cut(chart.alt_text or chart.title, 250),
        "size": "stretch",
    }
    return [_rich([_run(chart.title, weight="bolder")]), image]


def _split_choices(choices: Sequence[Choice]) -> tuple[list[Choice], list[Choice]]:
    usable = [c for c in choices if c.command.strip() and len(c.command) <= COMMAND_LIMIT]
    return usable[:MAX_ACTIONS], usable[MAX_ACTIONS:]


def _split_forms(forms: Sequence[Form], room: int) -> tuple[list[Form], list[Form]]:
    usable = [f for f in forms if len(f.command) <= COMMAND_LIMIT]
    room = max(room, 0)
    return usable[:room], usable[room:]


def _action(choice: Choice) -> Element:
    action: Element = {
        "type": "Action.Execute",
        "title": plain_line(choice.label, ACTION_TITLE_LIMIT) or "Choose",
        "verb": COMMAND_VERB,
        "data": choice_data(choice),
    }
    style = _ACTION_STYLE[choice.style]
    if style is not None:
        action["style"] = style
    return action


def _form_action(form: Form) -> Element:
    """A button that opens the form's dialog: Teams sends ``task/fetch`` with this data."""
    return {
        "type": "Action.Submit",
        "title": plain_line(form.label, ACTION_TITLE_LIMIT) or "Open",
        "data": {"msteams": {"type": "task/fetch"}, "form": form_data(form)},
    }


def menu_input_id(index: int) -> str:
    return f"menu{index}"


def _menu(menu: Menu, index: int) -> list[Element]:
    """A compact choice set and its button; the pick is the option's index in the data."""
    options = [o for o in menu.options if o.command.strip() and len(o.command) <= COMMAND_LIMIT][
        :MAX_MENU_OPTIONS
    ]
    if not options:
        return []
    label = plain_line(menu.label, HEADLINE_LIMIT) or MENU_BUTTON
    choice_set: Element = {
        "type": "Input.ChoiceSet",
        "id": menu_input_id(index),
        "style": "compact",
        "label": label,
        "placeholder": label,
        "choices": [
            {"title": plain_line(o.label, ACTION_TITLE_LIMIT) or o.command, "value": str(i)}
            for i, o in enumerate(options)
        ],
    }
    button: Element = {
        "type": "Action.Execute",
        "title": MENU_BUTTON,
        "verb": COMMAND_VERB,
        "data": {
            "menu": menu_input_id(index),
            "options": [[o.label, o.command] for o in options],
        },
    }
    return [choice_set, {"type": "ActionSet", "actions": [button]}]


def _more_commands(commands: Sequence[str]) -> Element:
    runs = [_run("More: ", subtle=True)]
    for index, command in enumerate(commands):
        runs.append(_run(command, monospace=True))
        if index < len(commands) - 1:
            runs.append(_run(", ", subtle=True))
    return _rich(runs)


# --------------------------------------------------------------------------- elements


def _rich(runs: list[Element], *, spacing: str | None = None) -> Element:
    block: Element = {"type": "RichTextBlock", "inlines": runs}
    if spacing is not None:
        block["spacing"] = spacing
    return block


def _run(
    text: str,
    *,
    weight: str | None = None,
    size: str | None = None,
    color: str | None = None,
    subtle: bool = False,
    small: bool = False,
    italic: bool = False,
    monospace: bool = False,
) -> Element:
    """A ``TextRun``: shown verbatim, never read as markdown."""
    run: Element = {"type": "TextRun", "text": text}
    optional = {
        "weight": weight,
        "size": "small" if small else size,
        "color": None if color == "default" else color,
        "fontType": "monospace" if monospace else None,
    }
    run.update({key: value for key, value in optional.items() if value is not None})
    if subtle:
        run["isSubtle"] = True
    if italic:
        run["italic"] = True
    return run


def _text_block(
    text: str, *, subtle: bool = False, small: bool = False, italic: bool = False
) -> Element:
    return _rich([_run(text, subtle=subtle, small=small, italic=italic)])


def _controls(node: Any) -> Iterator[Element]:
    if isinstance(node, dict):
        if node.get("type") in ("Action.Execute", "Action.Submit", "Input.ChoiceSet"):
            yield node
        for key, value in node.items():
            if key != "refresh":
                yield from _controls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _controls(item)


def _image_urls(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "Image" and isinstance(node.get("url"), str):
            yield node["url"]
        for value in node.values():
            yield from _image_urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _image_urls(item)
