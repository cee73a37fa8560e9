"""Forms as Teams task modules (dialogs): pure reading of ``task/fetch`` / ``task/submit``
invokes and writing their answers.

A form's button (:func:`adapters.teams.render.form_data`) is an ``Action.Submit`` with
``msteams.type: task/fetch``; Teams sends its data as the ``task/fetch`` invoke's
``value.data``. The answer is a task module holding an Adaptive Card with one ``Input.Text``
(``id`` :data:`TEXT_INPUT`, at most the form's ``max_length``) and a Send button carrying the
form again; Teams sends that card's data, the typed text merged in, as ``task/submit``. The
command is :meth:`bot.core.model.Form.filled`: whitespace folded to one line and cut to the
form's length, here never more than :data:`TEXT_LIMIT`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.teams.escape import cut, plain_line
from adapters.teams.inbound import COMMAND_LIMIT
from adapters.teams.render import (
    CARD_CONTENT_TYPE,
    CARD_SCHEMA_URL,
    CARD_VERSION,
    HEADLINE_LIMIT,
    Element,
    form_data,
)
from bot.core.model import Form

TEXT_INPUT = "text"
#: The most a dialog's text may be, whatever a form (or a tampered invoke) asks for.
TEXT_LIMIT = 1000
SEND = "Send"
EMPTY = "Nothing was sent: the text was empty."


def form_of(data: Any) -> Form | None:
    """The form a ``task/fetch`` or ``task/submit`` invoke's ``value.data`` names; None when
    it names none or a malformed one."""
    if not isinstance(data, Mapping):
        return None
    raw = data.get("form")
    if not isinstance(raw, Mapping):
        return None
    title, prompt, command, limit = (raw.get(k) for k in ("title", "prompt", "command", "max"))
    if not (isinstance(title, str) and isinstance(prompt, str) and isinstance(command, str)):
        return None
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        return None
    if len(command) > COMMAND_LIMIT or "{text}" not in command:
        return None
    return Form(
        label=title,
        title=cut(title, HEADLINE_LIMIT),
        prompt=cut(prompt, HEADLINE_LIMIT),
        command=command,
        max_length=min(limit, TEXT_LIMIT),
    )


def submitted_text(data: Any) -> str:
    """The text typed into a dialog (empty when there is none)."""
    text = data.get(TEXT_INPUT) if isinstance(data, Mapping) else None
    return text if isinstance(text, str) else ""


def dialog_response(form: Form) -> dict[str, Any]:
    """The ``task/fetch`` answer: a task module with the form's one-field card."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": plain_line(form.title, HEADLINE_LIMIT),
                "height": "small",
                "width": "medium",
                "card": {"contentType": CARD_CONTENT_TYPE, "content": dialog_card(form)},
            },
        }
    }


def dialog_card(form: Form) -> Element:
    """One text field, labelled with the form's prompt, and a Send button."""
    field: Element = {
        "type": "Input.Text",
        "id": TEXT_INPUT,
        "label": plain_line(form.prompt, HEADLINE_LIMIT),
        "maxLength": form.max_length,
        "isRequired": True,
        "errorMessage": "Type something first.",
    }
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA_URL,
        "version": CARD_VERSION,
        "body": [field],
        "actions": [{"type": "Action.Submit", "title": SEND, "data": {"form": form_data(form)}}],
    }


def closing_message(text: str) -> dict[str, Any]:
    """A ``task/submit`` answer that closes the dialog with a short note."""
    return {"task": {"type": "message", "value": text}}
