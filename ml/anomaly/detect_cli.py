"""``smartcloudops detect IN.csv [-o OUT.csv]``: causal scoring of a NAB-format CSV.

See :data:`HELP` (what ``detect --help`` prints) for the input and output contract and how
odd input is treated. Row ``t``'s score uses rows <= ``t`` only
(:meth:`Detector.score_online`).
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

HELP = f"""\
Scores every row of a CSV with a header holding 'timestamp' and 'value' columns (other
columns are ignored). Timestamps: 'YYYY-MM-DD HH:MM:SS' or ISO 8601 (no zone = UTC) or
unix seconds. Each row's score uses that row and the rows before it only.

Output: one row per input row, with the columns
  timestamp,value,anomaly_score,is_anomaly
timestamp and value copied verbatim; anomaly_score in [0, 1) with six decimals (rounded
down); is_anomaly is 1 when anomaly_score >= {ALERT_THRESHOLD} (the alert threshold the bot
uses too), else 0. Only the first row of an incident has is_anomaly 1.

Odd input:
  empty, nan, inf, -inf or out-of-range values (1e400)  missing: scored 0, and the series
      carries on from the last finite value; a note on stderr counts them
  huge finite values (1e300)  scored as values (usually an anomaly); they do not blind the
      detector for the rows after them
  timestamps that repeat or go back (a DST change, an unsorted file)  rows are scored in
      file order and never re-sorted; a note on stderr counts them
  a header without rows  a header-only output and a note
Malformed input (no header, no timestamp/value column, a bad number or timestamp) is an
error: one 'error: ...' line on stderr, exit status 2, nothing written.
"""


class DetectInputError(ValueError):
    """The input file is missing, unreadable or not a ``timestamp,value`` CSV."""


@dataclass(frozen=True, slots=True)
class LoadedSeries:
    """A CSV series: the raw strings (for verbatim output) and the parsed numbers."""

    timestamp_text: tuple[str, ...]
    value_text: tuple[str, ...]
    timestamps: FloatArray
    values: FloatArray

    def notes(self) -> list[str]:
        """What about the input is unusual but handled (see :data:`HELP`)."""
        out = []
        if not len(self.values):
            out.append("no data rows: the output is the header alone")
        missing = int(np.count_nonzero(~np.isfinite(self.values)))
        if missing:
            out.append(f"{missing} row(s) without a finite value (empty, nan or inf) scored 0")
        steps = np.diff(self.timestamps)
        repeated, back = int(np.count_nonzero(steps == 0)), int(np.count_nonzero(steps < 0))
        if repeated or back:
            out.append(
                f"timestamps repeat {repeated} time(s) and go back {back} time(s): "
                "rows are scored in file order"
            )
        return out


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
        except (ValueError, OverflowError) as exc:
            raise DetectInputError(f"{path}: line {line}: bad timestamp {t!r}") from exc
        if not np.isfinite(ts[-1]):
            raise DetectInputError(f"{path}: line {line}: bad timestamp {t!r}")
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
    written; the reason goes to stderr as one ``error: ...`` line, never a traceback. Input
    that is unusual but handled (see :data:`HELP`) gets ``note: ...`` lines on stderr.
    """
    try:
        series = read_series_csv(in_path)
    except DetectInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in series.notes():
        print(f"note: {in_path}: {note}", file=sys.stderr)
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``detect`` arguments of ``python -m ml.anomaly.detect_cli`` (bot.app.cli has them)."""
    parser.add_argument("input", metavar="IN.csv", help="CSV with timestamp,value columns")
    parser.add_argument("-o", "--output", metavar="OUT.csv", help="default: stdout")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ml.anomaly.detect_cli IN.csv [-o OUT.csv]`` (same as the console command)."""
    parser = argparse.ArgumentParser(
        prog="smartcloudops detect",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_detect(args.input, args.output)


if __name__ == "__main__":
    raise SystemExit(main())
