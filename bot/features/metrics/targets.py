"""Targets: the names users give systems ("web-1", "checkout-api") and the directory that
knows them.

:class:`TargetDirectory` is the one place a typed name becomes a :class:`TargetRef`: every
feature and the Discord autocomplete share one, so they agree on what exists. The names come
from the source's :meth:`~bot.features.metrics.ports.MetricsSource.target_names` (``instance``
without its
``:port``, then ``job``, ``service``; the first label that has the name wins) and are cached
briefly, because every lookup needs them and they rarely change. An unknown name raises
:class:`NotFoundError` with the closest known names ("did you mean"), carried as its
``candidates`` so the answer can offer them as a "Which target?" menu.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable, Mapping

from rapidfuzz import fuzz, process

from bot.core.errors import DependencyError, NotFoundError
from bot.features.metrics.ports import MetricsSource, TargetRef

_PORT = re.compile(r":\d+$")
_CACHE_SECONDS = 30.0
_SUGGESTIONS = 3
_MIN_SCORE = 60


def strip_port(instance: str) -> str:
    """``web-1:9100`` -> ``web-1``; names without a port are returned as they are."""
    return _PORT.sub("", instance)


def target_names(labels: Mapping[str, str], target_labels: Iterable[str]) -> list[str]:
    """Every name a series or alert with ``labels`` answers to, in ``target_labels`` order."""
    names: list[str] = []
    for label in target_labels:
        value = labels.get(label)
        if value:
            names.extend([strip_port(value), value] if label == "instance" else [value])
    return names


def matches_target(labels: Mapping[str, str], name: str, target_labels: Iterable[str]) -> bool:
    """Whether ``labels`` belong to the target called ``name`` (case-insensitive)."""
    wanted = name.lower()
    return any(n.lower() == wanted for n in target_names(labels, target_labels))


def suggest(name: str, known: Iterable[str], limit: int = _SUGGESTIONS) -> list[str]:
    """The known names closest to ``name``, best first (empty when nothing is close)."""
    choices = sorted(set(known))
    found = process.extract(
        name.lower(), choices, scorer=fuzz.WRatio, processor=str.lower, limit=limit
    )
    return [choice for choice, score, _ in found if score >= _MIN_SCORE]


def unknown_target(name: str, known: Iterable[str]) -> NotFoundError:
    """The error for a name that matches no target, with "did you mean" or the known names."""
    names = sorted(set(known))
    close = suggest(name, names)
    if close:
        hint = "Did you mean " + " or ".join(f"`{n}`" for n in close) + "?"
    elif names:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        hint = f"Known targets: {shown}."
    else:
        hint = "I see no targets at all; is anything being scraped? Try `status`."
    return NotFoundError(
        f"I don't know a target called '{name}'.", hint=hint, candidates=tuple(close)
    )


class TargetDirectory:
    """Target names of one metrics source, cached for 30 s, shared by every feature."""

    def __init__(
        self, source: MetricsSource, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._source = source
        self._clock = clock
        self._index: dict[str, TargetRef] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def resolve(self, name: str) -> TargetRef:
        """The target called ``name`` (case-insensitive); :class:`NotFoundError` otherwise."""
        index = await self._known()
        found = index.get(name.lower())
        if found is None:
            raise unknown_target(name, self._display_names(index))
        return found

    async def names(self) -> list[str]:
        """Every known target name, sorted, without ports (for help and completion)."""
        return self._display_names(await self._known())

    async def names_within(self, seconds: float) -> list[str]:
        """:meth:`names`, or the last known ones when the source does not answer in time
        (autocomplete has 3 s; a slow source may cost the suggestions, never the answer)."""
        try:
            return await asyncio.wait_for(self.names(), seconds)
        except (DependencyError, TimeoutError):
            return self._display_names(self._index)

    async def _known(self) -> dict[str, TargetRef]:
        async with self._lock:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at > _CACHE_SECONDS:
                self._index = _index(await self._source.target_names())
                self._loaded_at = now
            return self._index

    @staticmethod
    def _display_names(index: Mapping[str, TargetRef]) -> list[str]:
        return sorted({ref.name for ref in index.values() if not _PORT.search(ref.name)})


def _index(refs: Iterable[TargetRef]) -> dict[str, TargetRef]:
    index: dict[str, TargetRef] = {}
    for ref in refs:
        names = [strip_port(ref.name), ref.name] if ref.label == "instance" else [ref.name]
        for name in names:
            index.setdefault(name.lower(), TargetRef(name, ref.label))
    return index
