"""Cleaning, tokenising, spelling and duration parsing: the parser's text layer."""

from __future__ import annotations

import pytest

from intents.durations import compact_duration, find_durations, parse_compact
from intents.spelling import correct
from intents.text import clean, looks_unsafe, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U123ABC> cpu web-1", "cpu web-1"),
        ("<@U123ABC|smartcloudops> cpu web-1", "cpu web-1"),
        ("<@W0ABC> status", "status"),
        ("<at>SmartCloudOps</at> what's down?", "what's down?"),
        ("<@!812345678901> alerts", "alerts"),
        ("<@812345678901> alerts", "alerts"),
        ("@bot status of web-1", "status of web-1"),
        ("@smartcloudops: status", "status"),
        ("@SmartCloudOps, help", "help"),
        ("hey @smartcloudops cpu", "cpu"),
        ("smartcloudops help", "help"),
        ("cpu of <http://web-1.example.com|web-1.example.com>", "cpu of web-1.example.com"),
        ("status &amp; alerts", "status & alerts"),
        ("what’s down?", "what's down?"),
        ("/status web-1", "status web-1"),
        ("!alerts critical", "alerts critical"),
    ],
)
def test_clean_strips_mentions_and_markup(raw: str, expected: str) -> None:
    """Mentions of the bot and platform markup go; the user's words and case stay."""
    assert clean(raw) == expected


def test_clean_keeps_mentions_of_other_people_in_the_middle() -> None:
    """Only a leading ``@name`` is taken to address the bot; ``@alice`` later is text."""
    assert clean("ask @alice about web-1") == "ask @alice about web-1"


def test_tokenize_keeps_raw_spelling_and_lowercases_norm() -> None:
    """Slot values come from ``raw``; matching uses the lower-case, corrected ``norm``."""
    tokens = tokenize("CPU of Web-1, please?")
    assert [t.raw for t in tokens] == ["CPU", "of", "Web-1", "please"]
    assert [t.norm for t in tokens] == ["cpu", "of", "web-1", "please"]


def test_tokenize_splits_possessives_and_contractions() -> None:
    """ "web-1's" is the name plus a possessive marker; "what's" is "what is"."""
    assert [t.raw for t in tokenize("what's web-1's memory")] == [
        "what",
        "is",
        "web-1",
        "'s",
        "memory",
    ]


def test_tokenize_marks_hashes_and_quotes() -> None:
    """``#12`` loses the hash but remembers it; a quoted word is marked quoted."""
    request, alert = tokenize("#12 'NodeDown'")
    assert (request.raw, request.hashed) == ("12", True)
    assert (alert.raw, alert.quoted) == ("NodeDown", True)


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("memroy", "memory"),
        ("cpuu", "cpu"),
        ("laetncy", "latency"),
        ("latnecy", "latency"),
        ("restrat", "restart"),
        ("alrets", "alerts"),
        ("anomolies", "anomalies"),
        ("silense", "silence"),
        ("statsu", "status"),
        ("dsik", "disk"),
        ("netwrok", "network"),
        ("unsubscibe", "unsubscribe"),
    ],
)
def test_spelling_snaps_typos_onto_the_vocabulary(typo: str, word: str) -> None:
    """Near misses of the parser's own words are corrected."""
    assert correct(typo) == word


@pytest.mark.parametrize("word", ["science", "loan", "mate", "sunny", "oops", "payments", "web"])
def test_spelling_leaves_real_words_and_names_alone(word: str) -> None:
    """Ordinary English and service names one edit from a cue word are not "corrected"."""
    assert correct(word) == word


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90m", 5400),
        ("2h", 7200),
        ("1d", 86_400),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("30s", 30),
        ("2w", 1_209_600),
        ("45 minutes", 2700),
        ("45 mins", 2700),
        ("3 hours", 10_800),
        ("2 hrs", 7200),
        ("an hour", 3600),
        ("a day", 86_400),
        ("half an hour", 1800),
        ("an hour and a half", 5400),
        ("a couple of hours", 7200),
        ("a few minutes", 180),
        ("forty five minutes", 2700),
        ("two days", 172_800),
        ("past day", 86_400),
        ("the last hour", 3600),
        ("last 45 minutes", 2700),
        ("previous week", 604_800),
    ],
)
def test_find_durations_reads_time_spans_as_whole_seconds(text: str, seconds: int) -> None:
    """Compact, spelled-out and look-back forms all become whole seconds."""
    spans = find_durations(text.split())
    assert [s.seconds for s in spans] == [seconds]
    assert all(isinstance(s.seconds, int) for s in spans)


@pytest.mark.parametrize("text", ["scale search to 3", "one of the hosts", "5xx", "p99", "a m"])
def test_find_durations_ignores_numbers_without_units(text: str) -> None:
    """A bare number, a metric name with digits or a stray letter is not a time span."""
    assert find_durations(text.split()) == []


@pytest.mark.parametrize(
    ("seconds", "text"), [(7200, "2h"), (5400, "90m"), (2700, "45m"), (86_400, "1d"), (90, "90s")]
)
def test_compact_duration_round_trips(seconds: int, text: str) -> None:
    """Durations print in the largest exact unit and parse back to the same seconds."""
    assert compact_duration(seconds) == text
    assert parse_compact(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "restart foo; rm -rf /",
        "restart $(id)",
        "restart `id`",
        "restart web-1\nrm -rf /",
        "restart web-1 --kubeconfig=x",
        "scale <!channel> to 3",
        "restart foo && reboot",
        "restart foo | sh",
        "restart web-1 > /dev/null",
        "restart ../../etc/passwd",
        "restart ${HOME}",
    ],
)
def test_looks_unsafe_flags_shell_and_markup(text: str) -> None:
    """Shell metacharacters, flags, paths, newlines and leftover markup are flagged."""
    assert looks_unsafe(text)


@pytest.mark.parametrize(
    "text",
    ["restart checkout-api", "scale search to 3", "silence NodeDown for 45m", "cpu 10.0.0.5:9100"],
)
def test_looks_unsafe_passes_ordinary_commands(text: str) -> None:
    """Plain commands are not flagged."""
    assert not looks_unsafe(text)


def test_tokenize_stops_at_the_limit() -> None:
    """A pasted wall of text is read only up to the limit."""
    assert len(tokenize("word " * 1000, limit=200)) == 200


def test_a_leading_slash_command_is_not_a_path() -> None:
    """``/restart web-1`` is a slash command; ``restart /etc/passwd`` carries a path."""
    assert not looks_unsafe("/restart web-1")
    assert looks_unsafe("restart /etc/passwd")
