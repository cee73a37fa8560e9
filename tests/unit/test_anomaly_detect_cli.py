"""``smartcloudops detect``'s engine: run_detect output format and error handling."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from bot.app.cli import main as cli_main
from ml.anomaly import ALERT_THRESHOLD
from ml.anomaly.detect_cli import OUTPUT_COLUMNS, main, read_series_csv, run_detect


def write_nab_csv(path: Path, n: int = 1200, spike_at: int = 1000) -> list[tuple[str, str]]:
    rng = np.random.default_rng(0)
    start = dt.datetime(2014, 4, 1)
    rows = []
    for i in range(n):
        value = 20 + rng.normal(0, 1) + (25 if i == spike_at else 0)
        stamp = (start + dt.timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S")
        rows.append((stamp, f"{value:.4f}"))
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("timestamp", "value"))
        writer.writerows(rows)
    return rows


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        return list(csv.reader(fh))


def test_output_has_the_contract_columns_and_one_row_per_input_row(tmp_path: Path) -> None:
    """Header, verbatim timestamp/value, score in [0,1] with 6 decimals, is_anomaly 0/1."""
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = write_nab_csv(src)
    assert run_detect(str(src), str(out)) == 0
    got = read_rows(out)
    assert got[0] == ["timestamp", "value", "anomaly_score", "is_anomaly"]
    assert [(r[0], r[1]) for r in got[1:]] == rows
    for _, _, score, flag in got[1:]:
        assert 0.0 <= float(score) <= 1.0
        assert len(score.split(".")[1]) == 6
        assert flag == ("1" if float(score) >= ALERT_THRESHOLD else "0")


def test_spike_row_is_flagged(tmp_path: Path) -> None:
    """The injected spike's row has is_anomaly 1."""
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    write_nab_csv(src, spike_at=1000)
    run_detect(str(src), str(out))
    assert read_rows(out)[1 + 1000][3] == "1"


def test_without_output_path_writes_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """out_path None prints the CSV to stdout."""
    src = tmp_path / "in.csv"
    write_nab_csv(src, n=300)
    assert run_detect(str(src), None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "timestamp,value,anomaly_score,is_anomaly"
    assert len(lines) == 301


def test_rows_keep_file_order_when_timestamps_repeat(tmp_path: Path) -> None:
    """A DST repeat (time going back an hour) is kept in file order, not sorted."""
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    stamps = ["2014-11-02 00:30:00", "2014-11-02 01:00:00", "2014-11-02 01:30:00"]
    stamps += ["2014-11-02 01:00:00", "2014-11-02 01:30:00", "2014-11-02 02:00:00"]
    src.write_text("timestamp,value\n" + "".join(f"{s},{i}\n" for i, s in enumerate(stamps)))
    assert run_detect(str(src), str(out)) == 0
    assert [r[:2] for r in read_rows(out)[1:]] == [[s, str(i)] for i, s in enumerate(stamps)]


def test_empty_values_are_gaps(tmp_path: Path) -> None:
    """An empty value is read as missing and scores 0."""
    src = tmp_path / "in.csv"
    src.write_text("timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,\n")
    series = read_series_csv(src)
    assert np.isnan(series.values[1])
    out = tmp_path / "out.csv"
    assert run_detect(str(src), str(out)) == 0
    assert read_rows(out)[2] == ["2014-01-01 00:05:00", "", "0.000000", "0"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file"),
        ("time,val\n2014-01-01 00:00:00,1\n", "header must have"),
        ("timestamp,value\n2014-01-01 00:00:00,abc\n", "line 2: value 'abc' is not a number"),
        ("timestamp,value\nyesterday,1\n", "line 2: bad timestamp 'yesterday'"),
        ("timestamp,value\n2014-01-01 00:00:00\n", "line 2: expected 2 fields"),
    ],
)
def test_malformed_file_gives_one_error_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    """Malformed input: non-zero exit, a clear message on stderr, no traceback."""
    src = tmp_path / "in.csv"
    src.write_text(content)
    assert run_detect(str(src), str(tmp_path / "out.csv")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_missing_file_gives_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing input file is reported by name with exit status 2."""
    assert run_detect(str(tmp_path / "nope.csv"), None) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err


def test_unwritable_output_gives_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output path that cannot be written is an error, not a traceback."""
    src = tmp_path / "in.csv"
    write_nab_csv(src, n=50)
    assert run_detect(str(src), str(tmp_path)) == 2
    assert "cannot write" in capsys.readouterr().err


def scored(
    tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]
) -> tuple[list[list[str]], str]:
    """Run detect on ``timestamp,value`` rows ``body``; the output rows and stderr."""
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("timestamp,value\n" + body)
    assert run_detect(str(src), str(out)) == 0
    return read_rows(out)[1:], capsys.readouterr().err


