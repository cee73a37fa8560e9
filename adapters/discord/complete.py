"""Autocomplete for ``/ops <text>``: the word being typed, completed from the metric catalog
and the metrics source's known targets (``web-1:9100`` offered as ``web-1``, the way users
name it).

Discord gives an autocomplete request 3 seconds, so the target list is cached for a minute and
a slow or failing metrics source only costs the target suggestions, never the answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence

from bot.errors import DependencyError
from bot.ports import MetricsSource
from intents.model import METRICS

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 25
MAX_CHOICE_LENGTH = 100
TARGETS_TIMEOUT_SECONDS = 1.5
TARGETS_CACHE_SECONDS = 60.0
_PORT = re.compile(r":\d+$")


def suggest(current: str, vocabulary: Sequence[str], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Completions of ``current``: its last word replaced by each vocabulary word that starts
    with it (then those that merely contain it), earlier words kept as typed."""
    head, _, last = current.rpartition(" ")
    needle = last.casefold()
    starts = [w for w in vocabulary if w.casefold().startswith(needle)]
    contains = [w for w in vocabulary if needle and needle in w.casefold() and w not in starts]
    prefix = f"{head} " if head else ""
    out: list[str] = []
    for word in _unique([*starts, *contains]):
        candidate = prefix + word
        if len(candidate) <= MAX_CHOICE_LENGTH:
            out.append(candidate)
        if len(out) == limit:
            break
    return out


def _unique(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(words))


class Vocabulary:
    """Catalog metric names plus the target names the metrics source knows (cached)."""

    def __init__(
        self,
        metrics: MetricsSource,
        *,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = TARGETS_TIMEOUT_SECONDS,
    ) -> None:
        self._metrics = metrics
        self._clock = clock
        self._timeout = timeout
        self._targets: tuple[str, ...] = ()
        self._fresh_until = float("-inf")

    async def words(self) -> list[str]:
        return [*METRICS, *await self._target_names()]

    async def _target_names(self) -> tuple[str, ...]:
        if self._clock() < self._fresh_until:
            return self._targets
        try:
            targets = await asyncio.wait_for(self._metrics.targets(), self._timeout)
        except (DependencyError, TimeoutError) as exc:
            log.info("autocomplete without targets: %s", exc)
            return self._targets
        self._targets = tuple(sorted({_PORT.sub("", t.name) for t in targets}))
        self._fresh_until = self._clock() + TARGETS_CACHE_SECONDS
        return self._targets

    async def suggest(self, current: str) -> list[str]:
        return suggest(current, await self.words())
