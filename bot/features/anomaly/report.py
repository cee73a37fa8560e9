"""How anomaly findings read in chat: how far from normal, episodes, and what moved together.

The detector (behind :class:`bot.features.anomaly.ports.AnomalyDetector`) says *where* series were
anomalous;
this module turns that into sentences an operator reads on a phone.

* :func:`measure` reads each finding against the series' own data: the 5th-95th percentile
  of the hour(s) before the span is "normal", and the :class:`Excursion` is how far the data
  went from it, when it left it and until when it stayed away ("912 ms vs normal 139-151 ms
  (6.4x), from 11:27 UTC for 41m"). Reading the data, not the detector's internals, keeps the
  numbers in the metric's unit, checkable against the chart, and right even when the detector
  widens a span early or closes it once its baseline has adapted.
* Excursions of series that began moving within a few samples of each other form one
  :class:`Episode` (one incident seen through several metrics): its strongest excursion
  leads, the others "rose with it" or "fell".
* An episode whose lead scores under :data:`NOTABLE_SCORE` is a *minor blip*: just over the
  alert line, named but never headlined.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.formatting import format_ago, format_duration, format_value, value_range
from bot.features.anomaly.ports import Finding
from bot.features.metrics.catalog import METRIC_INFO, MetricInfo
from bot.features.metrics.ports import Series

#: Scores run from 0 to 1 and the alert line is 0.5 (the strongest detector lens just beyond
#: anything normal); 0.6 means that lens is 1.5 times past its calibrated normal maximum.
NOTABLE_SCORE = 0.6
#: "Normal" is read from at least this much data before a span (longer spans: twice their length).
NORMAL_WINDOW_SECONDS = 3600.0
_MIN_NORMAL_POINTS = 10
#: An excursion begins at the first sample this share of the way from the band to its extreme.
_LEFT_NORMAL = 0.1
#: It lasts while samples stay more than half way; this many closer to normal in a row end it.
_BACK_SAMPLES = 3
_NAMES_IN_A_LIST = 4
#: The catalog's rate() window: how long a stopped series' last samples are distorted.
_DYING_SECONDS = 300.0
#: Excursions listed one per line; the rest are named in a "moved together" line or counted.
MAX_LISTED = 3
_TOGETHER_LINES = 2


@dataclass(frozen=True, slots=True)
class Checked:
    """One series the detector scored: ``key`` is the name it was scored under; ``step`` its
    sampling step when that differs from the answer's (0: the same)."""

    key: str
    target: str
    metric: str
    series: Series
    step: float = 0.0

    @property
    def info(self) -> MetricInfo:
        return METRIC_INFO[self.metric]

    def label(self, *, with_target: bool, first: bool = False) -> str:
        """``latency p95`` for one target's question (``Latency p95`` ``first`` in a
        sentence), ``checkout-api latency p95`` otherwise (a target keeps its spelling)."""
        if with_target:
            return f"{self.target} {metric_label(self.metric)}"
        return self.info.title if first else metric_label(self.metric)


@dataclass(frozen=True, slots=True)
class Excursion:
    """A finding read against its series' data (times in unix s, values in the metric's unit).

    ``low``/``high`` is the normal band and ``typical`` its median; ``extreme`` the furthest
    value from it (the max of a rise, the min of a fall); ``start``/``end`` when the data left
    the band and the last sample still away from it; ``ongoing`` whether it still is.
    """

    finding: Finding
    checked: Checked
    extreme: float
    low: float
    high: float
    typical: float
    rising: bool
    start: float
    end: float
    ongoing: bool

    @property
    def score(self) -> float:
        return self.finding.peak_score

    def how_far(self) -> str:
        """``912 ms vs normal 139-151 ms (6.4x)`` or ``74 req/s vs normal 79-107 req/s
        (24 % lower)``."""
        unit = self.checked.info.unit
        text = (
            f"{format_value(self.extreme, unit)} vs normal {value_range(self.low, self.high, unit)}"
        )
        if self.typical <= 0 or self.extreme < 0:
            return text
        ratio = self.extreme / self.typical
        if self.rising and ratio >= 1.05:
            return f"{text} ({ratio:.2g}x)" if ratio < 10 else f"{text} ({ratio:.0f}x)"
        if not self.rising and ratio <= 0.95:
            return f"{text} ({(1 - ratio) * 100:.0f} % lower)"
        return text


