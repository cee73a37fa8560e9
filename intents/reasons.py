"""The reason for a remediation request: ``reason 12 the pods are stuck``.

An explicit imperative, read from the clean text before anything else (its words are the
user's own and may say anything, "restart", a backticked query, a question mark): the word
``reason`` (or "add reason", "add a reason"), optionally "for" / "request", the request
number, then the reason. Without a number or a reason it is not this command. The reason is kept as
typed, folded to one line and with mention syntax neutralised, so it can be stored and shown
as data: it never decides anything. How long it may be is the handler's rule
(:data:`REASON_LIMIT`, a clear refusal beyond it); only absurd lengths are cut here.

:func:`intents.commands.read_command` finds a reason said with a command ("restart payments
because it is hung", "the build is broken, roll back search"): the message's other clauses.
"""

from __future__ import annotations

import re
from typing import Final

REASON_LIMIT: Final = 300
"""The longest reason stored (a phone screen's worth); the reason dialog allows as much."""
_CAP: Final = 2000
_READ: Final = re.compile(
    r"^\s*(?:add\s+(?:a\s+)?)?reason\s+(?:for\s+)?(?:request\s+|req\s+)?#?(\d{1,12})\b"
    r"\s*[:,.-]?\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_BROADCAST: Final = re.compile(r"@(?=(?:here|channel|everyone|all)\b)", re.IGNORECASE)
_MARKUP: Final = re.compile(r"[<>]")


def read_reason(cleaned: str) -> tuple[str, str] | None:
    """``(request_id, reason)`` of a ``reason`` command, or None when ``cleaned`` is not one
    (also when it gives no reason: "reason 12?" asks, it says nothing)."""
    match = _READ.match(cleaned)
    if match is None:
        return None
    said = neutral(match.group(2))
    return (match.group(1), said) if any(c.isalnum() for c in said) else None


def neutral(text: str) -> str:
    """``text`` as data: one line, printable, no ``<...>`` markup or broadcast mention."""
    printable = "".join(c if c.isprintable() else " " for c in text)
    folded = " ".join(printable.split())
    return _BROADCAST.sub("", _MARKUP.sub("", folded))[:_CAP].strip()
