"""Every crash ``bench/fuzz_bench.py`` found (issue 14), with the exact input that raised it
and the outcome that input should have: an intent for the parser, a refusal for a payload.

The inputs are the first example of each distinct exception and place the bench reported
(seed 14 unless said otherwise; see bench/RESULTS_FUZZ.md). ``NOW`` is the bench's clock.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import pytest

from adapters.slack.http import SignatureCheck
from bot.core.errors import InvalidInput
from bot.features.alerts.payload import parse_notification
from intents.features import classifier_view
from intents.model import Intent, IntentName, Turn
from intents.parser import IntentParser
from ml.intent_classifier import build_parser

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
NINES = "9" * 400
#: The bench's "metric" history: the turn before asked for cpu of web-1 over 2h.
ASKED_CPU = (Turn("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}, NOW),)
ZONES: dict[str, tzinfo] = {
    "UTC": UTC,
    "+14": timezone(timedelta(hours=14)),
    "-12": timezone(timedelta(hours=-12)),
}
ALERTMANAGER = Path(__file__).resolve().parents[1] / "data" / "alertmanager"


@functools.cache
def _parser(zone: str) -> IntentParser:
    return build_parser(timezone=ZONES[zone])


def parse(text: str, zone: str = "UTC", now: float = NOW, history: Sequence[Turn] = ()) -> Intent:
    """``text`` through the bot's parser in ``zone`` (the bench's zones), at ``now``."""
    return _parser(zone).parse(text, history, now)


def readable(seconds: object) -> bool:
    """Whether a time slot is a moment ``datetime`` can show (as the canonical command does)."""
    return isinstance(seconds, int) and 1 <= datetime.fromtimestamp(seconds, UTC).year <= 9999


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize(("text", "zone"), [("approve ➊", "UTC"), ("deny ፰", "UTC")])
def test_a_decision_on_a_non_decimal_digit_names_no_request(text: str, zone: str) -> None:
    """``int("➊")`` raised in ``analysis._number``; now the decision is understood and the
    handler asks which request (no ``request_id``), as for any other non-number."""
    intent = parse(text, zone)
    assert intent.name in (IntentName.APPROVE, IntentName.DENY)
    assert "request_id" not in intent.slots


@pytest.mark.parametrize(("text", "zone"), [("፰", "UTC"), ("how ፫ I expense a taxi", "+14")])
def test_non_decimal_digits_alone_or_in_chatter_are_not_understood(text: str, zone: str) -> None:
    assert parse(text, zone).name is IntentName.UNKNOWN


def test_a_command_with_a_non_decimal_count_is_refused_not_run() -> None:
    intent = parse("scale search to ➌")
    assert intent.name is IntentName.UNKNOWN
    assert intent.refusal == "extra_words"


def test_decimal_digits_of_other_scripts_still_read_as_numbers() -> None:
    """The fix takes what ``int()`` takes (``isdecimal``), so nothing that parsed changes."""
    assert parse("scale search to ٣").slots == {
        "action": "scale",
        "target": "search",
        "replicas": 3,
    }


@pytest.mark.parametrize(
    ("text", "zone", "now", "history"),
    [
        # canonical._iso: ValueError "year 10000 is out of range"
        (
            "cpu from 2024-02-30T25:61:00Z to 9999-12-31T23:59:59.999999-14:00",
            "UTC",
            1971769615.8501847,
            (),
        ),
        # times._after: ValueError "year 10000 is out of range"
        ("cpu from 9999-12-31T23:59:59-01:00 to 3am", "-12", 2260795637.9431486, ()),
        # times._after: OverflowError "date value out of range" (two lines of it)
        ("requests between 9999-12-31T23:59:59Z and 3am", "+14", NOW, ()),
        ("cpu from 9999-12-31T23:59:59Z to 15:00", "UTC", NOW, ()),
        # canonical._iso: OverflowError "timestamp out of range for platform time_t"
        ("99999999999999999999 hours ago", "UTC", NOW, ASKED_CPU),
        # canonical._iso: OSError "Value too large" and ValueError "year 0" (seed 1)
        ("requests on api ①⓪⓪⓪⓪⓪⓪⓪⓪⓪⓪⓪⓪ days ago", "-12", NOW, ()),
        ("requests between 0001-01-01T00:00:00+14:00 and 24:00", "-12", NOW, ()),
    ],
)
def test_moments_no_calendar_can_show_are_not_read_as_times(
    text: str, zone: str, now: float, history: Sequence[Turn]
) -> None:
    """Times past year 9999 or before year 1 (in UTC or in the user's zone) raised where they
    were turned back into dates; now they are no time, and every time slot is readable."""
    intent = parse(text, zone, now, history)
    assert all(readable(intent.slots[k]) for k in ("start", "end") if k in intent.slots)


def test_an_iso_offset_no_clock_has_is_not_a_time() -> None:
    """``timezone()`` raised on "+99:99" in ``times._offset``."""
    intent = parse("can 四五 snooze the NodeDown alert since 2026-11-26T06:20:05+99:99")
    assert "start" not in intent.slots


def test_a_real_offset_still_counts() -> None:
    intent = parse("cpu of web-1 since 2026-01-01T10:00:00+05:30")
    assert intent.slots["start"] == int(datetime(2026, 1, 1, 4, 30, tzinfo=UTC).timestamp())


def test_a_decimal_number_in_free_text_has_a_placeholder() -> None:
    """A "measure" span ("1.5") had no placeholder: ``KeyError`` in ``features.view_of``."""
    assert classifier_view("how much disks 1.5 have left") == "how much xmetric xnumber have left"
    assert parse("how much disks 1.5 have left", "+14").name is IntentName.METRIC_QUERY


@pytest.mark.parametrize(
    "text",
    [f"cpu of web-1 last {NINES}h", f"cpu of web-1 last {NINES} hours"],
)
def test_a_look_back_too_long_for_a_float_is_reported_unreadable(text: str) -> None:
    """``round(inf)`` raised in ``durations.parse_compact`` and ``span_at``; now the range is
    unreadable and said back, like "0s" or "5 years"."""
    intent = parse(text)
    assert intent.name is IntentName.METRIC_QUERY
    assert "range" not in intent.slots
    assert intent.rejected["range"].startswith("999")


def test_an_ago_too_long_for_a_float_is_no_time() -> None:
    intent = parse(f"{NINES} hours ago")
    assert "start" not in intent.slots


# --------------------------------------------------------------------------- Slack


def _signed(timestamp: str) -> tuple[bytes, dict[str, str]]:
    body = b"> stop sending alerts to this channentil 2026-11-26T06:20:05.965964Z"
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(b"secret", base, hashlib.sha256).hexdigest()
    return body, {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


@pytest.mark.parametrize(
    "timestamp",
    [
        "₁₇₆₇₂₂₅₆₀₀",  # isdigit() but not int(): ValueError
        "①⑦⑥⑦②②⑤⑥⓪⓪",
        NINES,  # an int too large for the float clock: OverflowError
        "9" * 5000,  # more digits than int() converts: ValueError
        "١٧٦٧٢٢٥٦٠٠",  # int() reads these, Slack never writes them
    ],
)
def test_a_timestamp_header_that_is_not_ascii_seconds_is_malformed(timestamp: str) -> None:
    """These were a 500 from ``SignatureCheck.problem``, before any signature check, to
    anyone on the internet; even correctly signed they are refused."""
    body, headers = _signed(timestamp)
    assert SignatureCheck("secret", clock=lambda: NOW).problem(body, headers) == (
        "malformed timestamp"
    )


def test_a_signed_request_with_a_normal_timestamp_still_passes() -> None:
    body, headers = _signed(str(int(NOW)))
    assert SignatureCheck("secret", clock=lambda: NOW).problem(body, headers) is None


# --------------------------------------------------------------------------- Alertmanager


def test_an_alert_time_utc_cannot_hold_is_an_invalid_notification() -> None:
    """``astimezone(UTC)`` of 9999-12-31T23:59:59-01:00 raised ``OverflowError`` in the
    ``endsAt`` validator: a 500 instead of the documented 400. (The bench's exact bytes.)"""
    doc = json.loads((ALERTMANAGER / "resolved.json").read_text(encoding="utf-8"))
    doc["alerts"][0]["endsAt"] = "9999-12-31T23:59:59-01:00"
    with pytest.raises(InvalidInput, match=r"alerts\.0\.endsAt: .*time out of range"):
        parse_notification(json.dumps(doc, ensure_ascii=False).encode())


def test_the_last_time_utc_holds_is_still_read() -> None:
    doc = json.loads((ALERTMANAGER / "resolved.json").read_text(encoding="utf-8"))
    doc["alerts"][0]["endsAt"] = "9999-12-31T23:59:59Z"
    ends = parse_notification(json.dumps(doc)).alerts[0].ends_at
    assert ends == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
