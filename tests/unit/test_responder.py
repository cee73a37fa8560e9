"""The Responder: each delivery answered once, acknowledged first, a placeholder only for slow
answers (then replaced), and an apology with a ref - never a traceback - when answering fails.

Time is explicit: the placeholder timer and the core's answer wait on events the tests set."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field

import pytest

from bot.app.logs import CorrelationFilter
from bot.core.correlation import current_correlation_id
from bot.core.errors import AdapterError, DependencyError
from bot.core.model import IncomingMessage, Reply, Severity
from bot.core.responder import Delivery, Responder
from storage.dedupe import InMemoryDedupeStore

MESSAGE = IncomingMessage(
    platform="slack", team_id="T1", channel_id="C1", user_id="U1", user_name="ann", text="cpu"
)


class Core:
    """The core's ``handle``: answers with the turn's correlation id (kept in ``refs``), as the
    dispatcher does; with ``gate``, only once the test opens it; with ``error``, raises it
    instead."""

    def __init__(self, *, gated: bool = False, error: Exception | None = None) -> None:
        self.asked: list[str] = []
        self.refs: list[str | None] = []
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()
        self.error = error

    async def handle(self, message: IncomingMessage) -> Reply:
        self.asked.append(message.text)
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        self.refs.append(current_correlation_id())
        return Reply(text=f"answer to {message.text}", correlation_id=self.refs[-1])


class Timer:
    """The placeholder's timer: ``started`` when the Responder waits, due when ``fire``d."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self._due = asyncio.Event()
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.started.set()
        await self._due.wait()

    def fire(self) -> None:
        self._due.set()


@dataclass
class FakeOutbox:
    """Records what the Responder asked of it; ``refuse`` names methods that fail as the
    platform refusing."""

    refuse: frozenset[str] = frozenset()
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: Set as soon as the placeholder is asked for (shown or refused).
    placeholder_asked: asyncio.Event = field(default_factory=asyncio.Event)

    def _record(self, name: str, detail: str = "") -> None:
        self.calls.append((name, detail))
        if name in self.refuse:
            raise AdapterError(f"Slack {name} failed: invalid_blocks")

    async def acknowledge(self) -> None:
        self._record("acknowledge")

    async def placeholder(self) -> None:
        self.placeholder_asked.set()
        self._record("placeholder")

    async def deliver(self, reply: Reply) -> None:
        self._record("deliver", reply.text)

    async def replace(self, reply: Reply) -> None:
        self._record("replace", reply.text)

    async def apologise(self, text: str) -> None:
        self._record("apologise", text)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


class BrokenDedupe:
    """A dedupe store whose backend is down."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        self.keys.append(key)
        raise DependencyError("redis", "Redis is unreachable")


class GatedDedupe:
    """A slow dedupe store: a claim waits until the test opens ``gate``."""

    def __init__(self) -> None:
        self.claiming = asyncio.Event()
        self.gate = asyncio.Event()
        self.claimed: list[str] = []

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        self.claiming.set()
        await self.gate.wait()
        self.claimed.append(key)
        return True


def responder(core: Core, dedupe: object = None, timer: Timer | None = None) -> Responder:
    store = InMemoryDedupeStore() if dedupe is None else dedupe
    return Responder(
        core.handle,
        store,  # type: ignore[arg-type]
        placeholder_after=1.5,
        timer=timer or Timer(),
    )


async def test_a_fast_answer_is_delivered_with_no_placeholder() -> None:
    """Acknowledge, then the answer; the timer never fires, so no placeholder."""
    outbox = FakeOutbox()
    timer = Timer()
    shown = await responder(Core(), timer=timer).respond(MESSAGE, outbox, Delivery("k1"))
    assert outbox.calls == [("acknowledge", ""), ("deliver", "answer to cpu")]
    assert shown is not None
    assert shown.text == "answer to cpu"
    assert timer.seconds == [1.5]


async def test_a_slow_answer_shows_a_placeholder_then_replaces_it() -> None:
    """Once the timer is due the placeholder goes up; the answer replaces it."""
    core, timer, outbox = Core(gated=True), Timer(), FakeOutbox()
    answering = asyncio.create_task(responder(core, timer=timer).respond(MESSAGE, outbox))
    await timer.started.wait()
    assert outbox.names == ["acknowledge"]
    timer.fire()
    await outbox.placeholder_asked.wait()
    core.gate.set()
    await answering
    assert outbox.calls == [("acknowledge", ""), ("placeholder", ""), ("replace", "answer to cpu")]


async def test_a_refused_placeholder_still_delivers_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If the platform refuses the placeholder, the answer (maybe of an executed action) is
    still awaited and posted anew, not as a replacement; the refusal is logged."""
    core, timer, outbox = Core(gated=True), Timer(), FakeOutbox(refuse=frozenset({"placeholder"}))
    answering = asyncio.create_task(responder(core, timer=timer).respond(MESSAGE, outbox))
    await timer.started.wait()
    timer.fire()
    await outbox.placeholder_asked.wait()
    core.gate.set()
    assert await answering is not None
    assert outbox.names == ["acknowledge", "placeholder", "deliver"]
    assert "could not show the placeholder" in caplog.text


