"""A :class:`~bot.core.model.Reply` as JSON and back, for stores shared by replicas.

Explicit, field by field, rather than pickle: what comes back from Redis is data, never
code, and a value of the wrong shape is refused (``ValueError``) instead of half-read. Chart
images travel as base64.
"""

from __future__ import annotations

import base64
import json
from typing import Any

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


def encode_reply(reply: Reply) -> bytes:
    data: dict[str, Any] = {
        "text": reply.text,
        "echo": reply.echo,
        "title": reply.title,
        "fields": [[f.label, f.value] for f in reply.fields],
        "table": None
        if reply.table is None
        else {"columns": list(reply.table.columns), "rows": [list(r) for r in reply.table.rows]},
        "code": reply.code,
        "charts": [
            {
                "title": c.title,
                "png": base64.b64encode(c.png).decode("ascii"),
                "filename": c.filename,
                "alt_text": c.alt_text,
            }
            for c in reply.charts
        ],
        "choices": [_choice(c) for c in reply.choices],
        "menus": [
            {"label": m.label, "options": [_choice(c) for c in m.options]} for m in reply.menus
        ],
        "forms": [
            {
                "label": f.label,
                "title": f.title,
                "prompt": f.prompt,
                "command": f.command,
                "max_length": f.max_length,
            }
            for f in reply.forms
        ],
        "severity": reply.severity.value,
        "footer": reply.footer,
        "correlation_id": reply.correlation_id,
        "visibility": reply.visibility.value,
    }
    return json.dumps(data, separators=(",", ":")).encode()


def decode_reply(raw: bytes | str) -> Reply:
    """The reply :func:`encode_reply` wrote; ``ValueError`` for anything else."""
    try:
        data = json.loads(raw)
        table = data["table"]
        return Reply(
            text=_str(data["text"]),
            echo=_opt(data["echo"]),
            title=_opt(data["title"]),
            fields=tuple(Field(_str(label), _str(value)) for label, value in data["fields"]),
            table=None
            if table is None
            else Table(
                tuple(_str(c) for c in table["columns"]),
                tuple(tuple(_str(cell) for cell in row) for row in table["rows"]),
            ),
            code=_opt(data["code"]),
            charts=tuple(
                Chart(
                    _str(c["title"]),
                    base64.b64decode(_str(c["png"]), validate=True),
                    _str(c["filename"]),
                    _str(c["alt_text"]),
                )
                for c in data["charts"]
            ),
            choices=tuple(_read_choice(c) for c in data["choices"]),
            menus=tuple(
                Menu(_str(m["label"]), tuple(_read_choice(c) for c in m["options"]))
                for m in data["menus"]
            ),
            forms=tuple(
                Form(
                    _str(f["label"]),
                    _str(f["title"]),
                    _str(f["prompt"]),
                    _str(f["command"]),
                    int(f["max_length"]),
                )
                for f in data["forms"]
            ),
            severity=Severity(data["severity"]),
            footer=_opt(data["footer"]),
            correlation_id=_opt(data["correlation_id"]),
            visibility=Visibility(data["visibility"]),
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"not a stored reply: {exc}") from None


def _choice(choice: Choice) -> dict[str, str]:
    return {"label": choice.label, "command": choice.command, "style": choice.style.value}


def _read_choice(data: Any) -> Choice:
    return Choice(_str(data["label"]), _str(data["command"]), ChoiceStyle(data["style"]))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _opt(value: Any) -> str | None:
    return None if value is None else _str(value)
