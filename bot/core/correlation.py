"""The correlation id: one short id per turn (a chat message, an HTTP request, a scheduled
job's firing), set once where the turn enters and read everywhere else.

It lives in a :class:`contextvars.ContextVar`, so it follows the turn through ``await``\\ s and
into the tasks the turn starts, and never leaks into another turn. Every log line of the
turn carries it (``bot.app.logs``), so do the audit rows it writes, and an error reply quotes
it as ``ref <id>``: what a user reports is what an operator searches for.

Entry points open a turn with :func:`correlated`. An inner entry point (the dispatcher,
inside an HTTP request that already has an id) joins the outer turn instead of starting a
second one; ``fresh=True`` always starts a new one (each HTTP request, each job firing).
"""

from __future__ import annotations

import contextlib
import contextvars
import secrets
from collections.abc import Iterator

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "smartcloudops_correlation_id", default=None
)


def new_correlation_id() -> str:
    """A new id: 12 hex digits, short enough to read out from a phone screen."""
    return secrets.token_hex(6)


def current_correlation_id() -> str | None:
    """The id of the turn this code runs in, or None outside any turn."""
    return _current.get()


@contextlib.contextmanager
def correlated(*, fresh: bool = False) -> Iterator[str]:
    """Run the block as part of a turn and yield the turn's id: the current turn's, or a new
    one when there is none or ``fresh`` is set. The previous id is restored on the way out."""
    current = _current.get()
    if current is not None and not fresh:
        yield current
        return
    correlation_id = new_correlation_id()
    token = _current.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _current.reset(token)
