""" "Working on it" for slow answers, shared by every adapter.

An adapter wraps the core's work in :func:`with_placeholder`; if the answer is not ready after
``after`` seconds it posts a placeholder (which it later replaces with the answer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

WORKING_ON_IT = "Working on it…"

log = logging.getLogger(__name__)


async def with_placeholder(
    work: Awaitable[T], *, after: float, on_slow: Callable[[], Awaitable[None]]
) -> tuple[T, bool]:
    """Await ``work``; call ``on_slow`` once if it takes longer than ``after`` seconds.

    Returns the result and whether the placeholder was posted (so the adapter knows to
    replace it rather than post anew). A failing ``on_slow`` (the platform refused the
    placeholder) is logged and the answer still awaited and returned, as not posted: the
    work may be an executed remediation whose result the user must see.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=after)
    if done:
        return task.result(), False
    try:
        await on_slow()
    except Exception:
        log.exception("posting the placeholder failed; the answer will be posted anew")
        return await task, False
    return await task, True
