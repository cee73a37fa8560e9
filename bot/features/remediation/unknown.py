"""Remediation commands the parser refused (shell syntax, several targets, extra words)
still reach the audit log: :func:`guard_unknown` wraps the ``unknown`` handler.

Its own module, apart from :mod:`bot.features.remediation.handlers`, because the ``unknown``
handler is built at start-up and the remediation service (and its pydantic policy) only when
a refused command needs it (start-up time, bench/RESULTS_STARTUP.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.core.model import Reply
from bot.core.registry import HandlerSpec, Request
from bot.features.remediation.model import Actor
from intents.model import IntentName

if TYPE_CHECKING:
    from bot.features.remediation.service import RemediationService


def guard_unknown(
    spec: HandlerSpec, service: Callable[[], Awaitable[RemediationService]]
) -> HandlerSpec:
    """Wrap the ``unknown`` handler so that a refused remediation command is refused by the
    service, which writes it to the audit log: shell syntax in "restart payments; rm -rf /",
    or more than one target in "restart web-1 and web-2". ``service`` gives the service
    (built at its first use, so other unknown text never builds it)."""

    async def guarded(request: Request) -> Reply:
        intent = request.intent
        about = intent.about
        if about is None or about.intent is not IntentName.REMEDIATION:
            return await spec.handler(request)
        actor = Actor.from_message(request.message)
        refusing = await service()
        action = str(about.slots.get("action", "")) or "run"
        words = intent.rejected.get("words", "")
        if intent.refusal == "unsafe":
            await refusing.refuse_unsafe(actor, action, words)
        target = about.slots.get("target")
        if intent.refusal == "extra_words" and isinstance(target, str):
            if "replicas" in intent.rejected:
                await refusing.refuse_relative_count(actor, target, intent.rejected["replicas"])
            replicas = about.slots.get("replicas")
            count = replicas if isinstance(replicas, int) else None
            await refusing.refuse_extra_words(actor, action, target, count, words)
        return await spec.handler(request)

    return dataclasses.replace(spec, handler=guarded)
