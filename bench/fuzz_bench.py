"""Fuzzing the intent parser and every payload parser: no input may crash them (issue 14).

Each target is one edge where outside text or JSON enters the bot, driven exactly as the bot
drives it: the intent parser the bot builds; Slack slash commands, events, clicks and request
signatures; Teams activities; Discord MESSAGE_CREATE and INTERACTION_CREATE payloads; the
Alertmanager webhook and Alertmanager's API answers. Inputs are generated from a seed:
random Unicode from every general category, real phrases and payload samples (the training
utterances, ``tests/data``) mutated in structure and spelling, numbers in unusual forms
(``➊``, ``፰``, ``²``, ``½``, ``٣``, ``1e400``), extreme times, huge and empty strings.

Every call is classified:

- accepted, or **refused** the documented way (``None``, :class:`~bot.core.errors.InvalidInput`,
  :class:`~bot.core.errors.DependencyError`, a body the endpoint answers 400);
- **library**: discord.py could not build its object from the payload, or built one whose
  attributes are not the types it documents (``content`` a list), before any of our code
  ran. Only Discord writes these payloads, to its own schema: counted, not failed;
- **unhandled**: any other exception. The first input of each distinct (type, place in our
  code) is kept. Any unhandled exception makes the run exit with status 1.

    .venv/bin/python bench/fuzz_bench.py                      # 10^6 inputs, seed 14, 2 workers
    .venv/bin/python bench/fuzz_bench.py --count 20000 --seed 3 --only parser

The same targets run in CI at a small count (``tests/unit/test_fuzz_inputs.py``).
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import hmac
import json
import multiprocessing
import os
import random
import sys
import time
import traceback
import unicodedata
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal
from urllib.parse import urlencode

import discord
from botbuilder.schema import Activity
from discord.state import ConnectionState
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.alertmanager.client import AlertmanagerClient
from adapters.discord import inbound as discord_inbound
from adapters.discord.buttons import ChoiceButton
from adapters.discord.complete import suggest
from adapters.slack import inbound as slack_inbound
from adapters.slack.adapter import retry_count
from adapters.slack.http import SignatureCheck
from adapters.teams import inbound as teams_inbound
from bot.core.errors import DependencyError, InvalidInput, NotFoundError
from bot.features.alerts.model import Matcher, SilenceDraft
from bot.features.alerts.payload import parse_notification
from intents.model import METRICS, Turn
from intents.parser import IntentParser
from ml.intent_classifier import build_parser
from ml.intent_training import load_utterances

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEFAULT_COUNT = 1_000_000
DEFAULT_SEED = 14
CHUNK = 2_000
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z: the clock of signature checks and histories

Outcome = Literal["accepted", "refused", "library"]

# --------------------------------------------------------------------------- text

_NOT_CHARS = frozenset({"Cs"})  # lone surrogates cannot be encoded; nothing can send them
DIGIT_SCRIPTS = (
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic (decimal: int() reads them)
    "۰۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic
    "०१२३४५६७८९",  # Devanagari
    "０１２３４５６７８９",  # fullwidth (NFKC makes them ASCII)
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",  # mathematical bold, astral
    "⁰¹²³⁴⁵⁶⁷⁸⁹",  # superscripts: isdigit() but not decimal
    "₀₁₂₃₄₅₆₇₈₉",  # subscripts
    "⓪①②③④⑤⑥⑦⑧⑨",  # circled
    "➓➊➋➌➍➎➏➐➑➒",  # dingbat negative circled
    "፲፩፪፫፬፭፮፯፰፱",  # Ethiopic (no zero; ten stands in)
    "〇一二三四五六七八九",  # CJK
)
NUMBER_FORMS = (
    "➊", "፰", "²", "½", "٣", "١٢", "۱۲", "१२", "１２", "¹²", "₁₂", "𝟏𝟐", "Ⅻ", "ⅻ", "〇", "⑫", "⒓",
    "🄂", "1e400", "1e-400", "0x10", "0o17", "0b101", "1_000", "1,000", "1.5", ".5", "5.", "-5",
    "+5", "−5", "00012", "9" * 20, "9" * 400, "NaN", "inf", "-inf", "∞", "0", "-0", "١e٣",
    "1\u0301", "1\u200b2", "٫٥", "12²", "3⁄4", "½h", "²h", "➊m", "٣d", "1e400h", "0x10m",
)  # fmt: skip
TIME_FORMS = (
    "2026-11-26T06:20:05.965964Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999-14:00",
    "2024-02-30T25:61:00Z", "2026-13-01", "now", "1e400", "275760-09-13T00:00:00Z",
    "-0001-01-01T00:00:00Z", "2026-11-26T06:20:05+99:99", "2026-11-26 06:20:05",
    "2026-11-26T06:20:05", "１９７０-01-01T00:00:00Z", "٢٠٢٦-١١-٢٦T06:20:05Z",
    "2026-11-26T06:20:05.9999999999Z", "1700000000", "99999999999999999999", "24:00", "23:59:60",
    "15:00", "3am", "25pm", "0am", "13:00pm",
)  # fmt: skip
EXTREME_VALUES: tuple[object, ...] = (
    None, True, False, 0, -1, 1, 2**31, 2**63, -(2**63), 10**400, 1e308, -1e308, 1e-320, -0.0,
    float("nan"), float("inf"), "", " ", "0", "12", "null", "true", "[]", "{}",
    1_700_000_000, 253_402_300_800_000, [], {}, [None], {"": None},
)  # fmt: skip
MARKUP = (
    "<@U0LAN0Z89>", "<@U0LAN0Z89|bot>", "<!here>", "<!channel>", "<#C1|ops>", "<https://x|y>",
    "<at>SmartCloudOps</at>", "<at>Adele</at>", "<@1100000000000000001>", "<@!1100000000000000001>",
    "@SmartCloudOps", "&amp;", "&lt;", "&nbsp;", "`", "```", "$(id)", "; rm -rf /", "\\",
    "*", "_", "~", "#", ">", "/ops ", "!ops ",
)  # fmt: skip
SPECIAL_CHARS = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width, soft hyphen
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi controls
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\t\n\r"  # controls, line separators
    "\u00a0\u2000\u2003\u2009\u202f\u3000"  # unusual spaces
    "\u0300\u0301\u0327\u0338\u20dd\u20e3\ufe0f\ufe0e"  # combining marks, variation selectors
    "שלוםمرحبا"  # RTL letters
    "😀🔥🚀👍🏽👩\u200d💻🇺🇸"  # emoji, modifier, ZWJ sequence, flag
    "𝔘𝕏𐐀𠀀🄀\U0010fffd\U000e0001"  # astral letters, symbols, tags, private use
)
PHRASES = (
    "approve 12", "deny 12", "restart payments", "cpu of web-1 since 3am", "silence X for 2h",
    "silence HighLatency for 2h", "between 15:00 and 17:00",
    "memory of db-primary between 15:00 and 17:00", "cpu web-1 2h", "unsilence 3f2a", "ack 7",
    "scale search to 3", "latency payments p99 last 90m", "forecast disk web-1 next 3 days",
    "alerts critical", "status web-2", "what happened at 2026-03-01T10:00:00Z",
    "cpu from 2026-03-01T10:00:00Z to 2026-03-01T12:00:00+02:00",
    "promql rate(http_requests_total[5m])", "promql `up` over the last 2h", "is web-1 healthy?",
    "anything weird on checkout-api yesterday?", "and memory?", "same for checkout-api", "yes",
    "no", "subscribe critical", "help alerts", "p99.9 latency of api over 1w", "rollback payments",
    "errors on web-1 from 9am to 11:30am", "cpu on 10.0.0.5:9100 over the last 45 minutes",
    "disk of web-1 on 2026-02-29", "silence alerts on web-2 for 1h30m", "the 95th percentile",
    "memory of web-1 for the last 1.5 hours", "requests on api 2 days ago", "#12", "approve #12",
)  # fmt: skip
TEMPLATES = (
    "approve {n}", "deny {n}", "unsilence {n}", "ack {n}", "scale web to {n}", "#{n}",
    "cpu of web-1 last {n}h", "silence X for {n}m", "between {n}:00 and {n}:{n}", "{n}",
    "latency p{n} of api", "the {n}th percentile of latency", "cpu since {n}am",
    "memory of web-{n} over {n} days", "{n} hours ago", "forecast disk in {n} weeks",
    "cpu at {t}", "cpu from {t} to {t}", "silence X until {t}", "errors on {n}.{n}.{n}.{n}:{n}",
    "approve {n} {n}", "scale {n} to {n}", "cpu {n}{n}", "top {n} targets by cpu", "{n}%",
    "cpu above {n}%", "disk of web-1 on {t}", "requests between {t} and {t}",
)  # fmt: skip


@functools.cache
def category_pools() -> tuple[str, ...]:
    """Every assigned or unassigned code point (no surrogates), one string per general
    category (``Lu``, ``Nd``, ``No``, ``Mn``, ``Cc``, ``Cn``, ...), in category order."""
    pools: dict[str, list[str]] = {}
    for cp in range(0x110000):
        char = chr(cp)
        pools.setdefault(unicodedata.category(char), []).append(char)
    return tuple("".join(pools[cat]) for cat in sorted(pools) if cat not in _NOT_CHARS)


@functools.cache
def corpus() -> tuple[str, ...]:
    """Real phrases: the parser's training utterances and hand-picked commands."""
    return (*PHRASES, *(u.text for u in load_utterances()))