class CountingDedupe:
    """The in-memory store seen only through ``claim``, as a store elsewhere (Redis) is seen,
    counting the claims it is asked for."""

    def __init__(self) -> None:
        self._store = InMemoryDedupeStore()
        self.claims: list[str] = []

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        self.claims.append(key)
        return await self._store.claim(key, ttl_seconds)


async def test_a_delivery_is_answered_once_across_replicas() -> None:
    """The same key delivered to another replica (sharing the store) reaches neither the core
    nor the chat there (it is acknowledged, then loses the claim); another key is answered."""
    core, store = Core(), CountingDedupe()
    one, two = responder(core, store), responder(core, store)
    first, again, other = FakeOutbox(), FakeOutbox(), FakeOutbox()
    assert await one.respond(MESSAGE, first, Delivery("slack:event:Ev1")) is not None
    assert await two.respond(MESSAGE, again, Delivery("slack:event:Ev1", redelivery=True)) is None
    assert await two.respond(MESSAGE, other, Delivery("slack:event:Ev2")) is not None
    assert core.asked == ["cpu", "cpu"]
    assert again.names == ["acknowledge"]


async def test_with_the_store_in_this_process_its_claims_are_the_memory_of_repeats() -> None:
    """The in-process store already holds every key claimed here, for the key's own TTL: a
    repeat is skipped before anything else by asking it (no second copy of each key)."""
    now = [1000.0]
    core, store = Core(), InMemoryDedupeStore(lambda: now[0])
    replica = responder(core, store)
    first, repeat, later = FakeOutbox(), FakeOutbox(), FakeOutbox()
    assert await replica.respond(MESSAGE, first, Delivery("k", ttl_seconds=60)) is not None
    assert await replica.respond(MESSAGE, repeat, Delivery("k", ttl_seconds=60)) is None
    assert repeat.names == []
    now[0] += 61
    assert await replica.respond(MESSAGE, later, Delivery("k", ttl_seconds=60)) is not None
    assert later.names == ["acknowledge", "deliver"]
    assert core.asked == ["cpu", "cpu"]


async def test_a_repeat_at_the_same_replica_is_skipped_before_anything_else() -> None:
    """A key this process claimed is not acknowledged, claimed or answered again while its
    claim lasts; once that has expired, the shared store decides again."""
    now = [1000.0]
    core, store = Core(), CountingDedupe()
    replica = Responder(
        core.handle, store, placeholder_after=1.5, timer=Timer(), clock=lambda: now[0]
    )
    first, repeat, later = FakeOutbox(), FakeOutbox(), FakeOutbox()
    assert await replica.respond(MESSAGE, first, Delivery("k", ttl_seconds=60)) is not None
    assert await replica.respond(MESSAGE, repeat, Delivery("k", ttl_seconds=60)) is None
    assert repeat.names == []
    assert store.claims == ["k"]
    now[0] += 61
    await replica.respond(MESSAGE, later, Delivery("k", ttl_seconds=60))
    assert store.claims == ["k", "k"]
    assert later.names[0] == "acknowledge"
    assert core.asked == ["cpu"]


async def test_without_a_key_every_delivery_is_answered() -> None:
    """No key (the console): nothing is claimed, each delivery is answered."""
    core = Core()
    once = Responder(core.handle, placeholder_after=1.0, timer=Timer())
    for _ in range(2):
        assert await once.respond(MESSAGE, FakeOutbox()) is not None
    assert core.asked == ["cpu", "cpu"]