def measure(finding: Finding, checked: Checked) -> Excursion | None:
    """``finding`` read against the data of ``checked`` (see the module doc); None when its
    span holds no finite sample.

    The direction is whichever of the span's max and min left the normal band further. The
    excursion starts at the span's first sample :data:`_LEFT_NORMAL` of the way from the band
    to the span's extreme and ends at its last such sample (a detector's span may trail the
    data by a few samples), and runs on past the span while samples stay more than half way
    (a detector may close a span once its baseline has adapted to the new level).
    """
    after = [
        (t, v)
        for t, v in zip(checked.series.timestamps, checked.series.values, strict=True)
        if t >= finding.start and math.isfinite(v)
    ]
    inside = [(t, v) for t, v in after if t <= finding.end]
    if not inside:
        return None
    low, typical, high = _normal_band(finding, checked)
    top, bottom = max(v for _, v in inside), min(v for _, v in inside)
    rising = top - high >= low - bottom
    edge, peak = (high, top) if rising else (low, bottom)

    def away(value: float, share: float) -> bool:
        mark = edge + share * (peak - edge)
        return value > mark if rising else value < mark

    start = next((t for t, v in inside if away(v, _LEFT_NORMAL)), finding.start)
    last = max((t for t, v in inside if away(v, _LEFT_NORMAL)), default=finding.end)
    end, back = last, 0
    for t, v in after:
        if t <= finding.end:
            continue
        if away(v, 0.5):
            end, back = t, 0
            continue
        back += 1
        if back >= _BACK_SAMPLES:
            break
    ongoing = finding.ongoing or (back == 0 and end == after[-1][0])
    held = [v for t, v in after if t <= end]
    extreme = max(held) if rising else min(held)
    return Excursion(finding, checked, extreme, low, high, typical, rising, start, end, ongoing)


def _normal_band(finding: Finding, checked: Checked) -> tuple[float, float, float]:
    """(5th percentile, median, 95th percentile) of the data before the span; the detector's
    expected range when there is too little. Never below zero for a metric with a unit."""
    series = checked.series
    window = max(NORMAL_WINDOW_SECONDS, 2 * (finding.end - finding.start))
    before = sorted(
        v
        for t, v in zip(series.timestamps, series.values, strict=True)
        if finding.start - window <= t < finding.start and math.isfinite(v)
    )
    if len(before) >= _MIN_NORMAL_POINTS:
        low, typical, high = (_quantile(before, q) for q in (0.05, 0.5, 0.95))
    else:
        low, high = finding.expected_low, finding.expected_high
        typical = (low + high) / 2
    return (max(low, 0.0) if checked.info.unit else low), typical, high


@dataclass(frozen=True, slots=True)
class Episode:
    """Excursions of series that began moving together, strongest first."""

    excursions: tuple[Excursion, ...]

    @property
    def lead(self) -> Excursion:
        return self.excursions[0]

    @property
    def start(self) -> float:
        return min(x.start for x in self.excursions)

    @property
    def notable(self) -> bool:
        return self.lead.score >= NOTABLE_SCORE

    def per_series(self) -> list[Excursion]:
        """Each series' strongest excursion, strongest first (the lead comes first)."""
        seen: set[str] = set()
        out: list[Excursion] = []
        for excursion in self.excursions:
            if excursion.checked.key not in seen:
                seen.add(excursion.checked.key)
                out.append(excursion)
        return out


def group_episodes(excursions: Sequence[Excursion], *, step: float) -> list[Episode]:
    """Excursions that began within three samples (at least 5 minutes) of each other
    (chained) as episodes, the episode with the strongest lead first (ties: the more recent).
    A sample is ``step`` long, or the excursion's own step when it was measured at another
    (the coarser of the two counts): starts read at one-minute samples are grouped as they
    are in the default question, whatever the range asked about.

    Grouping by *start*, not by any overlap, keeps a slow story (a disk filling for a day)
    from swallowing every short incident that happened meanwhile."""

    def slack(a: Excursion, b: Excursion) -> float:
        return max(3 * max(a.checked.step or step, b.checked.step or step), 300.0)

    groups: list[list[Excursion]] = []
    for excursion in sorted(excursions, key=lambda x: x.start):
        if groups and excursion.start - groups[-1][-1].start <= slack(groups[-1][-1], excursion):
            groups[-1].append(excursion)
        else:
            groups.append([excursion])
    episodes = [Episode(tuple(sorted(g, key=_strength))) for g in groups]
    return sorted(episodes, key=lambda e: _strength(e.lead))


