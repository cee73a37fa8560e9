"""Incidents measured the same whatever the range asked about.

A question over a long range is scored at a coarse step (a week at 21-minute samples), where a
40-minute incident is two samples: its start moves by a sample, and the detector may not see
it end at all ("still going" hours after it stopped). So the incidents an answer reports are
measured again at the step of the default question (:data:`FINE_STEP`), over a *fixed* frame:
it ends at the question's end and starts on a 12-hour grid far enough back to give the
detector :data:`CONTEXT_SECONDS` of history before the incident. The most recent frame is
exactly the default question's (the last day at one-minute samples), so an incident of the
last 18 hours reads the same when asked about over 6 hours, 24 hours or 7 days: same samples,
same detector state, same span, same data-read start and end.

Only the series the answer talks about are refined (at most :data:`MAX_SERIES`), each with one
more query and one more detector pass; an incident whose frame would exceed
:data:`MAX_FRAME_SECONDS` keeps its coarse reading.

The fine pass *measures*; whether an incident is worth naming is still the range asked about's
call. A slow story (a disk filling for a day) is plain at 30-minute samples and barely there at
one-minute ones (the detector's baseline follows a slow ramp), so a refined incident never
drops below :data:`~bot.features.anomaly.report.NOTABLE_SCORE` when its coarse reading was
above it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.core.errors import UserError
from bot.features.anomaly.ports import AnomalyDetector, Finding
from bot.features.anomaly.report import NOTABLE_SCORE, Checked
from bot.features.metrics.lookup import fetch_series
from bot.features.metrics.ports import MetricsSource, TargetRef, Window
from bot.features.metrics.targets import TargetDirectory

#: The default question's frame and step: a day of one-minute samples.
FRAME_SECONDS = 86400.0
FINE_STEP = 60.0
#: Older incidents get frames reaching further back, in steps of this.
FRAME_STRIDE = 12 * 3600.0
#: History the detector sees before an incident (beyond its own start).
CONTEXT_SECONDS = 6 * 3600.0
#: Frames longer than this are not scored again (the coarse reading stands).
MAX_FRAME_SECONDS = 4 * 86400.0
#: Series refined per answer at most.
MAX_SERIES = 8
_FRAME_MARK = " · "


@dataclass(frozen=True, slots=True)
class Refined:
    """Findings with the refined ones in place of their coarse originals, and the series they
    are to be read against (the fine samples for refined series)."""

    findings: tuple[Finding, ...]
    checked: Mapping[str, Checked]


def frame_start(finding: Finding, *, end: float, coarse_step: float) -> float | None:
    """Where the frame measuring ``finding`` starts: the latest point on the 12-hour grid
    (counted back from ``end``, at least a day back) leaving :data:`CONTEXT_SECONDS` before it;
    None when that frame would be longer than :data:`MAX_FRAME_SECONDS`."""
    needed = end - (finding.start - coarse_step - CONTEXT_SECONDS)
    strides = max(0, math.ceil((needed - FRAME_SECONDS) / FRAME_STRIDE - 1e-9))
    length = FRAME_SECONDS + strides * FRAME_STRIDE
    return end - length if length <= MAX_FRAME_SECONDS else None


async def refine(
    findings: Sequence[Finding],
    checked: Mapping[str, Checked],
    keys: Sequence[str],
    *,
    source: MetricsSource,
    directory: TargetDirectory,
    detector: AnomalyDetector,
    target: TargetRef | None,
    end: float,
    coarse_step: float,
) -> Refined:
    """Measure the findings of the series ``keys`` again at :data:`FINE_STEP` (see the module
    doc); everything else, and any finding the fine pass does not see, is kept as it was."""
    chosen = set(list(dict.fromkeys(keys))[:MAX_SERIES])
    frames: dict[float, list[Finding]] = defaultdict(list)
    for finding in findings:
        start = frame_start(finding, end=end, coarse_step=coarse_step)
        if finding.series in chosen and start is not None:
            frames[start].append(finding)
    replaced: dict[int, list[Finding]] = {}
    fine_checked: dict[str, Checked] = {}
    for start, coarse in frames.items():
        wanted = {f.series: checked[f.series] for f in coarse}
        fine = await _fine_series(source, directory, target, wanted, Window(start, end, FINE_STEP))
        if not fine:
            continue
        since = min(f.start for f in coarse) - coarse_step
        name = _namer(end - start)
        scored = await detector.find([(name(c.key), c.series) for c in fine], since=since)
        found = [replace(f, series=_unnamed(f.series)) for f in scored]
        for finding in coarse:
            same = [f for f in found if _same(f, finding, coarse_step)]
            if same:
                replaced[id(finding)] = _standing(finding, same)
                fine_checked[finding.series] = next(c for c in fine if c.key == finding.series)
    kept: list[Finding] = []
    for finding in findings:
        kept.extend(replaced.get(id(finding), [finding]))
    return Refined(tuple(dict.fromkeys(kept)), {**checked, **fine_checked})


async def _fine_series(
    source: MetricsSource,
    directory: TargetDirectory,
    target: TargetRef | None,
    wanted: Mapping[str, Checked],
    window: Window,
) -> list[Checked]:
    by_metric: dict[str, set[str]] = defaultdict(set)
    for c in wanted.values():
        by_metric[c.metric].add(c.key)
    fine: list[Checked] = []
    for metric, keys in by_metric.items():
        try:
            lookup = await fetch_series(source, directory, metric, target, window)
        except UserError:
            continue
        fine.extend(
            Checked(key, name, metric, series, FINE_STEP)
            for name, series in lookup.series
            if (key := f"{name} {metric}") in keys
        )
    return fine


def _namer(length: float) -> Callable[[str], str]:
    """The name a series is scored under in a frame of ``length``: its own in the default
    question's frame (sharing that question's detector state and scored rows, so the two
    agree), ``<key> · 36h frame`` in a longer one (which must not displace them)."""
    if length <= FRAME_SECONDS:
        return lambda key: key
    return lambda key: f"{key}{_FRAME_MARK}{length / 3600:g}h frame"


def _unnamed(name: str) -> str:
    return name.split(_FRAME_MARK, 1)[0]


def _standing(coarse: Finding, fine: list[Finding]) -> list[Finding]:
    """``fine`` (the refined spans of ``coarse``), the strongest keeping ``coarse``'s score
    when that was notable and none of them is."""
    strongest = max(fine, key=lambda f: f.peak_score)
    if coarse.peak_score < NOTABLE_SCORE or strongest.peak_score >= NOTABLE_SCORE:
        return fine
    kept = replace(strongest, peak_score=coarse.peak_score)
    return [kept if f is strongest else f for f in fine]


def _same(fine: Finding, coarse: Finding, slack: float) -> bool:
    """Whether ``fine`` is (part of) the span ``coarse`` saw at its coarser step."""
    return (
        fine.series == coarse.series
        and fine.start <= coarse.end + slack
        and coarse.start - slack <= fine.end
    )
