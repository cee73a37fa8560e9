"""Value types of the anomaly engine: parameters, fitted state and scored output.

All of them are frozen dataclasses. :class:`FittedState` is what gets cached and written to
disk; it is versioned (detector name and version plus a hash of the parameters) so that a
cached state from another detector version or parameter set is never reused.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DETECTOR_NAME = "robust-ensemble"
DETECTOR_VERSION = 3
STATE_FORMAT = 1

# The one threshold the bot alerts with and ``smartcloudops detect`` marks ``is_anomaly`` by.
# A score is ``r / (1 + r)`` where ``r`` is how far the strongest detector component exceeds
# its own calibrated "normal maximum"; 0.5 means "just beyond anything normal". Fixed in
# advance, the same for every series and every benchmark corpus.
ALERT_THRESHOLD = 0.5

COMPONENTS = ("level", "jump", "shift", "daily", "weekly")


@dataclass(frozen=True, slots=True)
class DetectorParams:
    """Tunable parameters; the same for every series (no per-series tuning).

    Window sizes are in rows. Robust statistics are refreshed once per block of
    ``block_rows`` rows from the ``history_blocks`` complete blocks before it. Each
    component is calibrated against the ``calibration_quantile`` of its own surprises over
    the last ``calibration_rows`` rows, refreshed every ``calibration_refresh_blocks``
    blocks; a row alerts when a component goes ``alert_margin`` times beyond that reference
    (a larger margin is more conservative).
    With ``clean_calibration`` the rows that already looked anomalous are left out of that
    reference, so an incident does not teach the detector that incidents are normal.

    ``daily_weekly_agreement``: on a series with both rhythms, a broken daily pattern
    counts only as far as the same rows are at least this fraction of the weekly
    component's alert level unusual against last week. ``season_agreement`` does the same
    for the non-seasonal components of a series with a rhythm. 0 turns either off.

    After an alert, further alerts are held for ``refractory_rows`` rows, or until the
    series has stayed below ``rearm_ratio`` of its alert level for ``rearm_seconds``: one
    incident pages once, a new one pages again.

    ``escalation``: right after an alert, the next one needs a ratio of at least this (not
    just 1); the extra bar halves every ``escalation_half_life_seconds``. A series that
    keeps crossing its alert level by a little pages once, not once an hour; a clearly
    stronger surprise still pages. 1 turns it off.
    """

    block_rows: int = 8
    history_blocks: int = 32
    min_history_blocks: int = 3
    calibration_rows: int = 4000
    calibration_quantile: float = 0.998
    calibration_min: int = 30
    calibration_refresh_blocks: int = 8
    clean_calibration: bool = True
    shift_rows: int = 24
    seasonal_min_acf: float = 0.3
    seasonal_min_cycles: float = 2.5
    refractory_rows: int = 100
    rearm_ratio: float = 0.5
    rearm_seconds: float = 3600.0
    warmup_rows: int = 30
    daily_weekly_agreement: float = 0.5
    season_agreement: float = 0.3
    alert_margin: float = 1.3
    escalation: float = 1.2
    escalation_half_life_seconds: float = 72 * 3600.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorParams:
        return cls(**data)

    def fingerprint(self) -> str:
        """Short stable hash of the parameters, part of every cache key."""
        return _fingerprint(self)


@functools.lru_cache(maxsize=64)
def _fingerprint(params: DetectorParams) -> str:
    # Memoised: the cache checks it on every lookup, and hashing the JSON is slow next to
    # scoring a few cached rows. Parameters are frozen, so the hash never goes stale.
    blob = json.dumps(params.to_dict(), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SeasonSpec:
    """A seasonal period the fit found: its name, length in seconds and in rows."""

    name: str
    seconds: float
    rows: int
    acf: float


@dataclass(frozen=True, slots=True)
class FittedState:
    """What :meth:`Detector.fit` learns about one series, and on what.

    ``train_start``/``train_end`` (unix s) and ``train_rows`` describe the training window.
    ``kind`` is ``"gauge"`` or ``"counter"`` (counters are scored as per-second rates).
    ``floor`` is the smallest scale a deviation is measured in, so flat lines do not divide by
    zero. ``seasons`` are the daily/weekly rhythms found (empty when there are none).
    """

    detector: str
    version: int
    params: DetectorParams
    train_start: float
    train_end: float
    train_rows: int
    step_seconds: float
    kind: str
    floor: float
    seasons: tuple[SeasonSpec, ...] = ()

    def is_compatible(self, params: DetectorParams) -> bool:
        """True when this state was fitted by this detector version with these parameters."""
        return (
            self.detector == DETECTOR_NAME
            and self.version == DETECTOR_VERSION
            and (self.params is params or self.params.fingerprint() == params.fingerprint())
        )

    def to_json(self) -> str:
        data = {
            "format": STATE_FORMAT,
            "detector": self.detector,
            "version": self.version,
            "params": self.params.to_dict(),
            "params_fingerprint": self.params.fingerprint(),
            "train_start": self.train_start,
            "train_end": self.train_end,
            "train_rows": self.train_rows,
            "step_seconds": self.step_seconds,
            "kind": self.kind,
            "floor": self.floor,
            "seasons": [asdict(s) for s in self.seasons],
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FittedState:
        """Parse :meth:`to_json` output; raises ``ValueError`` on any other format."""
        try:
            data = json.loads(text)
            if data.get("format") != STATE_FORMAT:
                raise ValueError(f"unsupported state format {data.get('format')!r}")
            return cls(
                detector=str(data["detector"]),
                version=int(data["version"]),
                params=DetectorParams.from_dict(data["params"]),
                train_start=float(data["train_start"]),
                train_end=float(data["train_end"]),
                train_rows=int(data["train_rows"]),
                step_seconds=float(data["step_seconds"]),
                kind=str(data["kind"]),
                floor=float(data["floor"]),
                seasons=tuple(SeasonSpec(**s) for s in data["seasons"]),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a fitted detector state: {exc}") from exc


@dataclass(frozen=True, slots=True)
class ScoreCarry:
    """What :meth:`Detector.extend` needs from the rows already scored with one state.

    Per component (in the order of :func:`ml.anomaly.components.compute_components`) and
    row: the surprises' calibration histogram ``bins``
    (:func:`ml.anomaly.calibration.to_bins`), where the component could judge (``known``)
    and which rows the clean calibration counts (``clean``); per row the combined
    ``lenient`` ratio; the block ``summaries`` behind the robust statistics (median and IQR
    per component and block); and the calibration references computed so far
    (``lenient_refs``, ``clean_refs``, per component and evaluation block). Later rows are
    judged and calibrated against these, so they are kept instead of being recomputed.

    A carry of one series has shapes ``(C, n)``, ``(n,)``, ``(2, C, blocks)`` and
    ``(C, evaluations)``; while a batch of series is scored the same arrays carry a leading
    series axis (:meth:`stack`, :meth:`row`).
    """

    bins: npt.NDArray[np.uint8]
    known: npt.NDArray[np.bool_]
    clean: npt.NDArray[np.bool_]
    lenient: FloatArray
    summaries: FloatArray
    lenient_refs: FloatArray
    clean_refs: FloatArray

    @classmethod
    def empty(cls, components: int, series: int) -> ScoreCarry:
        """The carry of no rows at all, for a batch of ``series`` series."""
        z = np.zeros((series, components, 0))
        b = np.zeros((series, components, 0), dtype=bool)
        bins = np.zeros((series, components, 0), dtype=np.uint8)
        return cls(bins, b, b, np.zeros((series, 0)), np.zeros((2, series, components, 0)), z, z)

    @classmethod
    def stack(cls, carries: Sequence[ScoreCarry]) -> ScoreCarry:
        """The carries of same-shaped series, as one batch."""
        return cls._joined(carries, np.stack)

    @classmethod
    def concatenate(cls, batches: Sequence[ScoreCarry]) -> ScoreCarry:
        """Batches of same-shaped series, as one batch (series in order)."""
        return cls._joined(batches, np.concatenate)

    @classmethod
    def _joined(
        cls, parts: Sequence[ScoreCarry], join: Callable[..., npt.NDArray[Any]]
    ) -> ScoreCarry:
        """``parts`` joined field by field along the series axis (axis 1 for ``summaries``,
        whose first axis is its two sides)."""

        def arrays(name: str, axis: int = 0) -> npt.NDArray[Any]:
            return join([getattr(c, name) for c in parts], axis=axis)

        return cls(
            arrays("bins"),
            arrays("known"),
            arrays("clean"),
            arrays("lenient"),
            arrays("summaries", axis=1),
            arrays("lenient_refs"),
            arrays("clean_refs"),
        )

    def rows(self, lo: int, hi: int) -> ScoreCarry:
        """Series ``lo:hi`` of a batch, as a batch (views, no copies)."""
        return ScoreCarry(
            self.bins[lo:hi],
            self.known[lo:hi],
            self.clean[lo:hi],
            self.lenient[lo:hi],
            self.summaries[:, lo:hi],
            self.lenient_refs[lo:hi],
            self.clean_refs[lo:hi],
        )

    def row(self, i: int) -> ScoreCarry:
        """Series ``i`` of a batch (views, no copies)."""
        return ScoreCarry(
            self.bins[i],
            self.known[i],
            self.clean[i],
            self.lenient[i],
            self.summaries[:, i],
            self.lenient_refs[i],
            self.clean_refs[i],
        )


@dataclass(frozen=True, slots=True)
class ScoredSeries:
    """Per-row output of the detector, all arrays as long as the input.

    ``scores`` are the published anomaly scores in [0, 1] (after suppressing repeats of an
    alert while its incident lasts, so one incident alerts once). ``raw`` are the scores
    before that suppression, used to find how long an incident lasted. ``baseline`` and
    ``scale`` are the expected value and the robust spread the row was judged against (in
    the scored unit: rates for counters); ``driver`` is the index into :data:`COMPONENTS` of
    the strongest component. ``carry`` is what :meth:`Detector.extend` needs to score
    appended rows; it is None when the series was not scored with one fixed state
    (:meth:`Detector.score_online`). ``origin`` is the batch the series was computed in and
    its row there, when these arrays are that row (see :class:`ScoredBatch`).
    """

    timestamps: FloatArray
    values: FloatArray
    scored_values: FloatArray
    scores: FloatArray
    raw: FloatArray
    baseline: FloatArray
    scale: FloatArray
    driver: npt.NDArray[np.int64]
    state: FittedState = field(compare=False)
    carry: ScoreCarry | None = field(default=None, compare=False, repr=False)
    origin: tuple[ScoredBatch, int] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, eq=False)
class ScoredBatch:
    """Series scored together, as computed: the arrays of :class:`ScoredSeries` with a
    leading series axis, ``(S, n)``, and the carry of the batch.

    Each :class:`ScoredSeries` of a batch is a row of it and knows which
    (``ScoredSeries.origin``), so that extending the same fleet again takes these arrays
    as they are instead of stacking a hundred rows of them again."""

    timestamps: FloatArray
    values: FloatArray
    scored_values: FloatArray
    scores: FloatArray
    raw: FloatArray
    baseline: FloatArray
    scale: FloatArray
    driver: npt.NDArray[np.int64]
    carry: ScoreCarry
