"""Handlers built at their first message (start-up time, issue 12): a feature is built
once, when one of its intents is first asked, each intent is finished once, and help is
known before anything is built."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

import pytest

from bot.core.later import Later
from bot.core.model import IncomingMessage, Reply
from bot.core.registry import HandlerSpec, Help, Registry, Request, built_on_first_use
from intents.model import Intent, IntentName

STATUS = Help(IntentName.STATUS, "status", "What is down.", ("what's down?",))
ALERTS = Help(IntentName.ALERTS_LIST, "alerts", "What is firing.", ("alerts",))


def request(intent: IntentName) -> Request:
    message = IncomingMessage("cli", "local", "c", "u", "u", "text")
    return Request(message, Intent(intent, 1.0), "cid")


class Feature:
    """A feature that counts its builds and finishes; its build waits for ``gate``."""

    def __init__(self) -> None:
        self.builds = 0
        self.finished: list[IntentName] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def build(self) -> Sequence[HandlerSpec]:
        self.builds += 1
        await self.gate.wait()

        def answer(text: str) -> HandlerSpec:
            async def handle(request: Request) -> Reply:
                return Reply(text=text)

            return (STATUS if text == "down" else ALERTS).spec(handle)

        return [answer("down"), answer("firing")]

    async def finish(self, spec: HandlerSpec) -> HandlerSpec:
        self.finished.append(spec.intent)
        inner = spec.handler

        async def marked(request: Request) -> Reply:
            reply = await inner(request)
            return dataclasses.replace(reply, text=f"{reply.text}!")

        return dataclasses.replace(spec, handler=marked)


async def test_help_is_there_before_anything_is_built() -> None:
    feature = Feature()
    registry = Registry(built_on_first_use([STATUS, ALERTS], feature.build, feature.finish))
    assert [Help.of(spec) for spec in registry.specs()] == [STATUS, ALERTS]
    assert feature.builds == 0


async def test_concurrent_first_messages_build_once_and_finish_each_intent_once() -> None:
    feature = Feature()
    feature.gate.clear()
    specs = built_on_first_use([STATUS, ALERTS], feature.build, feature.finish)
    status, alerts = specs
    first = asyncio.gather(
        status.handler(request(IntentName.STATUS)), status.handler(request(IntentName.STATUS))
    )
    await asyncio.sleep(0)  # both are now waiting on the one build
    feature.gate.set()
    replies = await first
    assert [r.text for r in replies] == ["down!", "down!"]
    assert (await alerts.handler(request(IntentName.ALERTS_LIST))).text == "firing!"
    await status.handler(request(IntentName.STATUS))
    assert feature.builds == 1
    assert feature.finished == [IntentName.STATUS, IntentName.ALERTS_LIST]


async def test_a_failed_build_is_tried_again_by_the_next_message() -> None:
    feature = Feature()
    calls = 0

    async def flaky() -> Sequence[HandlerSpec]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("not yet")
        return await feature.build()

    (status, _) = built_on_first_use([STATUS, ALERTS], flaky)
    with pytest.raises(ConnectionError):
        await status.handler(request(IntentName.STATUS))
    assert (await status.handler(request(IntentName.STATUS))).text == "down"


async def test_a_build_that_differs_from_its_declared_help_is_a_programming_error() -> None:
    feature = Feature()
    (status,) = built_on_first_use([STATUS], feature.build)
    with pytest.raises(RuntimeError, match="declared"):
        await status.handler(request(IntentName.STATUS))


async def test_later_builds_once_for_concurrent_callers() -> None:
    builds = 0
    gate = asyncio.Event()

    async def build() -> object:
        nonlocal builds
        builds += 1
        await gate.wait()
        return object()

    later: Later[object] = Later(build)
    waiting = asyncio.gather(later.get(), later.get())
    await asyncio.sleep(0)
    gate.set()
    first, second = await waiting
    assert first is second is await later.get()
    assert builds == 1
