"""From per-row scores to anomalous spans with a human explanation.

A span is a run of rows whose unsuppressed score reaches the threshold (short dips below it
are bridged), widened on both sides while the score stays elevated (80 % of the threshold): that
is "when it began" and "how long it lasted". Each span reports what was expected at its peak
(baseline +/- 3 robust sigmas), how far the peak was from it, and which lens saw it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.formatting import format_duration
from ml.anomaly.model import ALERT_THRESHOLD, COMPONENTS, ScoredSeries

EXPECTED_SIGMAS = 3.0
_MERGE_GAP_ROWS = 5
_ELEVATED_FRACTION = 0.8

_WHAT = {
    "level": "unusual value",
    "jump": "sudden jump",
    "shift": "sustained shift",
    "daily": "broke its daily pattern",
    "weekly": "broke its weekly pattern",
}


@dataclass(frozen=True, slots=True)
class AnomalySpan:
    """One anomalous span of one series. Times are unix seconds; values in the scored unit
    (per-second rate for counters). ``deviation`` is the peak's signed distance from the
    baseline in robust standard deviations."""

    start_index: int
    end_index: int
    peak_index: int
    start: float
    end: float
    ongoing: bool
    peak_score: float
    peak_value: float
    baseline: float
    expected_low: float
    expected_high: float
    deviation: float
    driver: str
    explanation: str


def find_spans(scored: ScoredSeries, threshold: float = ALERT_THRESHOLD) -> list[AnomalySpan]:
    """Anomalous spans of a scored series, oldest first."""
    return [explain_span(scored, lo, hi, threshold) for lo, hi in span_rows(scored, threshold)]


def strongest_spans(
    scored: ScoredSeries, threshold: float, since: float | None, limit: int
) -> list[AnomalySpan]:
    """The ``limit`` spans with the highest peak score that are still running at or after
    ``since`` (all spans when None), strongest first. Only those are explained."""
    return _strongest(scored, span_rows(scored, threshold), threshold, since, limit)


def _strongest(
    scored: ScoredSeries,
    rows: list[tuple[int, int]],
    threshold: float,
    since: float | None,
    limit: int,
) -> list[AnomalySpan]:
    if since is not None:
        rows = [(lo, hi) for lo, hi in rows if scored.timestamps[hi] >= since]
    rows.sort(key=lambda b: -float(scored.raw[b[0] : b[1] + 1].max()))
    return [explain_span(scored, lo, hi, threshold) for lo, hi in rows[:limit]]


def strongest_spans_many(
    scored: Sequence[ScoredSeries], threshold: float, since: float | None, limit: int
) -> list[list[AnomalySpan]]:
    """:func:`strongest_spans` of each series; the spans of a fleet of equally long series
    are found, ranked and chosen together (:func:`span_rows_many`)."""
    flat = _flat_spans([s.raw for s in scored], threshold)
    if flat is None:
        rows = span_rows_many([s.raw for s in scored], threshold)
        return [
            _strongest(s, r, threshold, since, limit) for s, r in zip(scored, rows, strict=True)
        ]
    n, raw, firsts, lasts = flat
    out: list[list[AnomalySpan]] = [[] for _ in scored]
    if len(firsts) == 0 or limit < 1:
        return out
    peaks = _peaks(raw, firsts, lasts)
    series = firsts // n
    if since is not None:
        ends = (lasts - series * n - 1).tolist()
        late = [
            scored[i].timestamps[hi] >= since for i, hi in zip(series.tolist(), ends, strict=True)
        ]
        keep = np.nonzero(late)[0]
        firsts, lasts, peaks, series = firsts[keep], lasts[keep], peaks[keep], series[keep]
    # Per series, strongest first; equally strong spans oldest first (a stable order).
    order = np.lexsort((firsts, -raw[peaks], series))
    series = series[order]
    starts = np.searchsorted(series, series)  # where each span's series begins in ``order``
    chosen = order[np.arange(len(order)) - starts < limit]
    for i, a, b, peak in zip(
        (firsts[chosen] // n).tolist(),
        firsts[chosen].tolist(),
        lasts[chosen].tolist(),
        peaks[chosen].tolist(),
        strict=True,
    ):
        base = i * n + 1
        out[i].append(_explain(scored[i], a - base, b - base, peak - base, threshold))
    return out


def span_rows_many(
    raws: Sequence[np.ndarray], threshold: float = ALERT_THRESHOLD
) -> list[list[tuple[int, int]]]:
    """:func:`span_rows` of each raw-score row, the same spans, for many series at once."""
    flat = _flat_spans(raws, threshold)
    if flat is None:
        return [_span_rows(r, threshold) for r in raws]
    n, _, firsts, lasts = flat
    out: list[list[tuple[int, int]]] = [[] for _ in raws]
    for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True):
        row = a // n
        out[row].append((a - row * n - 1, b - row * n - 1))
    return out


def _flat_spans(
    raws: Sequence[np.ndarray], threshold: float
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray] | None:
    """The spans of equally long raw-score rows, found at once: the rows are laid end to
    end, each between two rows that are never elevated, so no run of elevated rows reaches
    from one series into the next, and hot rows of different series are never grouped
    together. Returns the padded row length, the rows laid end to end and the first and
    last (flat) index of each span, in order; None when the rows cannot be laid so (fewer
    than two, of different lengths, or a threshold that is not positive)."""
    lengths = {len(r) for r in raws}
    if len(raws) < 2 or len(lengths) != 1 or not threshold > 0:
        return None
    n = lengths.pop() + 2
    padded = np.zeros((len(raws), n))
    padded[:, 1:-1] = raws
    flat = padded.ravel()
    hot = np.nonzero(flat >= threshold)[0]
    if len(hot) == 0:
        return n, flat, hot, hot
    series = hot // n
    cut = np.nonzero((np.diff(hot) > _MERGE_GAP_ROWS) | (np.diff(series) != 0))[0]
    firsts, lasts = hot[np.concatenate(([0], cut + 1))], hot[np.concatenate((cut, [len(hot) - 1]))]
    spans = _widen(flat, firsts, lasts, threshold)
    a, b = np.array(spans, dtype=np.int64).reshape(-1, 2).T
    return n, flat, a, b


def _peaks(raw: np.ndarray, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
    """For each span ``firsts[i] .. lasts[i]`` of ``raw``, the index of its first highest
    row (``np.argmax`` of each span, all at once)."""
    lengths = lasts - firsts + 1
    offsets = np.cumsum(lengths) - lengths
    rows = np.arange(int(lengths.sum())) + np.repeat(firsts - offsets, lengths)
    values = raw[rows]
    top = np.maximum.reduceat(values, offsets)
    at = np.where(values == np.repeat(top, lengths), rows, len(raw))
    out: np.ndarray = np.minimum.reduceat(at, offsets)
    return out


def span_rows(scored: ScoredSeries, threshold: float = ALERT_THRESHOLD) -> list[tuple[int, int]]:
    """First and last row of each anomalous span, oldest first."""
    return _span_rows(scored.raw, threshold)


def _span_rows(raw: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    hot = np.nonzero(raw >= threshold)[0]
    if len(hot) == 0:
        return []
    cut = np.nonzero(np.diff(hot) > _MERGE_GAP_ROWS)[0]
    firsts, lasts = hot[np.concatenate(([0], cut + 1))], hot[np.concatenate((cut, [len(hot) - 1]))]
    return _widen(raw, firsts, lasts, threshold)


def _widen(
    raw: np.ndarray, firsts: np.ndarray, lasts: np.ndarray, threshold: float
) -> list[tuple[int, int]]:
    """Each group of hot rows widened over the elevated rows around it; groups that then
    touch are merged."""
    elevated = np.concatenate(([False], raw >= threshold * _ELEVATED_FRACTION, [False]))
    change = np.nonzero(np.diff(elevated.astype(np.int8)))[0]
    starts, ends = change[0::2], change[1::2] - 1  # runs of elevated rows
    run = np.searchsorted(starts, firsts, side="right") - 1
    lo = np.minimum(firsts, starts[run])
    run = np.searchsorted(starts, lasts, side="right") - 1
    hi = np.maximum(lasts, ends[run])
    out: list[tuple[int, int]] = []
    for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def explain_span(scored: ScoredSeries, lo: int, hi: int, threshold: float) -> AnomalySpan:
    """The span of rows ``lo .. hi`` with what was expected at its peak, in words."""
    return _explain(scored, lo, hi, lo + int(np.argmax(scored.raw[lo : hi + 1])), threshold)


def _explain(scored: ScoredSeries, lo: int, hi: int, peak: int, threshold: float) -> AnomalySpan:
    """:func:`explain_span` with its peak row known."""
    n = len(scored.raw)
    value = float(scored.scored_values[peak])
    base = float(scored.baseline[peak])
    scale = float(scored.scale[peak])
    deviation = (value - base) / scale if scale > 0 else 0.0
    driver = COMPONENTS[int(scored.driver[peak])]
    start, end = float(scored.timestamps[lo]), float(scored.timestamps[hi])
    ongoing = hi >= n - 1 - _MERGE_GAP_ROWS and bool(scored.raw[-1] >= threshold * 0.5)
    low, high = base - EXPECTED_SIGMAS * scale, base + EXPECTED_SIGMAS * scale
    text = describe(
        driver, value, low, high, deviation, start, end, ongoing, scored.state.kind == "counter"
    )
    return AnomalySpan(
        lo,
        hi,
        peak,
        start,
        end,
        ongoing,
        float(scored.raw[peak]),
        value,
        base,
        low,
        high,
        deviation,
        driver,
        text,
    )


def describe(
    driver: str,
    value: float,
    low: float,
    high: float,
    deviation: float,
    start: float,
    end: float,
    ongoing: bool,
    is_rate: bool = False,
) -> str:
    """One line: what happened, how far from normal, since when and for how long."""
    unit = "/s" if is_rate else ""
    direction = "above" if deviation >= 0 else "below"
    duration = "still ongoing" if ongoing else f"lasted {_duration(end - start)}"
    return (
        f"{_WHAT.get(driver, driver)}: peaked at {value:.4g}{unit}, {abs(deviation):.1f} robust "
        f"sigma {direction} the expected {low:.4g}-{high:.4g}{unit}; began "
        f"{format_time(start)}, {duration}"
    )


@functools.lru_cache(maxsize=4096)
def format_time(ts: float) -> str:
    """``YYYY-MM-DD HH:MM UTC`` (memoised: the same spans are explained again and again)."""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@functools.lru_cache(maxsize=4096)
def _duration(seconds: float) -> str:
    """:func:`format_duration`, memoised like :func:`format_time`."""
    return format_duration(seconds)
