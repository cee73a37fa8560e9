"""Stopping asyncio tasks that may not stop on the first cancellation.

Once is not always enough on Python 3.11: a cancellation that lands while redis-py's internal
``asyncio.wait_for`` (around a socket write) completes is silently lost, and the task carries
on as if nothing happened. The scheduler's job runners and the Discord gateway supervisor
both hold Redis leases, so both stop their tasks with :func:`cancel_and_wait`.
"""

from __future__ import annotations

import asyncio


async def cancel_and_wait(*tasks: asyncio.Task[None], every: float) -> None:
    """Cancel the unfinished ``tasks`` and wait until all are done, cancelling again every
    ``every`` seconds. Their exceptions are retrieved (so asyncio does not log them as never
    retrieved), not raised: the caller inspects the tasks if it cares how they ended."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=every)
    for task in tasks:
        if not task.cancelled():
            task.exception()
