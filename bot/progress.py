""""Working on it" for slow answers, shared by every adapter.

An adapter wraps the core's work in :func:`with_placeholder`; if the answer is not ready after
``after`` seconds it posts a placeholder (which it later replaces with the answer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

WORKING_ON_IT = "Working on it…"


async def with_placeholder(
    work: Awaitable[T], *, after: float, on_slow: Callable[[], Awaitable[None]]
) -> tuple[T, bool]:
    """Await ``work``; call ``on_slow`` once if it takes longer than ``after`` seconds.

    Returns the result and whether the placeholder was posted (so the adapter knows to
    replace it rather than post anew).
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=after)
    if done:
        return task.result(), False
    await on_slow()
    return await task, True
