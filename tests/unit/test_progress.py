"""``with_placeholder``: a placeholder only for slow work, and never a lost answer."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.errors import AdapterError
from bot.core.progress import with_placeholder


async def _answer(delay: float, value: str) -> str:
    await asyncio.sleep(delay)
    return value


async def test_fast_work_posts_no_placeholder() -> None:
    """An answer within ``after`` returns with no placeholder."""
    posted: list[str] = []

    async def on_slow() -> None:
        posted.append("placeholder")

    assert await with_placeholder(_answer(0, "done"), after=1.0, on_slow=on_slow) == (
        "done",
        False,
    )
    assert posted == []


async def test_slow_work_posts_one_placeholder() -> None:
    """Past ``after`` the placeholder is posted once and the answer still returned."""
    posted: list[str] = []

    async def on_slow() -> None:
        posted.append("placeholder")

    result = await with_placeholder(_answer(0.05, "done"), after=0.01, on_slow=on_slow)
    assert result == ("done", True)
    assert posted == ["placeholder"]


async def test_a_failing_placeholder_still_returns_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If posting the placeholder fails (a refused defer), the failure is logged and the
    work's answer is still awaited and returned, as "not posted"."""
    finished = asyncio.Event()

    async def remediation() -> str:
        await asyncio.sleep(0.05)
        finished.set()
        return "restarted web-1"

    async def on_slow() -> None:
        raise AdapterError("Discord refused the defer")

    with caplog.at_level(logging.ERROR, logger="bot.core.progress"):
        result = await with_placeholder(remediation(), after=0.01, on_slow=on_slow)
    assert result == ("restarted web-1", False)
    assert finished.is_set()
    assert "posting the placeholder failed" in caplog.text
    assert "Discord refused the defer" in caplog.text