def random_char(rng: random.Random) -> str:
    """One character: of a random general category, or one of the troublemakers."""
    if rng.random() < 0.4:
        return rng.choice(SPECIAL_CHARS + "".join(DIGIT_SCRIPTS))
    return rng.choice(rng.choice(category_pools()))


def random_unicode(rng: random.Random, longest: int = 40) -> str:
    return "".join(random_char(rng) for _ in range(rng.randint(0, longest)))


def odd_number(rng: random.Random) -> str:
    """A number as a person (or a phone keyboard, or an attacker) might type it."""
    if rng.random() < 0.5:
        return rng.choice(NUMBER_FORMS)
    return foreign_digits(str(rng.choice((0, 1, 3, 12, 45, 99, 100, 2026, 10**12))), rng)


def foreign_digits(text: str, rng: random.Random) -> str:
    """``text`` with its ASCII digits written in another script."""
    return text.translate(str.maketrans("0123456789", rng.choice(DIGIT_SCRIPTS)))


def mutate_text(text: str, rng: random.Random) -> str:
    """``text`` after one to three random edits."""
    for _ in range(rng.randint(1, 3)):
        text = rng.choice(_TEXT_EDITS)(text, rng)
    return text


def _insert(text: str, rng: random.Random) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + random_unicode(rng, 4) + text[at:]


def _delete(text: str, rng: random.Random) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + text[at + rng.randint(1, 5) :]


def _duplicate(text: str, rng: random.Random) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + text[at : at + rng.randint(1, 12)] * rng.randint(2, 4) + text[at:]


