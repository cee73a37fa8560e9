"""Incremental scoring for repeated questions: remember each series' scored rows.

The bot is asked about the same series again and again ("anything odd with checkout-api?"
now, and again five minutes later), each time over a window that mostly overlaps the last
one. Scores are causal given the fitted state, so rows already scored cannot change: the
memo keeps each series' last :class:`ScoredSeries` and, when a new window continues it,
scores only the appended rows (:meth:`Detector.extend`). A window lying inside the
remembered rows costs nothing at all.

Rows are judged against all the history the memo holds, which may start before the window
asked about; so that memory stays bounded, the remembered history may be at most as long as
the window itself (``max_history_factor``), beyond which the window is scored afresh.
Anything that does not line up exactly (other timestamps, a changed value, another fitted
state) is scored afresh too. Safe to use from worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from ml.anomaly.detector import Detector
from ml.anomaly.model import FittedState, FloatArray, ScoredSeries


class ScoreMemo:
    """LRU of ``key -> ScoredSeries`` (at most ``capacity`` series) that scores windows
    incrementally."""

    def __init__(self, capacity: int = 256, max_history_factor: float = 1.0) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.max_history_factor = max_history_factor
        self._items: OrderedDict[str, ScoredSeries] = OrderedDict()
        self._lock = threading.Lock()
        self.rows_scored = 0  # rows actually computed (not reused), for tests and benchmarks

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def score(
        self,
        key: str,
        detector: Detector,
        timestamps: FloatArray,
        values: FloatArray,
        state: FittedState,
    ) -> ScoredSeries:
        """Scores of the window ``timestamps``/``values``, reusing remembered rows of ``key``.

        Returns exactly the rows asked for. When the window continues the remembered rows
        the result equals the corresponding rows of ``detector.score`` over the remembered
        history plus the new rows; otherwise it equals ``detector.score`` of the window.
        """
        with self._lock:
            previous = self._items.get(key)
            if previous is not None:
                self._items.move_to_end(key)
        start = self._offset(previous, timestamps, values, state)
        if previous is None or start is None:
            full = detector.score(timestamps, values, state)
            self._count(len(timestamps))
            start = 0
        else:
            end = start + len(timestamps)
            known = len(previous.timestamps)
            if end <= known:
                return _window(previous, start, end)
            history_ts = np.concatenate((previous.timestamps[:start], timestamps))
            history_values = np.concatenate((previous.values[:start], values))
            full = detector.extend(previous, history_ts, history_values)
            self._count(end - known)
        self._remember(key, full)
        return _window(full, start, len(full.timestamps))

    def _offset(
        self,
        previous: ScoredSeries | None,
        timestamps: FloatArray,
        values: FloatArray,
        state: FittedState,
    ) -> int | None:
        """Where the window starts inside ``previous``'s rows, if it lines up exactly."""
        if previous is None or previous.carry is None or previous.state != state:
            return None
        n, known = len(timestamps), len(previous.timestamps)
        if n == 0:
            return None
        for start in np.nonzero(previous.timestamps == timestamps[0])[0].tolist():
            if start > self.max_history_factor * n:
                return None
            overlap = min(known - start, n)
            if np.array_equal(
                previous.timestamps[start : start + overlap], timestamps[:overlap]
            ) and np.array_equal(
                previous.values[start : start + overlap], values[:overlap], equal_nan=True
            ):
                return start
        return None

    def _count(self, rows: int) -> None:
        with self._lock:
            self.rows_scored += rows

    def _remember(self, key: str, scored: ScoredSeries) -> None:
        with self._lock:
            self._items[key] = scored
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


def _window(scored: ScoredSeries, start: int, end: int) -> ScoredSeries:
    """Rows ``start:end`` of ``scored`` (views, no copies)."""
    if start == 0 and end == len(scored.timestamps):
        return scored
    cut = slice(start, end)
    return replace(
        scored,
        timestamps=scored.timestamps[cut],
        values=scored.values[cut],
        scored_values=scored.scored_values[cut],
        scores=scored.scores[cut],
        raw=scored.raw[cut],
        baseline=scored.baseline[cut],
        scale=scored.scale[cut],
        driver=scored.driver[cut],
        carry=None,
    )