def minutes(values: list[str], start: int = 0) -> str:
    return "".join(f"{1_700_000_000 + 60 * (start + i)},{v}\n" for i, v in enumerate(values))


@pytest.mark.parametrize("missing", ["nan", "inf", "-inf", "1e400", "NaN", ""])
def test_non_finite_values_are_gaps_scored_0_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    """nan, +-inf and numbers beyond float range are missing values: copied verbatim, scored
    0, and counted in a note on stderr; the rows around them are scored as usual."""
    values = [f"{20 + (i % 7) * 0.1:.1f}" for i in range(400)]
    values[300] = values[301] = missing
    rows, err = scored(tmp_path, minutes(values), capsys)
    assert [r[1] for r in rows] == values
    assert rows[300][2:] == ["0.000000", "0"]
    assert rows[301][2:] == ["0.000000", "0"]
    assert "note: " in err
    assert "2 row(s) without a finite value" in err
    assert "Traceback" not in err


def test_a_huge_value_is_an_anomaly_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1e300 is a (very anomalous) value: flagged, and the rows after it score normally."""
    values = [f"{20 + (i % 7) * 0.1:.1f}" for i in range(600)]
    values[400] = "1e300"
    rows, err = scored(tmp_path, minutes(values), capsys)
    assert rows[400][3] == "1"
    assert all(float(r[2]) < ALERT_THRESHOLD for r in rows[420:])
    assert err == ""


@pytest.mark.parametrize(
    ("order", "note"),
    [("repeat", "timestamps repeat 1 time(s) and go back 0"), ("back", "go back 1 time(s)")],
)
def test_repeated_or_unsorted_timestamps_keep_file_order_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], order: str, note: str
) -> None:
    """Rows are scored in file order and never re-sorted; the odd timestamps are counted."""
    body = minutes([str(10 + i % 3) for i in range(200)]).splitlines()
    if order == "repeat":
        body[150] = body[149].split(",")[0] + ",11"
    else:
        body[150], body[151] = body[151], body[150]
    rows, err = scored(tmp_path, "\n".join(body) + "\n", capsys)
    assert [",".join(r[:2]) for r in rows] == body
    assert note in err


def test_a_header_without_rows_gives_a_header_and_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No data rows: the output is the header alone (exit 0), and stderr says why."""
    rows, err = scored(tmp_path, "", capsys)
    assert rows == []
    assert "no data rows" in err
    assert read_rows(tmp_path / "out.csv") == [list(OUTPUT_COLUMNS)]


@pytest.mark.parametrize(
    "argv",
    [pytest.param(["--help"], id="python -m"), pytest.param(["detect", "--help"], id="console")],
)
def test_help_documents_the_columns_the_threshold_and_odd_input(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``detect --help`` names the output columns, the alert threshold and each treatment,
    both from ``python -m ml.anomaly.detect_cli`` and from ``smartcloudops detect``."""
    entry = main if argv[0] == "--help" else cli_main
    with pytest.raises(SystemExit) as done:
        entry(argv)
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "timestamp,value,anomaly_score,is_anomaly" in text
    assert f">= {ALERT_THRESHOLD}" in text
    for odd in ("nan, inf, -inf", "1e300", "go back", "header without rows"):
        assert odd in text
