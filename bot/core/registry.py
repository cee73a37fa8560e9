"""Handler registration: each intent has one handler plus the help text that teaches it.

Help is generated from these specs, so a new handler documents itself. A feature's help is
known before its handlers are built (:class:`Help`), so the composition root can register
specs whose handlers are built at the first message that needs them
(:func:`built_on_first_use`): a turn pays only for the features it uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.core.later import Later
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


@dataclass(frozen=True, slots=True)
class Help:
    """What help says about one intent: a :class:`HandlerSpec` without its handler (and
    whether it is heavy, which is known before the handler is built, so a spec built at first
    use is in the right lane from the first message)."""

    intent: IntentName
    topic: str
    summary: str
    examples: tuple[str, ...] = ()
    heavy: bool | Weighs = False

    def spec(self, handler: Handler) -> HandlerSpec:
        return HandlerSpec(
            self.intent, self.topic, self.summary, self.examples, handler, self.heavy
        )

    @classmethod
    def of(cls, spec: HandlerSpec) -> Help:
        return cls(spec.intent, spec.topic, spec.summary, spec.examples, spec.heavy)


def built_on_first_use(
    helps: Iterable[Help],
    build: Callable[[], Awaitable[Iterable[HandlerSpec]]],
    finish: Callable[[HandlerSpec], Awaitable[HandlerSpec]] | None = None,
) -> list[HandlerSpec]:
    """Specs for ``helps`` whose handlers ``build`` makes at the first message for any of
    them, once; ``finish`` (say, wrapping in access checks) then readies each intent's spec
    at the first message for that intent, once. Concurrent first messages wait for the one
    build; a build that fails is tried again by the next message. ``build`` must give
    exactly these intents with this help, and ``finish`` keep the help, or it is a
    programming error."""
    declared = list(helps)

    async def build_checked() -> dict[IntentName, HandlerSpec]:
        specs = list(await build())
        if [Help.of(s) for s in specs] != declared:
            raise RuntimeError(f"built {specs!r}, declared {declared!r}")
        return {s.intent: s for s in specs}

    built = Later(build_checked)

    def ready(intent: IntentName) -> Later[Handler]:
        async def finished() -> Handler:
            spec = (await built.get())[intent]
            done = spec if finish is None else await finish(spec)
            if Help.of(done) != Help.of(spec):
                raise RuntimeError(f"finishing {spec!r} changed its help")
            return done.handler

        return Later(finished)

    def deferred(intent: IntentName) -> Handler:
        handler = ready(intent)

        async def handle(request: Request) -> Reply:
            return await (await handler.get())(request)

        return handle

    return [help_.spec(deferred(help_.intent)) for help_ in declared]


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
