"""Autocomplete for /ops: the word being typed, from catalog metrics and known targets."""

from __future__ import annotations

import asyncio

from adapters.discord.complete import MAX_SUGGESTIONS, Vocabulary, suggest
from bot.errors import DependencyError
from bot.ports import TargetHealth
from intents.model import METRICS
from tests.fakes.discord_bot import DemoTargets

WORDS = ["cpu", "memory", "error_rate", "web-1", "web-2", "db-primary"]


def test_the_last_word_is_completed_and_earlier_words_kept() -> None:
    assert suggest("cpu of we", WORDS) == ["cpu of web-1", "cpu of web-2"]


def test_words_starting_with_the_input_come_before_words_containing_it() -> None:
    assert suggest("e", WORDS) == ["error_rate", "memory", "web-1", "web-2"]
    assert suggest("PRI", WORDS) == ["db-primary"]


def test_empty_input_offers_the_vocabulary_within_discords_limits() -> None:
    many = [f"host-{i}" for i in range(40)]
    assert suggest("", many) == many[:MAX_SUGGESTIONS]
    assert suggest("x" * 98 + " ho", many) == []


class CountingTargets(DemoTargets):
    def __init__(self) -> None:
        self.calls = 0
        self.failing = False
        self.delay = 0.0

    async def targets(self) -> list[TargetHealth]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.failing:
            raise DependencyError("prometheus", "Prometheus did not answer")
        return [TargetHealth("web-1:9100", "node", True), TargetHealth("payments", "api", False)]


async def test_vocabulary_is_the_catalog_plus_target_names_cached_for_a_while() -> None:
    now = [0.0]
    source = CountingTargets()
    vocabulary = Vocabulary(source, clock=lambda: now[0])
    assert await vocabulary.words() == [*METRICS, "payments", "web-1"]
    await vocabulary.words()
    assert source.calls == 1
    now[0] += 3600
    await vocabulary.words()
    assert source.calls == 2


async def test_a_failing_or_slow_metrics_source_costs_only_the_targets() -> None:
    source = CountingTargets()
    source.failing = True
    assert await Vocabulary(source).words() == list(METRICS)
    source.failing, source.delay = False, 0.5
    assert await Vocabulary(source, timeout=0.05).words() == list(METRICS)


async def test_suggestions_include_known_targets() -> None:
    assert await Vocabulary(CountingTargets()).suggest("status of pay") == ["status of payments"]
