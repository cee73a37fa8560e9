"""Naming the metrics source in every answer, errors included.

A lookup answer ends with its provenance ("Source: demo data" / "Source: Prometheus") so a
reader can tell demo numbers from production ones; a user error (unknown target, bad range)
must say it too, or "no such target" could be read as a statement about production.
"""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.model import Reply
from bot.core.registry import Handler, Request


def with_footer(handler: Handler, footer: str) -> Handler:
    """``handler`` with ``footer`` appended to the hint of every :class:`UserError` it raises
    (the error is re-raised, so the dispatcher still answers it as a user error)."""

    async def guarded(request: Request) -> Reply:
        try:
            return await handler(request)
        except UserError as exc:
            exc.hint = f"{exc.hint}\n{footer}" if exc.hint else footer
            raise

    return guarded
