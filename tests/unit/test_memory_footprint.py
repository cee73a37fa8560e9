"""What the embedded stores cost per entry, pinned: a one-hour soak at 10 messages/s fills them
with tens of thousands of conversations and delivery claims (bench/RESULTS_SLACK.md).

Measured with tracemalloc (the Python heap the store allocates, the caller's keys and turns
made beforehand), on 1 000 entries so every dict is past its small sizes. Python 3.11: a claim
~99 bytes (~155 with an ``(expiry, True)`` tuple each), a one-turn conversation ~410 bytes
(~1 120 with a ``deque(maxlen=10)`` each), a delivery through the Responder ~103 bytes (~312
when the Responder kept its own copy of each key). The bounds sit between the two.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bot.core.expiring import ExpiringKeys
from bot.core.model import ConversationKey, IncomingMessage, Reply
from bot.core.responder import Delivery, Responder
from intents.model import Turn
from storage.dedupe import InMemoryDedupeStore
from storage.memory import InMemoryContextStore
from tests.fakes.outboxes import DroppingOutbox

ENTRIES = 1000


@contextmanager
def heap_growth() -> Iterator[Callable[[], int]]:
    """Bytes the Python heap grew by inside the block (read the callable after it)."""
    started = not tracemalloc.is_tracing()
    gc.collect()
    if started:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    grown: list[int] = []
    try:
        yield lambda: grown[0]
    finally:
        gc.collect()
        grown.append(tracemalloc.get_traced_memory()[0] - before)
        if started:
            tracemalloc.stop()


def test_a_held_delivery_key_costs_under_128_bytes_besides_its_string() -> None:
    keys = [f"slack:event:Ev{n:08d}4242" for n in range(ENTRIES)]
    held = ExpiringKeys(lambda: 1000.0)
    with heap_growth() as grown:
        for key in keys:
            held.add(key, 3600)
    assert len(held) == ENTRIES
    assert grown() / ENTRIES < 128


async def test_a_one_turn_conversation_costs_under_640_bytes_in_memory() -> None:
    """Most conversations in a channel of threads are one mention long."""
    threads = [
        ConversationKey("slack", "T0BENCH01", "C0BENCH01", "U0SOAK001", f"1733.{n:06d}")
        for n in range(ENTRIES)
    ]
    turn = Turn("metric_query", {"metric": "cpu", "target": "web-1", "window": "2h"}, 1000.0)
    store = InMemoryContextStore(clock=lambda: 1000.0)
    with heap_growth() as grown:
        for thread in threads:
            await store.append(thread, turn)
    assert len(await store.recent(threads[-1])) == 1
    assert grown() / ENTRIES < 640


async def test_a_delivery_answered_with_the_store_in_this_process_is_held_once() -> None:
    """The Responder asks the in-process store about repeats instead of keeping a copy of
    every key it claimed there (~99 bytes a delivery, not ~2 x 99)."""
    message = IncomingMessage("slack", "T1", "C1", "U1", "ann", "help")
    answer = Reply(text="ok")

    async def handle(_: IncomingMessage) -> Reply:
        return answer

    responder = Responder(handle, InMemoryDedupeStore(lambda: 1000.0), placeholder_after=60)
    deliveries = [Delivery(f"slack:event:Ev{n:08d}4242", 3600) for n in range(ENTRIES)]
    outbox = DroppingOutbox()
    with heap_growth() as grown:
        for delivery in deliveries:
            assert await responder.respond(message, outbox, delivery) is answer
    assert grown() / ENTRIES < 160
