"""``smartcloudops detect IN.csv [-o OUT.csv]``: causal scoring of a NAB-format CSV.

Input: a header with ``timestamp`` and ``value`` columns (others are ignored), one row per
observation, in recording order. Timestamps may repeat or go back (DST): rows are taken in file
order and never re-sorted. An empty value is a gap (scored 0). Output: the same rows as
``timestamp,value,anomaly_score,is_anomaly``, timestamp and value copied verbatim, the score
with six decimals (rounded down, so the text never crosses the threshold the number did not)
and ``is_anomaly`` = score >= :data:`ALERT_THRESHOLD`. Row ``t``'s score uses rows <= ``t``
only (:meth:`Detector.score_online`).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from ml.anomaly.detector import Detector
from ml.anomaly.model import ALERT_THRESHOLD, FloatArray

OUTPUT_COLUMNS = ("timestamp", "value", "anomaly_score", "is_anomaly")


class DetectInputError(ValueError):
    """The input file is missing, unreadable or not a ``timestamp,value`` CSV."""


@dataclass(frozen=True, slots=True)
class LoadedSeries:
    """A CSV series: the raw strings (for verbatim output) and the parsed numbers."""

    timestamp_text: tuple[str, ...]
    value_text: tuple[str, ...]
    timestamps: FloatArray
    values: FloatArray


def parse_timestamp(text: str) -> float:
    """Unix seconds from ``YYYY-MM-DD HH:MM:SS`` / ISO 8601 (naive = UTC) or a number."""
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    when = dt.datetime.fromisoformat(s)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def read_series_csv(path: str | Path) -> LoadedSeries:
    """Read a NAB-format CSV; raises :class:`DetectInputError` with a readable message."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError as exc:
        raise DetectInputError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DetectInputError(f"{path}: cannot read: {exc}") from exc
    if not rows:
        raise DetectInputError(f"{path}: empty file, expected a 'timestamp,value' header")
    header = [h.strip().lower() for h in rows[0]]
    if "timestamp" not in header or "value" not in header:
        raise DetectInputError(
            f"{path}: header must have 'timestamp' and 'value' columns, got {rows[0]!r}"
        )
    ti, vi = header.index("timestamp"), header.index("value")
    return _parse_rows(path, rows[1:], ti, vi)


def _parse_rows(path: str | Path, rows: list[list[str]], ti: int, vi: int) -> LoadedSeries:
    ts_text: list[str] = []
    val_text: list[str] = []
    ts = []
    vals = []
    for line, row in enumerate(rows, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) <= max(ti, vi):
            raise DetectInputError(f"{path}: line {line}: expected {max(ti, vi) + 1} fields")
        t, v = row[ti].strip(), row[vi].strip()
        try:
            ts.append(parse_timestamp(t))
        except ValueError as exc:
            raise DetectInputError(f"{path}: line {line}: bad timestamp {t!r}") from exc
        try:
            vals.append(float(v) if v else float("nan"))
        except ValueError as exc:
            raise DetectInputError(f"{path}: line {line}: value {v!r} is not a number") from exc
        ts_text.append(t)
        val_text.append(v)
    return LoadedSeries(
        tuple(ts_text), tuple(val_text), np.asarray(ts, dtype=np.float64), np.asarray(vals)
    )


def write_scores(out: TextIO, series: LoadedSeries, scores: FloatArray) -> None:
    """Write ``timestamp,value,anomaly_score,is_anomaly`` rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for t, v, s in zip(series.timestamp_text, series.value_text, scores, strict=True):
        writer.writerow((t, v, f"{s:.6f}", 1 if s >= ALERT_THRESHOLD else 0))


def run_detect(in_path: str, out_path: str | None) -> int:
    """Score ``in_path`` and write the result to ``out_path`` (stdout when None).

    Returns 0 on success, 2 when the input cannot be read or parsed or the output cannot be
    written; the reason goes to stderr as one ``error: ...`` line, never a traceback.
    """
    try:
        series = read_series_csv(in_path)
    except DetectInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scores = Detector().score_online(series.timestamps, series.values).scores
    buffer = io.StringIO()
    write_scores(buffer, series, scores)
    if out_path is None:
        sys.stdout.write(buffer.getvalue())
        return 0
    try:
        Path(out_path).write_text(buffer.getvalue(), encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write {out_path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ml.anomaly.detect_cli IN.csv [-o OUT.csv]`` (same as the console command)."""
    parser = argparse.ArgumentParser(prog="smartcloudops detect", description=__doc__)
    parser.add_argument("input", help="NAB-format CSV with timestamp,value columns")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    return run_detect(args.input, args.output)


if __name__ == "__main__":
    raise SystemExit(main())
