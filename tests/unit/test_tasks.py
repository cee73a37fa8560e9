"""cancel_and_wait: tasks that lose a cancellation are still stopped."""

from __future__ import annotations

import asyncio

from bot.core.tasks import cancel_and_wait


async def test_a_task_that_swallows_a_cancellation_is_cancelled_again_until_it_ends() -> None:
    """A lost cancellation (as inside redis-py's ``wait_for`` on 3.11) is re-sent."""
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            swallowed += 1
        await asyncio.sleep(10)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await cancel_and_wait(task, every=0.01)
    assert task.cancelled()
    assert swallowed == 1


async def test_finished_tasks_are_left_alone_and_their_errors_are_not_raised() -> None:
    """A task that already failed keeps its exception; waiting on it does not raise it."""

    async def fails() -> None:
        raise RuntimeError("boom")

    failed = asyncio.create_task(fails())
    running = asyncio.create_task(asyncio.sleep(10))
    await asyncio.wait({failed})
    await cancel_and_wait(failed, running, every=0.01)
    assert isinstance(failed.exception(), RuntimeError)
    assert running.cancelled()