def _swap_words(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    rng.shuffle(words)
    return " ".join(words)


def _renumber(text: str, rng: random.Random) -> str:
    """Replace a number (or, without one, a word) by an unusual number."""
    words = text.split(" ")
    numeric = [i for i, w in enumerate(words) if any(c.isdigit() for c in w)]
    i = rng.choice(numeric or range(len(words)))
    words[i] = odd_number(rng) if rng.random() < 0.7 else foreign_digits(words[i], rng)
    return " ".join(words)


def _recase(text: str, rng: random.Random) -> str:
    return rng.choice((str.upper, str.lower, str.title, str.swapcase, str.casefold))(text)


def _combine(text: str, rng: random.Random) -> str:
    at = rng.randint(0, len(text))
    marks = "".join(chr(rng.randint(0x300, 0x36F)) for _ in range(rng.randint(1, 30)))
    return text[:at] + marks + text[at:]


def _markup(text: str, rng: random.Random) -> str:
    at = rng.choice((0, len(text), rng.randint(0, len(text))))
    return text[:at] + rng.choice(MARKUP) + " " + text[at:]


def _respell(text: str, rng: random.Random) -> str:
    """Fullwidth, decomposed or mathematical-bold spellings of the same words."""
    how = rng.randrange(3)
    if how == 0:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if how == 1:
        return unicodedata.normalize(rng.choice(("NFD", "NFKD")), text)
    return "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in text)


def _time(text: str, rng: random.Random) -> str:
    return f"{text} {rng.choice(('at', 'since', 'until', 'from', 'on'))} {rng.choice(TIME_FORMS)}"


def _punctuate(text: str, rng: random.Random) -> str:
    return text + rng.choice(("?", "!!!", "…", ".", ",", ";", ":", " -", "??¿", "‽", "%", "'s"))


_TEXT_EDITS: tuple[Callable[[str, random.Random], str], ...] = (
    _insert, _delete, _duplicate, _swap_words, _renumber, _renumber, _recase, _combine, _markup,
    _respell, _time, _punctuate,
)  # fmt: skip


def huge_text(rng: random.Random) -> str:
    """A pasted log, a flood of one word or of one digit."""
    size = rng.randint(5_000, 60_000)
    unit = rng.choice(("approve 1 ", "9", "➊", "cpu of web-1 ", "\u0301", "<@U1>", " ", "a" * 50))
    if rng.random() < 0.3:
        return random_unicode(rng, 2_000) * (size // 1_000)
    return (unit * (size // len(unit) + 1))[:size]


def fuzz_text(rng: random.Random) -> str:
    """One message text (see the module docstring for the mix)."""
    roll = rng.random()
    if roll < 0.30:
        return mutate_text(rng.choice(corpus()), rng)
    if roll < 0.42:
        return foreign_digits(rng.choice(corpus()), rng)
    if roll < 0.60:
        return _template(rng)
    if roll < 0.80:
        return random_unicode(rng)
    if roll < 0.92:
        words = rng.choice(corpus()).split(" ")
        return " ".join(w if rng.random() < 0.6 else random_unicode(rng, 6) for w in words)
    if roll < 0.999:
        return rng.choice(("", " ", "\n", "\t \u3000", "?", "!", "-", "--", "#", "'", '"', "…"))
    return huge_text(rng)


def _template(rng: random.Random) -> str:
    text = rng.choice(TEMPLATES)
    while "{n}" in text or "{t}" in text:
        text = text.replace("{n}", odd_number(rng), 1).replace("{t}", rng.choice(TIME_FORMS), 1)
    return text


# --------------------------------------------------------------------------- JSON


@functools.cache
def sample(path: str) -> Any:
    """A recorded payload from ``tests/data``."""
    return json.loads((DATA / path).read_text(encoding="utf-8"))


def mutate_json(value: Any, rng: random.Random, keys: Sequence[str]) -> Any:
    """A copy of ``value`` after one to four structural edits at random places: types swapped,
    keys dropped or added, values wrapped or unwrapped, numbers as strings, nulls, long
    arrays, deep nesting, strings fuzzed. ``keys`` are names to add (the sample's own)."""
    doc = copy.deepcopy(value)
    for edit in range(rng.randint(1, 4)):
        doc = _mutate_at(doc, rng, keys, big=edit == 0)
        if doc is _DROP:
            doc = None  # the whole body dropped: an empty JSON body
    return doc


def _mutate_at(node: Any, rng: random.Random, keys: Sequence[str], *, big: bool) -> Any:
    """Walk down from ``node`` to a random place and edit it (the walk keeps depth cheap).
    Only a ``big`` edit may make long arrays or deep nesting, so sizes cannot multiply."""
    if isinstance(node, dict) and node and rng.random() < 0.75:
        key = rng.choice(list(node))
        child = _mutate_at(node[key], rng, keys, big=big)
        if child is _DROP:
            del node[key]
        else:
            node[key] = child
        return node
    if isinstance(node, list) and node and rng.random() < 0.75:
        i = rng.randrange(len(node))
        child = _mutate_at(node[i], rng, keys, big=big)
        if child is _DROP:
            del node[i]
        else:
            node[i] = child
        return node
    return _mutant(node, rng, keys, big=big)


_DROP = object()


def _mutant(node: Any, rng: random.Random, keys: Sequence[str], *, big: bool) -> Any:
    roll = rng.random()
    if roll < 0.12:
        return _DROP
    if roll < 0.30:
        return copy.deepcopy(rng.choice(EXTREME_VALUES))
    if roll < 0.55:
        return _respelled(node, rng)
    if roll < 0.63:
        return rng.choice(([node], {"value": node}, {rng.choice(keys): node}))
    if roll < 0.70 and isinstance(node, (dict, list)) and node:
        return rng.choice(list(node.values()) if isinstance(node, dict) else node)
    if roll < 0.80 and isinstance(node, dict):
        node[rng.choice(keys) if rng.random() < 0.8 else fuzz_text(rng)] = _any_value(rng)
        return node
    if roll < 0.86 and big:
        return [node] * rng.choice((2, 50) if isinstance(node, (dict, list)) else (1_000, 5_000))
    if roll < 0.88 and big:
        deep: Any = node
        for _ in range(rng.choice((10, 100, 400))):
            deep = [deep] if rng.random() < 0.5 else {"a": deep}
        return deep
    return _any_value(rng)


def _respelled(node: Any, rng: random.Random) -> Any:
    """The same value in another type or spelling: ``12`` <-> ``"12"``, a string fuzzed."""
    if isinstance(node, bool) or node is None:
        return str(node).lower()
    if isinstance(node, (int, float)):
        return rng.choice((str(node), foreign_digits(str(node), rng), -node, node * 10**30))
    if isinstance(node, str):
        if node.isascii() and node.lstrip("-").isdigit() and len(node) < 30 and rng.random() < 0.5:
            return int(node)
        roll = rng.random()
        if roll < 0.35:
            return mutate_text(node, rng)
        if roll < 0.5:
            return foreign_digits(node, rng)
        return rng.choice(TIME_FORMS) if roll < 0.65 else fuzz_text(rng)
    return _any_value(rng)


def _any_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.4:
        return fuzz_text(rng)
    if roll < 0.7:
        return copy.deepcopy(rng.choice(EXTREME_VALUES))
    if roll < 0.85:
        return {fuzz_text(rng): fuzz_text(rng) for _ in range(rng.randint(0, 3))}
    return [fuzz_text(rng) for _ in range(rng.randint(0, 3))]


def keys_of(*docs: Any) -> tuple[str, ...]:
    """Every object key in ``docs`` (what a mutation may add back in the wrong place)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(node)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for doc in docs:
        walk(doc)
    return tuple(sorted(found))


def dumps(doc: Any) -> str:
    """JSON text of ``doc`` (NaN and infinities as Python writes them, as a sender may)."""
    return json.dumps(doc, ensure_ascii=False)


def garbled(text: str, rng: random.Random) -> bytes:
    """``text`` as bytes, sometimes cut short, re-encoded, or with bytes no UTF-8 allows."""
    data = text.encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.80:
        return data
    if roll < 0.88:
        return data[: rng.randint(0, len(data))]
    if roll < 0.93:
        return text.encode("utf-16")
    if roll < 0.97:
        at = rng.randint(0, len(data))
        return data[:at] + bytes(rng.randrange(256) for _ in range(4)) + data[at:]
    return b"\xef\xbb\xbf" + data


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True, slots=True)
class Target:
    """One edge of the bot: how to make an input, and how the bot reads it.

    ``run`` returns the outcome; any exception it lets out is classified by ``expected``
    (the documented refusals of that edge) or counted as unhandled."""

    name: str
    share: float
    make: Callable[[random.Random], Any]
    run: Callable[[Any], Outcome]
    expected: tuple[type[BaseException], ...] = ()


# -- the intent parser

_HISTORIES: dict[str, tuple[Turn, ...]] = {
    "none": (),
    "metric": (Turn("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}, NOW),),
    "suggested": (Turn("unknown", {}, NOW - 5, suggestion="restart payments"),),
    "status": (
        Turn("status", {"target": "web-2"}, NOW - 600),
        Turn("alerts_list", {"severity": "critical"}, NOW - 60),
    ),
}
_ZONES: dict[str, tzinfo] = {
    "UTC": UTC,
    "+14": timezone(timedelta(hours=14)),
    "-12": timezone(timedelta(hours=-12)),
}


@functools.cache
def parsers() -> dict[str, IntentParser]:
    """The bot's parser in a few time zones (the extremes stress date arithmetic)."""
    actions = ("flush-cache", "restart")
    return {name: build_parser(actions=actions, timezone=tz) for name, tz in _ZONES.items()}


def make_parser_input(rng: random.Random) -> tuple[str, str, float, str]:
    history = rng.choice(list(_HISTORIES)) if rng.random() < 0.3 else "none"
    now = NOW + rng.uniform(-30 * 365 * 86400, 70 * 365 * 86400) if rng.random() < 0.2 else NOW
    return fuzz_text(rng), history, now, rng.choice(list(_ZONES))


def run_parser(case: tuple[str, str, float, str]) -> Outcome:
    text, history, now, zone = case
    parsers()[zone].parse(text, _HISTORIES[history], now)
    return "accepted"


# -- Slack

_SLACK_BOT = "U0LAN0Z89"
_SLACK_SECRET = "fuzz-signing-secret"  # noqa: S105  # signs the bench's own requests


@functools.cache
def slack_samples() -> dict[str, Any]:
    names = ("slash_command", "app_mention", "message_im", "block_actions")
    docs = {name: sample(f"slack/{name}.json") for name in names}
    return {**docs, "keys": keys_of(*docs.values())}


def make_slack_command(rng: random.Random) -> tuple[str, Any]:
    """A slash command: form fields over HTTP, or JSON in a Socket Mode envelope."""
    docs = slack_samples()
    body = mutate_json(docs["slash_command"], rng, docs["keys"])
    if rng.random() < 0.5 and isinstance(body, dict):
        return "form", urlencode({str(k): str(v) for k, v in body.items()})
    return "json", body


def run_slack_command(case: tuple[str, Any]) -> Outcome:
    kind, body = case
    if kind == "form":
        body = _bolt_body(body, "application/x-www-form-urlencoded")
        if body is None:
            return "refused"
    if not isinstance(body, dict):
        return "refused"  # Bolt dispatches only JSON objects
    message = slack_inbound.from_slash_command(body)
    slack_inbound.command_dedupe_key(body, "v0=" + message.text[:8])
    return "accepted"


def _bolt_body(text: str, content_type: str) -> Any:
    """What Bolt parses a signed body into; None where ``adapters.slack.http`` answers 400."""
    try:
        request = AsyncBoltRequest(body=text, headers={"content-type": content_type})
    except Exception:  # the endpoint's refusal: Bolt raises whatever json/urllib raise
        return None
    return request.body if isinstance(request.body, dict) else None


def make_slack_event(rng: random.Random) -> tuple[Any, str | None]:
    docs = slack_samples()
    doc = docs[rng.choice(("app_mention", "message_im"))]
    bot = rng.choice((_SLACK_BOT, None, "", "U061F7AUR", fuzz_text(rng)))
    return mutate_json(doc, rng, docs["keys"]), bot


def run_slack_event(case: tuple[Any, str | None]) -> Outcome:
    body, bot = case
    if not isinstance(body, dict):
        return "refused"
    message = slack_inbound.from_event(body, bot_user_id=bot)
    slack_inbound.event_dedupe_key(body)
    return "refused" if message is None else "accepted"


def make_slack_click(rng: random.Random) -> tuple[str, Any]:
    docs = slack_samples()
    body = mutate_json(docs["block_actions"], rng, docs["keys"])
    if rng.random() < 0.3:
        return "form", urlencode({"payload": dumps(body)})
    return "json", body


def run_slack_click(case: tuple[str, Any]) -> Outcome:
    kind, body = case
    if kind == "form":
        body = _bolt_body(body, "application/x-www-form-urlencoded")
    if not isinstance(body, dict):
        return "refused"
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
        return "refused"  # Bolt's ``sco:choice:`` matcher needs a string action_id
    click = slack_inbound.from_click(body, action)
    if click is None:
        return "refused"
    slack_inbound.click_dedupe_key(click)
    return "accepted"


def make_slack_request(rng: random.Random) -> tuple[bytes, dict[str, str], str]:
    """A request's raw body and headers, correctly signed or not, with odd timestamps."""
    body = garbled(fuzz_text(rng), rng)
    stamp = str(int(NOW) + rng.choice((0, -30, 400, -400)))
    roll = rng.random()
    if roll < 0.3:
        stamp = foreign_digits(stamp, rng)
    elif roll < 0.5:
        stamp = rng.choice((odd_number(rng), fuzz_text(rng), " " + stamp, stamp + "\n"))
    base = b"v0:" + stamp.encode("utf-8", "replace") + b":" + body
    signature = "v0=" + hmac.new(_SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest()
    if rng.random() < 0.3:
        signature = rng.choice(("", "v0=", mutate_text(signature, rng), fuzz_text(rng)))
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    return body, headers, rng.choice((odd_number(rng), fuzz_text(rng), "1", "0", ""))


def run_slack_request(case: tuple[bytes, dict[str, str], str]) -> Outcome:
    body, headers, retry = case
    retry_count({"x-slack-retry-num": [retry]})
    problem = SignatureCheck(_SLACK_SECRET, clock=lambda: NOW).problem(body, headers)
    return "refused" if problem else "accepted"


def plain_text_sample(rng: random.Random) -> str:
    return fuzz_text(rng) if rng.random() < 0.5 else mutate_text(rng.choice(MARKUP), rng)


def run_slack_text(text: str) -> Outcome:
    slack_inbound.plain_text(text)
    slack_inbound.is_user_id(text)
    return "accepted"


# -- Teams


@functools.cache
def teams_samples() -> dict[str, Any]:
    names = (
        "channel_mention", "personal_message", "group_chat_mention", "card_click",
        "bot_added_to_team", "bot_removed_from_team", "installation_update_add",
    )  # fmt: skip
    docs = {name: sample(f"teams/{name}.json") for name in names}
    return {"docs": docs, "keys": keys_of(*docs.values())}


def make_teams_activity(rng: random.Random) -> Any:
    samples = teams_samples()
    doc = samples["docs"][rng.choice(sorted(samples["docs"]))]
    return mutate_json(doc, rng, samples["keys"])


def run_teams_activity(body: Any) -> Outcome:
    """What ``adapters.teams.endpoint`` and ``TeamsBot`` read of an activity."""
    if not isinstance(body, dict):
        return "refused"
    try:
        activity = Activity().deserialize(body)
    except Exception:  # the endpoint answers 400 to anything msrest cannot read
        return "refused"
    if not activity.type:
        return "refused"
    teams_inbound.tenant_of(activity)
    click = teams_inbound.click_of(activity)
    text = teams_inbound.message_text(activity) or teams_inbound.EMPTY_MENTION_TEXT
    teams_inbound.to_incoming(activity, text=click.command if click else text)
    for account in [*(activity.members_added or ()), *(activity.members_removed or ())]:
        teams_inbound.is_bot_account(activity, account)
    return "accepted"


# -- Discord

_DISCORD_BOT = 1100000000000000001
_THREAD = "1200000000000000003"
_PREFIXES = (None, "!ops", "ops", "?", "➊", "ＯＰＳ")


@functools.cache
def discord_state() -> ConnectionState[Any]:
    """discord.py's connection state with the test guild (a channel and a thread) cached."""
    state: ConnectionState[Any] = ConnectionState(
        dispatch=_keep_dispatched,
        handlers={},
        hooks={},
        http=SimpleNamespace(_HTTPClient__session=None),  # type: ignore[arg-type]  # no requests
        max_messages=None,
        intents=discord.Intents.none(),
        chunk_guilds_at_startup=False,
    )
    state.user = discord.ClientUser(state=state, data=sample("discord/user_me.json"))
    client = SimpleNamespace(user=state.user)
    state._get_client = lambda: client
    state.parse_guild_create(sample("discord/guild_create.json"))
    return state


_dispatched: list[Any] = []


def _keep_dispatched(event: str, *args: Any) -> None:
    if event == "message":
        _dispatched.append(args[0])


@functools.cache
def discord_samples() -> dict[str, Any]:
    message = sample("discord/message_create.json")
    thread = {**message, "channel_id": _THREAD}
    docs = {
        "guild": message,
        "thread": thread,
        "dm": sample("discord/message_create_dm.json"),
        "command": _interaction("interaction_command"),
        "autocomplete": _interaction("interaction_autocomplete"),
        "component": {
            **_interaction("interaction_component"),
            "data": {"component_type": 2, "custom_id": "sco:approve 12"},
            "message": {**message, "author": {**message["author"], "id": str(_DISCORD_BOT)}},
        },
    }
    return {"docs": docs, "keys": keys_of(*docs.values())}


def _interaction(name: str) -> dict[str, Any]:
    doc = dict(sample(f"discord/{name}.json"))
    doc.update(id="1329001122334455700", token="aW50ZXJhY3Rpb24tdG9rZW4")  # noqa: S106
    return doc


def make_discord_message(rng: random.Random) -> tuple[Any, str | None]:
    """Half the time only what users write (content, names), the rest mutated anywhere."""
    samples = discord_samples()
    doc = samples["docs"][rng.choice(("guild", "thread", "dm"))]
    if rng.random() < 0.5:
        return mutate_json(doc, rng, samples["keys"]), rng.choice(_PREFIXES)
    author = {**doc["author"], "username": fuzz_text(rng), "global_name": _name(rng)}
    content = rng.choice(("", "<@1100000000000000001> ", "<@!1100000000000000001>", "!ops"))
    return {**doc, "content": content + fuzz_text(rng), "author": author}, rng.choice(_PREFIXES)


def _name(rng: random.Random) -> str | None:
    return None if rng.random() < 0.2 else fuzz_text(rng)


def run_discord_message(case: tuple[Any, str | None]) -> Outcome:
    """``parse_message_create`` -> ``DiscordChat.on_message``'s reading of the message."""
    data, prefix = case
    _dispatched.clear()
    try:
        discord_state().parse_message_create(data)
    except Exception:
        return "library"
    message = _dispatched.pop() if _dispatched else None
    if message is None or not _typed_message(message):
        return "library"
    facts = discord_inbound.facts_of_message(message)
    incoming = discord_inbound.from_message(facts, bot_id=_DISCORD_BOT, prefix=prefix)
    return "refused" if incoming is None else "accepted"


def _typed_message(message: discord.Message) -> bool:
    """Whether discord.py's message has the types it documents, in what the adapter reads.

    discord.py copies payload values without checking them (``content`` may end up a list);
    only Discord writes these payloads, to its own schema, so an object outside it says
    nothing about our code."""
    return (
        isinstance(message.content, str)
        and isinstance(getattr(message.type, "value", None), int)
        and _typed_person(getattr(message, "author", None))
        and isinstance(getattr(message.channel, "id", None), int)
        and isinstance(getattr(message.channel, "parent_id", 0), int)
        and all(_typed_person(user) for user in getattr(message, "mentions", [None]))
    )


def _typed_person(user: object) -> bool:
    return (
        isinstance(getattr(user, "id", None), int)
        and isinstance(getattr(user, "display_name", None), str)
        and isinstance(getattr(user, "bot", None), bool)
    )


def make_discord_interaction(rng: random.Random) -> Any:
    """Half the time only what users write (the text, a nick), the rest mutated anywhere."""
    samples = discord_samples()
    doc = samples["docs"][rng.choice(("command", "autocomplete", "component"))]
    if rng.random() < 0.5:
        return mutate_json(doc, rng, samples["keys"])
    text = fuzz_text(rng)
    member = {**doc["member"], "nick": _name(rng)}
    if "custom_id" in doc["data"]:
        return {**doc, "member": member, "data": {**doc["data"], "custom_id": "sco:" + text}}
    option = {"type": 3, "name": "text", "value": text, "focused": True}
    return {**doc, "member": member, "data": {**doc["data"], "options": [option]}}


def run_discord_interaction(data: Any) -> Outcome:
    """An interaction as discord.py builds it, then what ``OpsClient`` hands the chat."""
    try:
        interaction = discord.Interaction(data=data, state=discord_state())
    except Exception:
        return "library"
    if not _typed_person(interaction.user) or not all(
        isinstance(i, int | None) for i in (interaction.channel_id, interaction.guild_id)
    ):
        return "library"
    facts = discord_inbound.facts_of_interaction(interaction)
    text = _interaction_text(interaction)
    if text is None:
        return "refused"
    if interaction.type is discord.InteractionType.autocomplete:
        suggest(text, (*METRICS, "web-1", "checkout-api", "db.primary"))
    discord_inbound.from_interaction(facts, text)
    return "accepted"


def _interaction_text(interaction: discord.Interaction[Any]) -> str | None:
    """The ``text`` option of ``/ops`` or a button's command (Discord types both strings)."""
    data: dict[str, Any] = dict(interaction.data) if isinstance(interaction.data, dict) else {}
    if interaction.type is discord.InteractionType.component:
        custom_id = data.get("custom_id")
        if not isinstance(custom_id, str):
            return None
        match = ChoiceButton.__discord_ui_compiled_template__.fullmatch(custom_id)
        return str(match["command"]) if match else None
    options = data.get("options")
    option = options[0] if isinstance(options, list) and options else None
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


# -- Alertmanager


@functools.cache
def alertmanager_samples() -> dict[str, Any]:
    names = ("firing", "resolved", "group_partly_resolved")
    docs = {name: sample(f"alertmanager/{name}.json") for name in names}
    api = {"silences": [_API_SILENCE], "alerts": [_API_ALERT], "created": {"silenceID": "3f2a"}}
    return {"docs": docs, "api": api, "keys": keys_of(*docs.values(), *api.values())}


_API_SILENCE = {
    "id": "3f2a9c1e-8d4b-4b6e-9a51-0c7d2e4f6a8b",
    "status": {"state": "active"},
    "updatedAt": "2026-03-01T10:00:00.000Z",
    "comment": "from chat",
    "createdBy": "Ana (U0CA5)",
    "endsAt": "2026-03-01T12:00:00.000Z",
    "matchers": [{"isEqual": True, "isRegex": False, "name": "alertname", "value": "NodeDown"}],
    "startsAt": "2026-03-01T10:00:00.000Z",
}
_API_ALERT = {
    "annotations": {"summary": "p95 latency of checkout-api is 2.3 s"},
    "endsAt": "2026-03-01T10:15:00.000Z",
    "fingerprint": "82b92a2673fbc858",
    "receivers": [{"name": "smartcloudops"}],
    "startsAt": "2026-03-01T09:58:00.000Z",
    "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
    "updatedAt": "2026-03-01T10:00:00.000Z",
    "generatorURL": "http://prometheus.example/graph",
    "labels": {"alertname": "HighLatency", "instance": "checkout-api-1:8080", "severity": "page"},
}


def make_alertmanager_webhook(rng: random.Random) -> bytes:
    samples = alertmanager_samples()
    doc = samples["docs"][rng.choice(sorted(samples["docs"]))]
    if rng.random() < 0.03:
        return garbled(fuzz_text(rng), rng)
    return garbled(dumps(mutate_json(doc, rng, samples["keys"])), rng)


def run_alertmanager_webhook(raw: bytes) -> Outcome:
    """``POST /alertmanager``'s parsing, and the stored snapshot read back."""
    notification = parse_notification(raw)
    parse_notification(notification.to_json())
    return "accepted"


_ApiCall = Literal["list_silences", "alerts", "create_silence", "expire_silence"]
_STATUSES = (200, 200, 200, 200, 200, 200, 201, 204, 400, 404, 409, 500, 503, 302, 0, 99, 999)
_DRAFT = SilenceDraft(
    (Matcher("alertname", "NodeDown"),),
    datetime(2026, 3, 1, tzinfo=UTC),
    datetime(2026, 3, 1, 2, tzinfo=UTC),
    "Ana (U0CA5)",
    "from chat",
)


def make_alertmanager_answer(rng: random.Random) -> tuple[_ApiCall, int, str]:
    """An answer of Alertmanager's API v2 to one of the client's calls."""
    samples = alertmanager_samples()
    call: _ApiCall = rng.choice(("list_silences", "alerts", "create_silence", "expire_silence"))
    doc = samples["api"][{"list_silences": "silences", "alerts": "alerts"}.get(call, "created")]
    roll = rng.random()
    if roll < 0.85:
        text = dumps(mutate_json(doc, rng, samples["keys"]))
    elif roll < 0.95:
        text = rng.choice(("", "null", "not json", '{"message": ' + dumps(fuzz_text(rng)) + "}"))
    else:
        text = fuzz_text(rng)
    return call, rng.choice(_STATUSES), text


class _Answer:
    """An aiohttp response as :class:`AlertmanagerClient` reads it (status and text)."""

    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self._text = text

    async def __aenter__(self) -> _Answer:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def text(self) -> str:
        return self._text


class _Session:
    """Stands in for the client's ``aiohttp.ClientSession``: every request gets ``answer``."""

    def __init__(self) -> None:
        self.answer = _Answer(200, "[]")

    def request(self, *_: object, **__: object) -> _Answer:
        return self.answer


@functools.cache
def alertmanager_client() -> tuple[AlertmanagerClient, _Session]:
    client = AlertmanagerClient("http://alertmanager.invalid:9093")
    session = _Session()
    client._session = session  # type: ignore[assignment]  # the HTTP layer, answered in memory
    return client, session


def run_alertmanager_answer(case: tuple[_ApiCall, int, str]) -> Outcome:
    """The client's real ``_call`` and translation, without a socket."""
    call, status, text = case
    client, session = alertmanager_client()
    session.answer = _Answer(status, text)
    calls: dict[_ApiCall, Callable[[], Coroutine[Any, Any, object]]] = {
        "list_silences": client.list_silences,
        "alerts": client.alerts,
        "create_silence": lambda: client.create_silence(_DRAFT),
        "expire_silence": lambda: client.expire_silence(text[:40]),
    }
    _complete(calls[call]())
    return "accepted"


def _complete(coroutine: Coroutine[Any, Any, object]) -> object:
    """Run a coroutine that never waits on I/O to its end, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the coroutine waited for real I/O")


TARGETS = (
    Target("parser", 0.40, make_parser_input, run_parser),
    Target("slack.command", 0.04, make_slack_command, run_slack_command),
    Target("slack.event", 0.04, make_slack_event, run_slack_event),
    Target("slack.click", 0.04, make_slack_click, run_slack_click),
    Target("slack.request", 0.03, make_slack_request, run_slack_request),
    Target("slack.text", 0.02, plain_text_sample, run_slack_text),
    Target("teams.activity", 0.10, make_teams_activity, run_teams_activity),
    Target("discord.message", 0.07, make_discord_message, run_discord_message),
    Target("discord.interaction", 0.06, make_discord_interaction, run_discord_interaction),
    Target("alertmanager.webhook", 0.12, make_alertmanager_webhook, run_alertmanager_webhook,
           (InvalidInput,)),
    Target("alertmanager.api", 0.08, make_alertmanager_answer, run_alertmanager_answer,
           (InvalidInput, NotFoundError, DependencyError)),
)  # fmt: skip
BY_NAME = {t.name: t for t in TARGETS}

# --------------------------------------------------------------------------- running


@dataclass(slots=True)
class Crash:
    """One distinct unhandled exception: how often, and the first input that raised it."""

    kind: str
    location: str
    raised_at: str
    message: str
    example: str
    first: tuple[int, int]
    count: int = 1


@dataclass(slots=True)
class Tally:
    """What one target's inputs came to."""

    target: str
    inputs: int = 0
    refused: int = 0
    library: int = 0
    crashes: dict[tuple[str, str], Crash] = field(default_factory=dict)
    slowest: tuple[float, str] = (0.0, "")

    @property
    def unhandled(self) -> int:
        return sum(c.count for c in self.crashes.values())

    def merge(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.refused += other.refused
        self.library += other.library
        self.slowest = max(self.slowest, other.slowest)
        for key, crash in other.crashes.items():
            mine = self.crashes.get(key)
            if mine is None:
                self.crashes[key] = crash
            elif crash.first < mine.first:
                crash.count += mine.count
                self.crashes[key] = crash
            else:
                mine.count += crash.count


def run_chunk(task: tuple[str, int, int, int]) -> Tally:
    """``count`` inputs of one target, from the seed of ``(seed, target, chunk)``."""
    name, seed, chunk, count = task
    target = BY_NAME[name]
    rng = random.Random(f"{seed}:{name}:{chunk}")
    tally = Tally(name)
    for index in range(count):
        case = target.make(rng)
        started = time.perf_counter()
        try:
            outcome = target.run(case)
        except target.expected:
            outcome = "refused"
        except Exception as exc:  # the point: everything else is a finding
            _record(tally, exc, case, (chunk, index))
            outcome = "accepted"
        elapsed = time.perf_counter() - started
        tally.inputs += 1
        tally.refused += outcome == "refused"
        tally.library += outcome == "library"
        if elapsed > tally.slowest[0]:
            tally.slowest = (elapsed, show(case))
    return tally


def replay(name: str, seed: int, chunk: int, index: int) -> Any:
    """Input ``index`` of chunk ``chunk`` of ``name``, exactly as :func:`run_chunk` made it."""
    target = BY_NAME[name]
    rng = random.Random(f"{seed}:{name}:{chunk}")
    for _ in range(index):
        target.make(rng)
    return target.make(rng)


def _record(tally: Tally, exc: Exception, case: Any, first: tuple[int, int]) -> None:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if _is_ours(f.filename)]
    location = _where(ours[-1]) if ours else "?"
    key = (type(exc).__name__, location)
    if key in tally.crashes:
        tally.crashes[key].count += 1
        return
    raised_at = _where(frames[-1]) if frames else "?"
    message = str(exc).replace("\n", " ")[:160]
    tally.crashes[key] = Crash(key[0], location, raised_at, message, show(case), first)


def _is_ours(filename: str) -> bool:
    """Whether a frame is this repository's code (the bench included), not a library's."""
    path = Path(filename).resolve()
    return path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv")


def _where(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename).resolve()
    shown = path.relative_to(ROOT) if _is_ours(frame.filename) else Path(*path.parts[-2:])
    return f"{shown}:{frame.lineno} ({frame.name})"


def show(case: Any, limit: int = 300) -> str:
    """An input as Python would write it, cut to ``limit`` characters (with its length)."""
    text = repr(case)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} chars)"


def plan(count: int, seed: int, only: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """The chunks to run: each chosen target's share of ``count``, ``CHUNK`` at a time."""
    chosen = [t for t in TARGETS if not only or t.name in only]
    total_share = sum(t.share for t in chosen)
    tasks = []
    for target in chosen:
        remaining = round(count * target.share / total_share)
        for chunk in range(-(-remaining // CHUNK)):
            size = min(CHUNK, remaining - chunk * CHUNK)
            tasks.append((target.name, seed, chunk, size))
    return tasks


def warm_up() -> None:
    """Build what every worker shares before forking (parsers, samples, Unicode pools)."""
    parsers()
    corpus()
    category_pools()
    discord_state()
    for samples in (slack_samples, teams_samples, discord_samples, alertmanager_samples):
        samples()
    alertmanager_client()


def run(
    count: int, seed: int, *, workers: int = 1, only: Sequence[str] = (), progress: bool = False
) -> dict[str, Tally]:
    """Fuzz every target (or ``only`` these) with ``count`` inputs in all; tallies by target.
    With ``progress``, a line on stderr after each chunk: inputs done, unhandled so far, rate."""
    warm_up()
    tallies = {name: Tally(name) for name in dict.fromkeys(t[0] for t in plan(count, seed, only))}
    tasks = plan(count, seed, only)
    total = sum(task[3] for task in tasks)
    started = time.perf_counter()
    done = 0
    for tally in _map(tasks, workers):
        tallies[tally.target].merge(tally)
        done += tally.inputs
        if progress:
            seconds = time.perf_counter() - started
            unhandled = sum(t.unhandled for t in tallies.values())
            print(
                f"{done:,}/{total:,} inputs, {unhandled:,} unhandled, {seconds:.0f} s,"
                f" {done / seconds:,.0f} inputs/s (last: {tally.target})",
                file=sys.stderr,
                flush=True,
            )
    return tallies


def _map(tasks: list[tuple[str, int, int, int]], workers: int) -> Iterator[Tally]:
    if workers <= 1:
        yield from map(run_chunk, tasks)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(run_chunk, tasks)


# --------------------------------------------------------------------------- report


def report(tallies: Mapping[str, Tally], seconds: float, workers: int, seed: int) -> str:
    total = sum(t.inputs for t in tallies.values())
    lines = [
        f"{'target':<22}{'inputs':>10}{'refused':>10}{'library':>9}{'unhandled':>11}"
        f"{'slowest ms':>12}"
    ]
    for t in tallies.values():
        lines.append(
            f"{t.target:<22}{t.inputs:>10,}{t.refused:>10,}{t.library:>9,}{t.unhandled:>11,}"
            f"{t.slowest[0] * 1000:>12.1f}"
        )
    crashes = [c for t in tallies.values() for c in t.crashes.values()]
    lines.append(
        f"{'total':<22}{total:>10,}{'':>30}{sum(c.count for c in crashes):>11,}\n\n"
        f"{total:,} inputs in {seconds:.1f} s with {workers} worker(s): "
        f"{total / seconds:,.0f} inputs/s"
    )
    for name, t in tallies.items():
        for crash in t.crashes.values():
            lines.append(
                f"\nUNHANDLED {crash.kind} x{crash.count:,} in {name} at {crash.location}"
                f" (raised at {crash.raised_at}): {crash.message}\n  input: {crash.example}\n"
                f"  replay: --seed {seed} --replay {name}:{crash.first[0]}:{crash.first[1]}"
            )
    slowest = max(tallies.values(), key=lambda t: t.slowest[0], default=None)
    if slowest is not None:
        lines.append(f"\nslowest call ({slowest.target}): {slowest.slowest[1]}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="inputs in all")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--only", nargs="*", default=(), choices=sorted(BY_NAME), metavar="T")
    parser.add_argument("--replay", metavar="TARGET:CHUNK:INDEX", help="rerun one input, raising")
    parser.add_argument("--progress", action="store_true", help="a line on stderr per chunk")
    args = parser.parse_args(argv)
    if args.replay:
        name, chunk, index = args.replay.split(":")
        case = replay(name, args.seed, int(chunk), int(index))
        print(f"{name} input: {show(case, 2_000)}\noutcome: {BY_NAME[name].run(case)}")
        return 0
    started = time.perf_counter()
    tallies = run(
        args.count, args.seed, workers=args.workers, only=args.only, progress=args.progress
    )
    seconds = time.perf_counter() - started
    print(f"fuzz_bench --count {args.count} --seed {args.seed} (Python {sys.version.split()[0]})")
    print(report(tallies, seconds, args.workers, args.seed))
    return 1 if any(t.crashes for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
