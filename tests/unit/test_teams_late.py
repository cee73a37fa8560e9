"""LateClicks on its own: what happens to a click's answer that outlasts its invoke when it
fails outside the Responder, or is still running at shutdown; and the deadline's bounds."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.teams.factory import TeamsOptions
from adapters.teams.inbound import Click
from adapters.teams.late import LateClicks
from adapters.teams.outgoing import ActionOutbox, Conversation
from adapters.teams.retry import RetryPolicy
from adapters.teams.views import CardViews, Viewer
from bot.app.logs import CorrelationFilter
from bot.core.correlation import current_correlation_id
from bot.core.errors import ConfigError
from bot.core.responder import WORKING_ON_IT
from storage.teams_references import InMemoryReferenceStore
from tests.fakes.teams_cards import card_texts


def outbox() -> ActionOutbox:
    """An outbox that never reaches Teams (these tests never deliver through it)."""
    return ActionOutbox(
        Conversation(None, RetryPolicy()),
        Click(command="approve 12", label="Approve", card_id="bot-1"),
        Viewer(user_id="aad-ann", mri="29:ann"),
        views=CardViews(InMemoryReferenceStore()),
        views_key="card:c:bot-1",
        outcome="Ann chose “Approve”",
    )


async def passed(seconds: float) -> None:
    """A deadline that has already passed."""


async def test_a_failure_after_the_invoke_was_answered_is_logged_with_its_ref(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Work that raises once it went late is logged (traceback and correlation id), not lost,
    and the click is no longer running."""
    caplog.handler.addFilter(CorrelationFilter())
    release = asyncio.Event()
    seen: list[str | None] = []

    async def work() -> None:
        seen.append(current_correlation_id())
        await release.wait()
        raise RuntimeError("broke late")

    clicks = LateClicks(timer=passed)
    box = outbox()
    card = await clicks.answer("k", box, work())
    assert card is not None
    assert card_texts(card) == [f"Ann chose “Approve”. {WORKING_ON_IT}"]
    assert clicks.running("k") is box
    with caplog.at_level(logging.ERROR, logger="adapters.teams"):
        release.set()
        await clicks.drain()
    [failure] = caplog.records
    assert failure.exc_info is not None
    assert getattr(failure, "correlation_id", None) == seen[0] is not None
    assert clicks.running("k") is None


async def test_a_failure_before_the_deadline_reaches_the_invoke() -> None:
    """Work that fails while the invoke still waits raises there (the endpoint answers 500),
    as it did before there was a deadline."""

    async def never(seconds: float) -> None:
        await asyncio.Event().wait()

    async def work() -> None:
        raise RuntimeError("broke at once")

    with pytest.raises(RuntimeError, match="broke at once"):
        await LateClicks(timer=never).answer("k", outbox(), work())


async def test_shutdown_cancels_late_answers_past_its_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """drain() waits ``drain_seconds`` (none here) for late answers, then cancels them and
    says so."""
    cancelled = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    clicks = LateClicks(timer=passed, drain_seconds=0)
    await clicks.answer("k", outbox(), work())
    with caplog.at_level(logging.WARNING, logger="adapters.teams"):
        await clicks.drain()
    assert cancelled.is_set()
    assert clicks.running("k") is None
    assert "cancelling 1 click answer(s) still running at shutdown" in caplog.text


@pytest.mark.parametrize("deadline", [0.0, 5.0, 8.0])
def test_the_invoke_deadline_stays_inside_teams_limit(deadline: float) -> None:
    """A deadline Teams would not wait for (or none) is refused at start-up."""
    with pytest.raises(ConfigError, match="invoke_deadline"):
        TeamsOptions(invoke_deadline=deadline)
