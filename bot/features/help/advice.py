"""Answers to a question about an action end with what it would take to do it.

"should I restart payments?" is answered with payments' health (the parser routes it there)
plus, from here, what the policy says: may this person request it, with how many approvals,
and the exact command. Nothing is done: the answer only teaches the words that would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bot.core.model import Field, IncomingMessage, Reply
from bot.core.registry import Handler, HandlerSpec, Request
from intents.model import IntentName, Mention, SpeechAct

Advisor = Callable[[IncomingMessage, Mention], str]
"""What to say about ``Mention`` to the sender of the message."""

_ASKING = frozenset({SpeechAct.QUESTION, SpeechAct.HYPOTHETICAL})


def plain_advice(message: IncomingMessage, about: Mention) -> str:
    """The advice without a policy to consult: the words that would do it."""
    return f"Say `{about.canonical}` to do it."


def with_advice(spec: HandlerSpec, advisor: Advisor) -> HandlerSpec:
    """``spec`` whose answers to questions about an action carry the advice on it."""
    if spec.intent is IntentName.UNKNOWN:
        return spec

    async def advised(request: Request) -> Reply:
        reply = await spec.handler(request)
        about = request.intent.about
        if about is None or request.intent.act not in _ASKING:
            return reply
        advice = Field(f"About `{about.canonical}`", advisor(request.message, about))
        return dataclasses.replace(reply, fields=(*reply.fields, advice))

    handler: Handler = advised
    return dataclasses.replace(spec, handler=handler)
