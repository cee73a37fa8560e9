"""Autocomplete for ``/ops <text>``: the word being typed, completed from the metric catalog
and the bot's target directory (``web-1:9100`` offered as ``web-1``, the way users name it).

Discord gives an autocomplete request 3 seconds, so the directory is asked with a short
timeout: a slow or failing metrics source only costs the target suggestions, never the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.features.metrics.targets import TargetDirectory
from intents.model import METRICS

MAX_SUGGESTIONS = 25
MAX_CHOICE_LENGTH = 100
TARGETS_TIMEOUT_SECONDS = 1.5


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
    """Catalog metric names plus the target names of the bot's one :class:`TargetDirectory`
    (the names "cpu of ..." accepts); a slow source costs only the target suggestions."""

    def __init__(
        self, directory: TargetDirectory, *, timeout: float = TARGETS_TIMEOUT_SECONDS
    ) -> None:
        self._directory = directory
        self._timeout = timeout

    async def words(self) -> list[str]:
        return [*METRICS, *await self._directory.names_within(self._timeout)]

    async def suggest(self, current: str) -> list[str]:
        return suggest(current, await self.words())
