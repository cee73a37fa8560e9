"""The core's :class:`~bot.core.model.Reply` rendered as a Slack message: Block Kit plus files.

Title -> header, text -> section, fields -> section fields (10 per section), table and code
-> code blocks, menus -> static selects, choices and forms -> buttons (a form's button opens
its modal, :func:`render_form_modal`), footer -> context; charts become files (uploaded next to
the message). Everything is escaped (:mod:`adapters.slack.escape`), because a reply can quote
what a user typed. Slack rejects a message over its limits (3000 characters per section,
2000 per field, 50 blocks, ...), so long parts are cut and the whole reply is attached as a
text file instead of being lost.

Blocks are built as the JSON Slack takes, not as ``slack_sdk.models`` objects: turning those
into dicts (``to_dict``, which validates every attribute again) was a tenth of the CPU of a
slash command's answer. Keys are in ``to_dict``'s (sorted) order, so the JSON is the same
byte for byte; the tests check every block against ``slack_sdk``'s own models.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.slack.escape import cut, escape
from adapters.slack.inbound import (
    CHOICE_ACTION_PREFIX,
    CHOICES_BLOCK_PREFIX,
    FORM_ACTION_PREFIX,
    FORM_CALLBACK_ID,
    FORM_INPUT_ACTION,
    FORM_INPUT_BLOCK,
    MAX_FORM_COMMAND,
    MAX_FORM_TEXT,
    MENU_ACTION_PREFIX,
    FormSpec,
    is_user_id,
)
from bot.core.formatting import render_table
from bot.core.model import ChoiceStyle, Field, Form, Menu, Reply, Severity
from bot.core.responder import WORKING_ON_IT

# Slack's published limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT_LIMIT = 150
CONTEXT_TEXT_LIMIT = 2000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BUTTONS_PER_BLOCK = 25
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
OPTIONS_PER_MENU = 100
PLACEHOLDER_LIMIT = 150
MODAL_TITLE_LIMIT = 24
INPUT_LABEL_LIMIT = 2000
ALT_TEXT_LIMIT = 1000
#: The notification text; Slack would take 40 000, but it only has to say what this is.
FALLBACK_TEXT_LIMIT = 500

CUT_MARK = " …"
FULL_REPLY_FILENAME = "reply.txt"
CUT_NOTICE = f"Cut at Slack's size limits: the full reply is attached as `{FULL_REPLY_FILENAME}`."

_SEVERITY_EMOJI = {
    Severity.INFO: "",
    Severity.SUCCESS: ":white_check_mark: ",
    Severity.WARNING: ":warning: ",
    Severity.CRITICAL: ":rotating_light: ",
    Severity.ERROR: ":x: ",
}
_BUTTON_STYLE = {ChoiceStyle.PRIMARY: "primary", ChoiceStyle.DANGER: "danger"}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_FENCE = "```"

JsonBlock = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlackFile:
    """A file to upload next to the message (a chart, or the full text of a cut reply)."""

    filename: str
    content: bytes
    title: str
    alt_text: str | None = None


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A message ready for ``chat.postMessage``/``chat.update``/``response_url``.

    ``text`` is the escaped notification text, ``blocks`` the Block Kit JSON (within Slack's
    limits), ``files`` what to upload with it.
    """

    text: str
    blocks: tuple[JsonBlock, ...] = ()
    files: tuple[SlackFile, ...] = ()


def render(reply: Reply) -> SlackMessage:
    """The Slack form of ``reply``."""
    page = _Page()
    if reply.echo_line:
        page.blocks.append(_context_block(page.fitted(escape(reply.echo_line), CONTEXT_TEXT_LIMIT)))
    emoji = _SEVERITY_EMOJI[reply.severity]
    if reply.title:
        page.header(emoji + reply.title)
        emoji = ""
    if reply.text:
        page.section(emoji + escape(reply.text))
    for start in range(0, len(reply.fields), FIELDS_PER_SECTION):
        page.fields(reply.fields[start : start + FIELDS_PER_SECTION])
    if reply.table is not None:
        page.code(render_table(reply.table))
    if reply.code:
        page.code(reply.code)
    tail = list(_choice_blocks(reply, page))
    if reply.shown_footer:
        tail.append(_context_block(page.fitted(escape(reply.shown_footer), CONTEXT_TEXT_LIMIT)))
    blocks = page.fit(tail)
    files = tuple(_chart_files(reply))
    if page.was_cut:
        full = reply.plain_text().encode("utf-8")
        files += (SlackFile(FULL_REPLY_FILENAME, full, "Full reply"),)
    return SlackMessage(text=_fallback(reply), blocks=blocks, files=files)


