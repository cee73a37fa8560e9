"""``settle_heap``: what the server does to the garbage collector once it is up."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.app.runtime import YOUNG_COLLECTION_EVERY, settle_heap


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's collector, as it was, afterwards."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector")
def test_the_start_up_heap_is_frozen_and_young_collections_are_rarer() -> None:
    gc.unfreeze()
    built_at_start_up = [{"row": i} for i in range(1000)]
    _, older, oldest = gc.get_threshold()

    settle_heap()

    assert gc.get_freeze_count() >= len(built_at_start_up)
    watched = {id(o) for o in gc.get_objects()}  # every generation but the frozen one
    assert not any(id(row) in watched for row in built_at_start_up)
    assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, older, oldest)
    assert YOUNG_COLLECTION_EVERY > 700  # CPython's default


@pytest.mark.usefixtures("collector")
def test_cycles_made_after_start_up_are_still_collected() -> None:
    settle_heap()

    class Node:
        def __init__(self) -> None:
            self.me = self

    collected_before = sum(s["collected"] for s in gc.get_stats())
    for _ in range(100):
        Node()
    gc.collect()

    assert sum(s["collected"] for s in gc.get_stats()) - collected_before >= 100
