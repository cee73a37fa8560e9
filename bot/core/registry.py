"""Handler registration: each intent has one handler plus the help text that teaches it.

Help is generated from these specs, so a new handler documents itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.core.model import IncomingMessage, Reply
from intents.model import Intent, IntentName


@dataclass(frozen=True, slots=True)
class Request:
    """What a handler gets: the message, the resolved intent and the correlation id."""

    message: IncomingMessage
    intent: Intent
    correlation_id: str


Handler = Callable[[Request], Awaitable[Reply]]
#: Whether answering this intent is expensive (a chart, a model fit), for handlers where it
#: depends on what was asked ("promql up" is a table, over a range it is a chart).
Weighs = Callable[[Intent], bool]


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """One intent's handler. ``topic`` groups it in help; ``examples`` are real commands.
    ``heavy`` marks the expensive kinds (charts, model fits), always or for the intents its
    predicate picks, run in the dispatcher's smaller lane (:mod:`bot.core.admission`)."""

    intent: IntentName
    topic: str
    summary: str
    examples: tuple[str, ...]
    handler: Handler
    heavy: bool | Weighs = False

    def weighs(self, intent: Intent) -> bool:
        """Whether answering ``intent`` goes in the heavy lane."""
        return self.heavy(intent) if callable(self.heavy) else self.heavy


class Registry:
    """Intent name -> handler. Registering an intent twice is a programming error."""

    def __init__(self, specs: Iterable[HandlerSpec] = ()) -> None:
        self._specs: dict[IntentName, HandlerSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: HandlerSpec) -> None:
        if spec.intent in self._specs:
            raise ValueError(f"intent {spec.intent!r} already has a handler")
        self._specs[spec.intent] = spec

    def get(self, intent: IntentName) -> HandlerSpec | None:
        return self._specs.get(intent)

    def specs(self) -> list[HandlerSpec]:
        return list(self._specs.values())

    def topics(self) -> list[str]:
        return sorted({s.topic for s in self._specs.values()})