def render_placeholder() -> SlackMessage:
    """The "Working on it…" message that a slow answer replaces."""
    return SlackMessage(text=WORKING_ON_IT, blocks=(_context_block(f"_{WORKING_ON_IT}_"),))


def render_notice(text: str) -> SlackMessage:
    """A plain one-line message (an apology): no blocks, so nothing in it can be refused."""
    return SlackMessage(text=escape(text))


def render_click_outcome(
    original: Sequence[Mapping[str, Any]], *, label: str, user_id: str, reply: Reply | None
) -> SlackMessage:
    """The clicked message updated: its buttons replaced by who chose what, then the answer.

    With ``reply`` None the answer is still being worked on and the message says so.
    """
    who = f"<@{user_id}>" if is_user_id(user_id) else "someone"
    outcome = f"*{escape(label)}* by {who}"
    answer = render(reply) if reply is not None else None
    status = _context_block(outcome if answer else f"{outcome}: _{WORKING_ON_IT}_")
    kept = [dict(b) for b in original if not _is_choices_block(b)]
    extra = answer.blocks if answer else ()
    room = MAX_BLOCKS - 1 - len(extra)
    blocks = (*kept[: max(room, 0)], status, *extra)[:MAX_BLOCKS]
    text = answer.text if answer else escape(f"{label}: {WORKING_ON_IT}")
    return SlackMessage(text=text, blocks=blocks, files=answer.files if answer else ())


class _Page:
    """Blocks under construction, remembering whether anything had to be cut."""

    def __init__(self) -> None:
        self.blocks: list[JsonBlock] = []
        self.was_cut = False

    def fitted(self, text: str, limit: int) -> str:
        """``text`` (escaped) within ``limit``, noting a cut."""
        fitted, was_cut = cut(text, limit, CUT_MARK)
        self.was_cut |= was_cut
        return fitted

    def header(self, raw: str) -> None:
        text = self.fitted(escape(raw), HEADER_TEXT_LIMIT)
        self.blocks.append({"text": _plain(text), "type": "header"})

    def section(self, escaped: str) -> None:
        self.blocks.append(
            {"text": _mrkdwn(self.fitted(escaped, SECTION_TEXT_LIMIT)), "type": "section"}
        )

    def fields(self, fields: Sequence[Field]) -> None:
        texts = [
            _mrkdwn(self.fitted(f"*{escape(f.label)}*\n{escape(f.value)}", FIELD_TEXT_LIMIT))
            for f in fields
        ]
        self.blocks.append({"fields": texts, "type": "section"})

    def code(self, raw: str) -> None:
        body = escape(raw.replace(_FENCE, "`\u200b``"))
        limit = SECTION_TEXT_LIMIT - 2 * len(_FENCE) - 2
        self.section(f"{_FENCE}\n{self.fitted(body, limit)}\n{_FENCE}")

    def fit(self, tail: list[JsonBlock]) -> tuple[JsonBlock, ...]:
        """Content blocks then ``tail`` (buttons, context), at most :data:`MAX_BLOCKS` in all;
        content is dropped first, and a cut is announced in a last context block."""
        room = MAX_BLOCKS - len(tail) - 1
        if len(self.blocks) > room:
            self.blocks = self.blocks[:room]
            self.was_cut = True
        notice = [_context_block(CUT_NOTICE)] if self.was_cut else []
        return tuple([*self.blocks, *tail, *notice][:MAX_BLOCKS])


def render_form_modal(spec: FormSpec) -> JsonBlock:
    """The modal a form button opens: one line of text, sent as ``spec``'s command. Where
    the answer goes rides along in ``private_metadata`` (checked again on submission)."""
    title, _ = cut(spec.title or "SmartCloudOps", MODAL_TITLE_LIMIT, "…")
    label, _ = cut(spec.prompt or "Text", INPUT_LABEL_LIMIT, "…")
    return {
        "blocks": [
            {
                "block_id": FORM_INPUT_BLOCK,
                "element": {
                    "action_id": FORM_INPUT_ACTION,
                    "max_length": spec.max_length,
                    "min_length": 1,
                    "type": "plain_text_input",
                },
                "label": _plain(label),
                "type": "input",
            }
        ],
        "callback_id": FORM_CALLBACK_ID,
        "close": _plain("Cancel"),
        "private_metadata": spec.to_json(),
        "submit": _plain("Send"),
        "title": _plain(title),
        "type": "modal",
    }


