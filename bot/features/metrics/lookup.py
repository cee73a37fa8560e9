"""Fetching catalog metrics as named series: shared by the metric handlers and anomaly checks.

:func:`fetch_catalog_series` resolves the target, renders the catalog template of the source
and runs the range query; each series comes back named after its target ("web-1",
"checkout-api") so charts, summaries and detector findings speak the user's words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.errors import InvalidInput
from bot.features.metrics.ports import MetricsSource, NamedSeries, Series, TargetRef, Window
from bot.features.metrics.targets import TargetDirectory, strip_port
from intents.model import METRICS

#: Steps a chart or summary uses, so samples land on round times and caches can share them.
_NICE_STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_TARGET_POINTS = 240


@dataclass(frozen=True, slots=True)
class SeriesLookup:
    """The answer to "``metric`` of ``target`` over ``window``"; ``asked`` is how the source
    asked for it (the PromQL, shown when nothing came back)."""

    metric: str
    target: TargetRef | None
    asked: str
    window: Window
    series: tuple[NamedSeries, ...]
    quantile: float | None = None


def step_for(range_seconds: float, points: int = _TARGET_POINTS) -> int:
    """A round step giving about ``points`` samples over ``range_seconds`` (at least 15 s)."""
    wanted = range_seconds / points
    return next((s for s in _NICE_STEPS if s >= wanted), _NICE_STEPS[-1])


def series_name(labels: Mapping[str, str], target_labels: Sequence[str]) -> str:
    """The name a series is shown under: its target label's value, else its labels."""
    for label in target_labels:
        value = labels.get(label)
        if value:
            return strip_port(value) if label == "instance" else value
    return describe_labels(labels)


def describe_labels(labels: Mapping[str, str]) -> str:
    """``up{instance="web-1:9100", job="node"}`` style, or ``{}`` for no labels."""
    name = labels.get("__name__", "")
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{inner}}}" if inner or not name else name


def name_series(series: Sequence[Series], target_labels: Sequence[str]) -> tuple[NamedSeries, ...]:
    """Each series with a display name; names that would collide fall back to full labels."""
    names = [series_name(s.labels, target_labels) for s in series]
    counts = Counter(names)
    return tuple(
        (name if counts[name] == 1 else describe_labels(s.labels), s)
        for name, s in zip(names, series, strict=True)
    )


def window_over(span: float, end: float) -> Window:
    """The window of the last ``span`` seconds up to ``end``, at a round step."""
    return Window(end - span, end, step_for(span))


async def fetch_series(
    source: MetricsSource,
    directory: TargetDirectory,
    metric: str,
    target: str | TargetRef | None,
    window: Window,
    *,
    quantile: float | None = None,
) -> SeriesLookup:
    """Samples of catalog ``metric`` for ``target`` (None: every target) over ``window``.

    Raises :class:`InvalidInput` for a metric outside the catalog,
    :class:`~bot.core.errors.NotFoundError` (with suggestions) for an unknown target, and whatever
    the source raises for its own failures. An empty ``series`` means no data matched.
    """
    if metric not in METRICS:
        raise InvalidInput(
            f"'{metric}' is not a metric I know.", hint=f"Try one of: {', '.join(METRICS)}."
        )
    ref = target if target is None or isinstance(target, TargetRef) else None
    if isinstance(target, str):
        ref = await directory.resolve(target)
    answer = await source.series(metric, ref, window, quantile=quantile)
    named = tuple((name, s) for name, s in answer.series if s.values)
    return SeriesLookup(metric, ref, answer.asked, window, named, quantile)
