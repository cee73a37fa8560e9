"""Autocomplete for /ops: the word being typed, from catalog metrics and known targets."""

from __future__ import annotations

import asyncio

from adapters.discord.complete import MAX_SUGGESTIONS, Vocabulary, suggest
from bot.core.errors import DependencyError
from bot.features.metrics.ports import TargetHealth
from bot.features.metrics.targets import TargetDirectory
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
    """Targets that count lookups, and can fail or hang (a dead or stalled Prometheus)."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = False
        self.stalled = False

    async def targets(self) -> list[TargetHealth]:
        self.calls += 1
        if self.stalled:
            await asyncio.Event().wait()  # never answers
        if self.failing:
            raise DependencyError("prometheus", "Prometheus did not answer")
        return [TargetHealth("web-1:9100", "node", True), TargetHealth("payments", "api", False)]


async def test_vocabulary_is_the_catalog_plus_the_directorys_names_cached_for_a_while() -> None:
    """Autocomplete offers the names the bot's one directory knows (shared with every
    feature), refreshed after its cache time."""
    now = [0.0]
    source = CountingTargets()
    vocabulary = Vocabulary(TargetDirectory(source, clock=lambda: now[0]))
    assert await vocabulary.words() == [*METRICS, "payments", "web-1"]
    await vocabulary.words()
    assert source.calls == 1
    now[0] += 3600
    await vocabulary.words()
    assert source.calls == 2


async def test_a_failing_or_stalled_metrics_source_costs_only_the_targets() -> None:
    """Discord gives autocomplete 3 s: a dead or hung source leaves the catalog words."""
    source = CountingTargets()
    source.failing = True
    assert await Vocabulary(TargetDirectory(source)).words() == list(METRICS)
    source.failing, source.stalled = False, True
    assert await Vocabulary(TargetDirectory(source), timeout=0.05).words() == list(METRICS)


async def test_suggestions_include_known_targets() -> None:
    vocabulary = Vocabulary(TargetDirectory(CountingTargets()))
    assert await vocabulary.suggest("status of pay") == ["status of payments"]