def _menu_blocks(reply: Reply, page: _Page, suffix: str) -> Iterator[JsonBlock]:
    """Each menu as a static select in an actions block of its own; an option whose command
    is too long to carry is left out (never shortened), like a button."""
    for n, menu in enumerate(reply.menus):
        options = list(_options(menu, page))
        if not options:
            continue
        placeholder, _ = cut(escape(menu.label), PLACEHOLDER_LIMIT, "…")
        select = {
            "action_id": f"{MENU_ACTION_PREFIX}{n}",
            "options": options,
            "placeholder": _plain(placeholder),
            "type": "static_select",
        }
        yield {"block_id": f"{CHOICES_BLOCK_PREFIX}:{suffix}:m{n}", "elements": [select],
               "type": "actions"}  # fmt: skip


def _options(menu: Menu, page: _Page) -> Iterator[JsonBlock]:
    for index, option in enumerate(menu.options):
        if len(option.command) > OPTION_VALUE_LIMIT or index >= OPTIONS_PER_MENU:
            page.was_cut = True
            continue
        text, _ = cut(escape(option.label), OPTION_TEXT_LIMIT, "…")
        yield {"text": _plain(text), "value": option.command}


def _form_button(index: int, form: Form, page: _Page) -> JsonBlock | None:
    if len(form.command) > MAX_FORM_COMMAND or not 0 < form.max_length <= MAX_FORM_TEXT:
        page.was_cut = True
        return None
    spec = FormSpec(form.command, form.title, form.prompt, form.max_length)
    label, _ = cut(escape(form.label), BUTTON_TEXT_LIMIT, "…")
    return {"action_id": f"{FORM_ACTION_PREFIX}{index}", "text": _plain(label),
            "type": "button", "value": spec.to_json()}  # fmt: skip


def _choice_blocks(reply: Reply, page: _Page) -> Iterator[JsonBlock]:
    """Menus, then buttons (choices, then forms), 25 per actions block; a choice whose
    command is too long to carry is left out (never shortened: a cut command would run
    something else)."""
    if not (reply.menus or reply.choices or reply.forms):
        return
    suffix = uuid.uuid4().hex[:8]
    yield from _menu_blocks(reply, page, suffix)
    buttons: list[JsonBlock] = []
    for index, choice in enumerate(reply.choices):
        if len(choice.command) > BUTTON_VALUE_LIMIT:
            page.was_cut = True
            continue
        label, _ = cut(escape(choice.label), BUTTON_TEXT_LIMIT, "…")
        style = _BUTTON_STYLE.get(choice.style)
        buttons.append(
            {
                "action_id": f"{CHOICE_ACTION_PREFIX}{index}",
                **({"style": style} if style is not None else {}),
                "text": _plain(label),
                "type": "button",
                "value": choice.command,
            }
        )
    buttons.extend(
        b for i, form in enumerate(reply.forms) if (b := _form_button(i, form, page)) is not None
    )
    for n, start in enumerate(range(0, len(buttons), BUTTONS_PER_BLOCK)):
        yield {
            "block_id": f"{CHOICES_BLOCK_PREFIX}:{suffix}:{n}",
            "elements": buttons[start : start + BUTTONS_PER_BLOCK],
            "type": "actions",
        }


def _context_block(text: str) -> JsonBlock:
    return {"elements": [_mrkdwn(text)], "type": "context"}


def _mrkdwn(text: str) -> JsonBlock:
    """A mrkdwn text object that Slack does not auto-parse (no implicit mentions or links)."""
    return {"text": text, "type": "mrkdwn", "verbatim": True}


def _plain(text: str) -> JsonBlock:
    return {"emoji": True, "text": text, "type": "plain_text"}


def _is_choices_block(block: Mapping[str, Any]) -> bool:
    block_id = block.get("block_id")
    return (
        block.get("type") == "actions"
        and isinstance(block_id, str)
        and block_id.startswith(CHOICES_BLOCK_PREFIX)
    )


def _chart_files(reply: Reply) -> Iterator[SlackFile]:
    for chart in reply.charts:
        name = _UNSAFE_FILENAME.sub("-", chart.filename).strip("-.") or "chart.png"
        alt_text = chart.alt_text[:ALT_TEXT_LIMIT] or None
        yield SlackFile(name, chart.png, escape(chart.title), alt_text)


def _fallback(reply: Reply) -> str:
    emoji = _SEVERITY_EMOJI[reply.severity]
    head = reply.title or reply.text or "(empty reply)"
    text, _ = cut(escape(head), FALLBACK_TEXT_LIMIT - len(emoji), CUT_MARK)
    return emoji + text
