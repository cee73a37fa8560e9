"""The input contract of the forecaster: what a series must look like, and the errors if not.

The tree::

    ForecastInputError (a UserError: its text can go to chat as is)
    ├── InvalidSeries    wrong shapes, unsorted or non-finite timestamps, infinite values
    ├── NotEnoughData    all NaN, or fewer samples / less history than a trend needs
    └── ConstantSeries   every sample has the same value: there is no trend to extend

:func:`prepare` checks a ``(timestamps, values)`` pair once, drops the NaN gaps and, for long
high-resolution windows, fits on block medians so the cost stays bounded (the full-resolution
samples are kept for measuring the noise band).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.errors import UserError

FloatArray = npt.NDArray[np.float64]

#: Fewest finite samples, and shortest history in seconds, that a trend is fitted on.
MIN_SAMPLES = 12
MIN_SPAN = 3600.0
#: Above this many samples the fit runs on medians of consecutive blocks.
MAX_FIT_SAMPLES = 3000


class ForecastInputError(UserError):
    """The series cannot be forecast; the message says why and what would do."""


class InvalidSeries(ForecastInputError):
    """Malformed input: shapes, unsorted or non-finite timestamps, infinite values."""


class NotEnoughData(ForecastInputError):
    """Too few finite samples or too short a history (the message says how much is needed)."""


class ConstantSeries(ForecastInputError):
    """All samples are equal, so there is no trend or noise to learn from."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A checked series: the samples to fit on and the full-resolution finite samples.

    ``times``/``values`` are what the model is fitted on (the finite samples, or medians of
    ``block`` consecutive ones when there are more than :data:`MAX_FIT_SAMPLES`);
    ``raw_times``/``raw_values`` are all finite samples. ``step`` is the median spacing of
    the raw samples in seconds.
    """

    times: FloatArray
    values: FloatArray
    raw_times: FloatArray
    raw_values: FloatArray
    step: float
    block: int

    @property
    def origin(self) -> float:
        """The last sample's timestamp: forecasts start here."""
        return float(self.raw_times[-1])

    @property
    def span(self) -> float:
        """Seconds from the first to the last finite sample."""
        return float(self.raw_times[-1] - self.raw_times[0])


def prepare(timestamps: npt.ArrayLike, values: npt.ArrayLike) -> Prepared:
    """Check the input and return the finite samples, ready to fit.

    Raises a :class:`ForecastInputError` subclass with a message meant for the user.
    """
    times, vals = _as_arrays(timestamps, values)
    keep = ~np.isnan(vals)
    raw_t, raw_v = times[keep], vals[keep]
    _require_enough(raw_t, len(vals))
    if float(np.ptp(raw_v)) <= 1e-12 * max(1.0, float(np.abs(raw_v).max())):
        raise ConstantSeries(
            f"all {len(raw_v)} samples are {raw_v[0]:g}: there is no trend to extend"
        )
    step = float(np.median(np.diff(raw_t)))
    block = -(-len(raw_t) // MAX_FIT_SAMPLES)
    fit_t, fit_v = (raw_t, raw_v) if block == 1 else _block_medians(raw_t, raw_v, block)
    return Prepared(fit_t, fit_v, raw_t, raw_v, step, block)


def _as_arrays(timestamps: npt.ArrayLike, values: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    times = np.asarray(timestamps, dtype=np.float64)
    vals = np.asarray(values, dtype=np.float64)
    if times.ndim != 1 or vals.shape != times.shape:
        raise InvalidSeries(
            f"timestamps and values must be 1-D and of equal length; got shapes "
            f"{times.shape} and {vals.shape}"
        )
    if not np.isfinite(times).all():
        raise InvalidSeries("timestamps must be finite numbers (Unix seconds)")
    if len(times) > 1 and not (np.diff(times) > 0).all():
        raise InvalidSeries("timestamps must be strictly increasing")
    if np.isinf(vals).any():
        first = int(np.flatnonzero(np.isinf(vals))[0])
        raise InvalidSeries(f"values must be finite or NaN; sample {first} is {vals[first]}")
    return times, vals


def _require_enough(raw_t: FloatArray, total: int) -> None:
    need = f"at least {MIN_SAMPLES} samples over at least {MIN_SPAN / 3600:g} h of history"
    if len(raw_t) == 0:
        raise NotEnoughData(f"all {total} values are missing (NaN); a forecast needs {need}")
    span = float(raw_t[-1] - raw_t[0])
    if len(raw_t) < MIN_SAMPLES or span < MIN_SPAN:
        raise NotEnoughData(f"a forecast needs {need}; got {len(raw_t)} over {_duration(span)}")


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"


def _block_medians(t: FloatArray, v: FloatArray, block: int) -> tuple[FloatArray, FloatArray]:
    """Medians of ``block`` consecutive samples (the last block may be shorter)."""
    whole = len(t) // block * block
    times = t[:whole].reshape(-1, block).mean(axis=1)
    vals = np.median(v[:whole].reshape(-1, block), axis=1)
    if whole < len(t):
        times = np.append(times, t[whole:].mean())
        vals = np.append(vals, np.median(v[whole:]))
    return times, vals