async def test_a_dead_store_answers_a_first_delivery_and_skips_a_redelivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The one rule for an unreachable dedupe store: first deliveries are answered (better
    twice than never), deliveries the platform marks as retries are not."""
    core, store = Core(), BrokenDedupe()
    one, two = responder(core, store), responder(core, store)
    first, retry, other = FakeOutbox(), FakeOutbox(), FakeOutbox()
    assert await one.respond(MESSAGE, first, Delivery("slack:event:Ev1")) is not None
    assert await two.respond(MESSAGE, retry, Delivery("slack:event:Ev1", redelivery=True)) is None
    assert await two.respond(MESSAGE, other, Delivery("slack:event:Ev2")) is not None
    assert core.asked == ["cpu", "cpu"]
    assert first.names == other.names == ["acknowledge", "deliver"]
    assert retry.names == ["acknowledge"]
    assert store.keys == ["slack:event:Ev1", "slack:event:Ev1", "slack:event:Ev2"]
    assert "dedupe store down (Redis is unreachable); answering" in caplog.text
    assert "dedupe store down (Redis is unreachable); skipping a redelivery" in caplog.text


async def test_the_acknowledgement_comes_before_a_slow_claim() -> None:
    """A platform with an acknowledgement deadline hears from the bot before the claim
    (possibly a slow Redis) completes, and the core is asked only after it."""
    core, store, outbox = Core(), GatedDedupe(), FakeOutbox()
    answering = asyncio.create_task(responder(core, store).respond(MESSAGE, outbox, Delivery("k")))
    await store.claiming.wait()
    assert outbox.names == ["acknowledge"]
    assert core.asked == []
    store.gate.set()
    await answering
    assert store.claimed == ["k"]
    assert outbox.names == ["acknowledge", "deliver"]


async def test_an_outbox_that_cannot_acknowledge_answers_nothing() -> None:
    """An unacknowledged interaction cannot be answered (or another replica did): nothing is
    claimed, nothing asked, nothing posted."""
    core, store = Core(), GatedDedupe()
    outbox = FakeOutbox(refuse=frozenset({"acknowledge"}))
    assert await responder(core, store).respond(MESSAGE, outbox, Delivery("k")) is None
    assert not store.claiming.is_set()
    assert core.asked == []
    assert outbox.names == ["acknowledge"]


async def test_a_refused_answer_becomes_an_apology_quoting_the_ref(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The platform refused the answer: the user gets one line with the refusal and the
    answer's correlation id as the ref; the log has the same ref."""
    outbox, core = FakeOutbox(refuse=frozenset({"deliver"})), Core()
    caplog.handler.addFilter(CorrelationFilter())
    shown = await responder(core).respond(MESSAGE, outbox, Delivery("k"))
    (ref,) = core.refs
    assert outbox.names == ["acknowledge", "deliver", "apologise"]
    (_, apology) = outbox.calls[-1]
    assert apology.startswith(
        "Sorry, Slack refused my answer (Slack deliver failed: invalid_blocks)"
    )
    assert f"ref {ref}" in apology
    assert shown == Reply(text=apology, severity=Severity.ERROR, correlation_id=ref)
    (record,) = [r for r in caplog.records if "could not answer" in r.getMessage()]
    assert getattr(record, "correlation_id", None) == ref


async def test_a_crash_is_logged_with_its_traceback_and_the_user_sees_only_a_ref(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Something breaks: the traceback goes to the log under a fresh ref; the user's apology
    quotes that ref and says nothing of the error."""
    outbox = FakeOutbox()
    core = Core(error=RuntimeError("boom: internal detail"))
    caplog.handler.addFilter(CorrelationFilter())
    with caplog.at_level(logging.ERROR, logger="bot.core.responder"):
        await responder(core).respond(MESSAGE, outbox, Delivery("k"))
    (_, apology) = outbox.calls[-1]
    assert outbox.names == ["acknowledge", "apologise"]
    (ref,) = re.findall(r"ref (\w+)\.", apology)
    assert "boom" not in apology
    assert "Traceback" not in apology
    (record,) = caplog.records
    assert getattr(record, "correlation_id", None) == ref
    assert record.exc_info is not None
    assert "boom: internal detail" in caplog.text


async def test_an_apology_that_fails_too_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    """With the platform unreachable nothing reaches the user; both failures are logged."""
    outbox, core = FakeOutbox(refuse=frozenset({"deliver", "apologise"})), Core()
    caplog.handler.addFilter(CorrelationFilter())
    assert await responder(core).respond(MESSAGE, outbox, Delivery("k")) is None
    assert "could not answer on slack C1" in caplog.text
    (ref,) = core.refs
    (record,) = [r for r in caplog.records if "could not apologise" in r.getMessage()]
    assert record.getMessage().startswith("could not apologise on slack C1 either")
    assert getattr(record, "correlation_id", None) == ref
