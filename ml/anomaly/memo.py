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
from collections.abc import Sequence
from dataclasses import dataclass

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
        return self.score_many(detector, [Window(key, timestamps, values, state)])[0]

    def score_many(self, detector: Detector, windows: Sequence[Window]) -> list[ScoredSeries]:
        """:meth:`score` of several windows; the series that need computing are computed
        together (:meth:`Detector.score_many`, :meth:`Detector.append_many`)."""
        plans = [self._plan(w) for w in windows]
        fresh = [p for p in plans if p.result is None and p.previous is None]
        more = [p for p in plans if p.result is None and p.previous is not None]
        for plan, full in zip(
            fresh, detector.score_many([p.scoring() for p in fresh]), strict=True
        ):
            plan.finish(full)
        for plan, full in zip(
            more, detector.append_many([p.continuation() for p in more]), strict=True
        ):
            plan.finish(full)
        for plan in fresh + more:
            assert plan.full is not None
            self._count(plan.computed)
            self._remember(plan.window.key, plan.full)
        return [p.answer() for p in plans]

    def _plan(self, window: Window) -> _Plan:
        """How to answer ``window``: from memory, by extending the remembered rows, or by
        scoring it afresh."""
        with self._lock:
            previous = self._items.get(window.key)
            if previous is not None:
                self._items.move_to_end(window.key)
        start = self._offset(previous, window.timestamps, window.values, window.state)
        if previous is None or start is None:
            return _Plan(window, None, 0)
        plan = _Plan(window, previous, start)
        end = start + len(window.timestamps)
        if end <= len(previous.timestamps):
            plan.result = _window(previous, start, end)
        return plan

    def _offset(
        self,
        previous: ScoredSeries | None,
        timestamps: FloatArray,
        values: FloatArray,
        state: FittedState,
    ) -> int | None:
        """Where the window starts inside ``previous``'s rows, if it lines up exactly."""
        if previous is None or previous.carry is None or not _same(previous.state, state):
            return None
        n, known = len(timestamps), len(previous.timestamps)
        if n == 0:
            return None
        for start in np.nonzero(previous.timestamps == timestamps[0])[0].tolist():
            if start > self.max_history_factor * n:
                return None
            overlap = min(known - start, n)
            if _equal(previous.timestamps[start : start + overlap], timestamps[:overlap]) and (
                _equal(previous.values[start : start + overlap], values[:overlap])
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


def _same(a: FittedState, b: FittedState) -> bool:
    """Equal states; usually the very same object from the state cache, checked first."""
    return a is b or a == b


def _equal(a: FloatArray, b: FloatArray) -> bool:
    """Equal rows, NaN equal to NaN (the plain comparison settles the common case)."""
    return bool((a == b).all()) or np.array_equal(a, b, equal_nan=True)


@dataclass(frozen=True, slots=True)
class Window:
    """One question about one series: its memo key, the rows asked about and its state."""

    key: str
    timestamps: FloatArray
    values: FloatArray
    state: FittedState


@dataclass(slots=True)
class _Plan:
    """How one window is answered; ``result`` once known, ``full`` the rows remembered."""

    window: Window
    previous: ScoredSeries | None
    start: int
    result: ScoredSeries | None = None
    full: ScoredSeries | None = None
    computed: int = 0

    def scoring(self) -> tuple[FloatArray, FloatArray, FittedState]:
        w = self.window
        return w.timestamps, w.values, w.state

    def continuation(self) -> tuple[ScoredSeries, FloatArray, FloatArray]:
        """The remembered rows and the window's rows after them."""
        assert self.previous is not None
        new = slice(len(self.previous.timestamps) - self.start, None)
        return self.previous, self.window.timestamps[new], self.window.values[new]

    def finish(self, full: ScoredSeries) -> None:
        known = len(self.previous.timestamps) if self.previous is not None else 0
        self.full, self.computed = full, len(full.timestamps) - known
        self.result = _window(full, self.start, len(full.timestamps))

    def answer(self) -> ScoredSeries:
        assert self.result is not None
        return self.result


def _window(scored: ScoredSeries, start: int, end: int) -> ScoredSeries:
    """Rows ``start:end`` of ``scored`` (views, no copies)."""
    if start == 0 and end == len(scored.timestamps):
        return scored
    cut = slice(start, end)
    return ScoredSeries(  # not dataclasses.replace: a fleet makes a hundred of these
        scored.timestamps[cut],
        scored.values[cut],
        scored.scored_values[cut],
        scored.scores[cut],
        scored.raw[cut],
        scored.baseline[cut],
        scored.scale[cut],
        scored.driver[cut],
        scored.state,
    )