class Report:
    """The answer's sentences for one question's episodes (ranked strongest first).

    ``with_target`` names the target in every series label (for answers covering more than
    one target); ``step`` is the sampling step (each sample stands for one step of time).
    """

    def __init__(
        self, episodes: Sequence[Episode], *, now: float, step: float, with_target: bool
    ) -> None:
        self.notable = tuple(e for e in episodes if e.notable)
        self.minor = tuple(e for e in episodes if not e.notable)
        self.now = now
        self.step = step
        self.with_target = with_target

    @classmethod
    def of(
        cls,
        findings: Sequence[Finding],
        checked: Mapping[str, Checked],
        *,
        now: float,
        step: float,
    ) -> Report:
        """Measure ``findings`` (those of series in ``checked``) and group them: series that
        began moving within three samples (at least 5 minutes) moved together.

        A series that stopped reporting ends in distorted samples (a ``rate()`` window running
        past its last scrape reads low), so an excursion beginning in its last
        :data:`_DYING_SECONDS` is the outage, not the metric, and is left to the answer's
        "no samples since" line; one that began earlier is over when the samples stopped.
        """
        excursions: list[Excursion] = []
        for finding in findings:
            excursion = (
                measure(finding, checked[finding.series]) if finding.series in checked else None
            )
            if excursion is None:
                continue
            own = excursion.checked.step or step
            stopped = stopped_at(excursion.checked.series, now=now, step=own)
            if stopped is not None:
                if excursion.start >= stopped - _DYING_SECONDS - own:
                    continue
                excursion = dataclasses.replace(excursion, ongoing=False)
            excursions.append(excursion)
        episodes = group_episodes(_unbroken(excursions), step=step)
        with_target = len({c.target for c in checked.values()}) > 1
        return cls(episodes, now=now, step=step, with_target=with_target)

    def listed(self) -> list[Excursion]:
        """Up to :data:`MAX_LISTED` excursions: each episode's lead first (so a second
        incident is not crowded out by the first one's co-movers), then the strongest other
        notable ones; in episode order, strongest first within an episode."""
        chosen = {id(e.lead) for e in self.notable[:MAX_LISTED]}
        others = [x for e in self.notable for x in e.per_series()[1:] if x.score >= NOTABLE_SCORE]
        chosen.update(id(x) for x in sorted(others, key=_strength)[: MAX_LISTED - len(chosen)])
        return [x for e in self.notable for x in e.per_series() if id(x) in chosen]

    def lines(self, *, brief: bool = False) -> list[str]:
        """One line per listed excursion, then what moved together, what else was unusual and
        the minor blips; ``brief``: the listed excursions and one "moved together" line only
        (when the answer has more to say than anomalies)."""
        listed = self.listed()
        lines = [f"• {self.line(x)}" for x in listed]
        said = [(e, t) for e in self.notable if (t := self.together(e))][:_TOGETHER_LINES]
        if brief:
            return lines + [t for _, t in said[:1]]
        lines += [t for _, t in said]
        named = {x.checked.key for x in listed}
        named.update(x.checked.key for e, _ in said for x in e.excursions)
        rest = [x for e in self.notable for x in e.per_series() if x.checked.key not in named]
        if rest:
            lines.append(f"Also unusual: {join_names([self._label(x) for x in rest], 3)}.")
        if self.minor:
            lines.append(f"Minor blips just over the alert line: {self.blips()}.")
        return lines

    def line(self, excursion: Excursion) -> str:
        """``Latency p95: 912 ms vs normal 139-151 ms (6.4x), from 11:27 UTC (3h 10m ago)
        for 41m`` (or ``since ..., still going``)."""
        name = excursion.checked.label(with_target=self.with_target, first=True)
        began = when(excursion.start, self.now)
        if excursion.ongoing:
            return f"{name}: {excursion.how_far()}, since {began}, still going"
        step = excursion.checked.step or self.step
        duration = format_duration(excursion.end - excursion.start + step)
        return f"{name}: {excursion.how_far()}, from {began} for {duration}"

    def together(self, episode: Episode) -> str | None:
        """``Error rate and CPU rose with latency p95 at 11:27 UTC; request rate fell.``
        None for an episode of one series."""
        lead, *others = episode.per_series()
        if not others:
            return None
        rose = [x for x in others if x.rising]
        fell = [x for x in others if not x.rising]
        with_lead = f"with {self._label(lead)} at {clock_time(episode.start, self.now)}"
        if rose and fell:
            return f"{self._names(rose, first=True)} rose {with_lead}; {self._names(fell)} fell."
        return f"{self._names(rose or fell, first=True)} {'rose' if rose else 'fell'} {with_lead}."

    def blips(self) -> str:
        """``request rate at 10:21 UTC, memory at 13:02 UTC and 1 more``."""
        named = [f"{self._label(e.lead)} at {clock_time(e.start, self.now)}" for e in self.minor]
        return join_names(named, 2)

    def ongoing(self) -> bool:
        return any(x.ongoing for e in self.notable for x in e.excursions)

    def _label(self, excursion: Excursion) -> str:
        return excursion.checked.label(with_target=self.with_target)

    def _names(self, found: Sequence[Excursion], *, first: bool = False) -> str:
        return join_names(
            [
                x.checked.label(with_target=self.with_target, first=first and i == 0)
                for i, x in enumerate(found)
            ]
        )


