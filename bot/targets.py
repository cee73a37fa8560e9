"""Targets: turning the name a user typed ("web-1") into a PromQL label matcher.

The names come from the label values of the source's ``target_labels`` (``instance``
without its ``:port``, then ``job``, ``service``); the first label that has the name wins.
An unknown name raises :class:`NotFoundError` with the closest known names ("did you mean").
The known names are cached briefly, because every lookup needs them and they rarely change.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.errors import NotFoundError
from bot.ports import MetricsSource

_PORT = re.compile(r":\d+$")
_REGEX_SPECIAL = re.compile(r"([.\\+*?()|\[\]{}^$])")
_CACHE_SECONDS = 30.0
_SUGGESTIONS = 3
_MIN_SCORE = 60


@dataclass(frozen=True, slots=True)
class TargetRef:
    """A resolved target: the name and the label it was found in."""

    name: str
    label: str

    @property
    def selector(self) -> str:
        """The PromQL matcher for this target. ``instance`` matches with or without a port,
        so ``web-1`` covers ``web-1:9100`` (node-exporter) and ``web-1:8080`` (the app)."""
        if self.label == "instance" and not _PORT.search(self.name):
            pattern = _REGEX_SPECIAL.sub(r"\\\1", self.name) + "(:[0-9]+)?"
            return f'instance=~"{_quote(pattern)}"'
        return f'{self.label}="{_quote(self.name)}"'


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
    return NotFoundError(f"I don't know a target called '{name}'.", hint=hint)


class TargetResolver:
    """Resolves target names against a source's label values (cached for 30 s)."""

    def __init__(
        self, source: MetricsSource, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._source = source
        self._clock = clock
        self._index: dict[str, TargetRef] = {}
        self._loaded_at: float | None = None

    async def resolve(self, name: str) -> TargetRef:
        """The target called ``name`` (case-insensitive); :class:`NotFoundError` otherwise."""
        index = await self._known()
        found = index.get(name.lower())
        if found is None:
            raise unknown_target(name, self._display_names(index))
        return found

    async def names(self) -> list[str]:
        """Every known target name, sorted (for help and suggestions)."""
        return self._display_names(await self._known())

    async def _known(self) -> dict[str, TargetRef]:
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at > _CACHE_SECONDS:
            self._index = await self._load()
            self._loaded_at = now
        return self._index

    async def _load(self) -> dict[str, TargetRef]:
        index: dict[str, TargetRef] = {}
        for label in self._source.target_labels:
            for value in await self._source.label_values(label):
                names = [strip_port(value), value] if label == "instance" else [value]
                for name in names:
                    index.setdefault(name.lower(), TargetRef(name, label))
        return index

    @staticmethod
    def _display_names(index: Mapping[str, TargetRef]) -> list[str]:
        return sorted({ref.name for ref in index.values() if not _PORT.search(ref.name)})


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