def _unbroken(excursions: Sequence[Excursion]) -> list[Excursion]:
    """``excursions`` less those that began while their series was already away in an
    excursion still going: a series is in one excursion at a time, so a fill read "since
    Mar 11 09:33, still going" is not named again from wherever a detector span re-opened
    on it (the earlier one takes the stronger score of the two)."""
    kept: list[Excursion] = []
    for excursion in sorted(excursions, key=lambda x: x.start):
        earlier = next(
            (
                i
                for i, k in enumerate(kept)
                if k.ongoing
                and k.checked.key == excursion.checked.key
                and k.start < excursion.start
            ),
            None,
        )
        if earlier is None:
            kept.append(excursion)
        elif excursion.score > kept[earlier].score:
            stronger = dataclasses.replace(kept[earlier].finding, peak_score=excursion.score)
            kept[earlier] = dataclasses.replace(kept[earlier], finding=stronger)
    return kept


def stopped_at(series: Series, *, now: float, step: float) -> float | None:
    """The last sample's time when the series has gone quiet (nothing for three steps, and at
    least 5 minutes, before ``now``); None while it still reports."""
    if not series.timestamps:
        return None
    last = series.timestamps[-1]
    return last if now - last > max(3 * step, 300.0) else None


def metric_label(metric: str) -> str:
    """A catalog metric as it reads mid-sentence: ``latency p95``, ``CPU``."""
    title = METRIC_INFO[metric].title
    return title if title.isupper() else title[0].lower() + title[1:]


def join_names(names: Sequence[str], limit: int = _NAMES_IN_A_LIST) -> str:
    """``a, b and c``; past ``limit`` names, ``a, b, c, d and 2 more``."""
    names = list(names)
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def when(timestamp: float, now: float) -> str:
    """``11:27 UTC (3h 10m ago)``; with the date when it was not today (UTC)."""
    return f"{clock_time(timestamp, now)} ({format_ago(timestamp, now)})"


def clock_time(timestamp: float, now: float | None = None) -> str:
    """``11:27 UTC``, or ``Mar 11 20:10 UTC`` when ``now`` is on another UTC day."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    if now is not None and moment.date() != datetime.fromtimestamp(now, tz=UTC).date():
        return moment.strftime("%b %d %H:%M UTC")
    return moment.strftime("%H:%M UTC")


def _strength(excursion: Excursion) -> tuple[float, float]:
    return (-excursion.score, -excursion.end)


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
