"""One message, read once: its tokens and the lexicon spans found in them.

A :class:`Span` marks words that mean a slot value regardless of intent: a metric ("response
time" -> latency), a severity, a remediation verb, a time span, a number, an "unusual" word.
Everything downstream (grammar, slot extractors, follow-ups, the classifier's text view)
reads the same :class:`Analysis`, so they never disagree about what a word is.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from intents import lexicon
from intents.durations import find_durations
from intents.text import PLAIN_NAME, Token, tokenize
from intents.times import Clock, TimeSpan, find_times

_CAMEL = re.compile(
    r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*|[A-Z][a-z0-9]+[A-Z]+"
    r"|[A-Z]{2,}[a-z]{2,}[A-Za-z0-9]*"
)
_HOSTLIKE = re.compile(r"(?=.*[A-Za-z])(?=.*[0-9._:-]).+|\d+(?:\.\d+){3}(?::\d+)?")
# Hyphenated or dotted words that are English, not host names.
_NOT_HOSTS = lexicon.word_set(
    """
    e.g i.e etc k8s vs a.m p.m 1st 2nd 3rd e-mail real-time follow-up up-to-date long-term
    short-term so-called well-known t-shirt check-in log-in sign-in set-up built-in add-on
    day-to-day non-stop co-worker x-ray right-now u.s u.k mr. dr. ph.d
    """
)
_PHRASE_TABLES: tuple[tuple[str, Mapping[lexicon.Phrase, str]], ...] = (
    ("metric", lexicon.METRIC_PHRASES),
    ("severity", lexicon.SEVERITY_PHRASES),
    ("action", lexicon.ACTION_PHRASES),
)
_LONGEST_PHRASE = 4
_PHRASE_STARTS = frozenset(phrase[0] for _, table in _PHRASE_TABLES for phrase in table)
MAX_TOKENS = 200
_SEEMS = lexicon.word_set("look looks looking seem seems seemed feel feels something anything")


@dataclass(frozen=True, slots=True)
class Span:
    """Tokens ``start`` (inclusive) to ``end`` (exclusive) mean ``value`` of ``kind``.

    Time phrases that need a calendar are kinds ``window``, ``until`` and ``badtime`` (one
    that tries to say a time and cannot); their resolved times are in ``time``."""

    start: int
    end: int
    kind: str
    value: str | int
    time: TimeSpan | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """A clean message, its tokens and its spans (ordered, non-overlapping); ``words`` are
    the tokens' normal forms (read dozens of times a parse, so made once)."""

    text: str
    tokens: tuple[Token, ...]
    spans: tuple[Span, ...]
    by_token: tuple[Span | None, ...]
    clock: Clock
    words: tuple[str, ...]
    firsts: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)
    """The first span of each kind (asked dozens of times a parse)."""
    memo: dict[str, tuple[Any, ...]] = field(default_factory=dict, compare=False, repr=False)
    """What the readers worked out about this analysis, by question: how much each word
    looks like a target (asked a score of times a parse), where its clauses are; each
    answer depends only on the (immutable) analysis."""

    def first(self, kind: str) -> Span | None:
        return self.firsts.get(kind)

    def of_kind(self, kind: str) -> list[Span]:
        return [s for s in self.spans if s.kind == kind]

    def span_at(self, index: int) -> Span | None:
        return self.by_token[index] if 0 <= index < len(self.by_token) else None

    def word(self, index: int) -> str | None:
        return self.tokens[index].norm if 0 <= index < len(self.tokens) else None


def analyse(text: str, clock: Clock | None = None) -> Analysis:
    """Tokenise clean ``text`` and mark its spans; ``clock`` (default: now, UTC) resolves
    "yesterday" and "since 3am". Only the first :data:`MAX_TOKENS` words are read: a chat
    command is a sentence, and a pasted log must not cost a parse seconds."""
    return analyse_tokens(text, tokenize(text, MAX_TOKENS), clock)


def analyse_tokens(text: str, tokens: tuple[Token, ...], clock: Clock | None = None) -> Analysis:
    """Mark the spans of already tokenised text (a follow-up's words after its opener)."""
    clock = clock or Clock(time.time())
    words = [t.norm for t in tokens]
    taken = [False] * len(words)
    spans: list[Span] = []
    for found in find_times([t.lower for t in tokens], clock):
        kind = "badtime" if found.kind == "unreadable" else found.kind
        spans.append(Span(found.start, found.end, kind, found.text or kind, found))
        taken[found.start : found.end] = [True] * (found.end - found.start)
    for q in _quantile_spans(words):
        spans.append(q)
        taken[q.start : q.end] = [True] * (q.end - q.start)
    for d in find_durations([w if not t else "" for w, t in zip(words, taken, strict=True)]):
        spans.append(Span(d.start, d.end, "duration", d.seconds))
        taken[d.start : d.end] = [True] * (d.end - d.start)
    spans.extend(_phrase_spans(words, taken))
    for i, word in enumerate(words):
        if taken[i]:
            continue
        if word in lexicon.ANOMALY_WORDS or (word == "off" and i and words[i - 1] in _SEEMS):
            spans.append(Span(i, i + 1, "unusual", word))
        elif (measure := _measure(word)) is not None:
            spans.append(Span(i, i + 1, "measure", measure))
        elif (number := _number(tokens[i])) is not None:
            spans.append(Span(i, i + 1, "number", number))
    ordered = tuple(sorted(spans, key=lambda s: s.start))
    by_token: list[Span | None] = [None] * len(tokens)
    firsts: dict[str, Span] = {}
    for span in ordered:
        by_token[span.start : span.end] = [span] * (span.end - span.start)
        firsts.setdefault(span.kind, span)
    return Analysis(text, tokens, ordered, tuple(by_token), clock, tuple(words), firsts)


_QUANTILE = re.compile(r"p(\d{2,3})(?:\.(\d{1,2}))?")
_ORDINAL = re.compile(r"(\d{2})(?:th|st|nd|rd)?")


def _quantile_spans(words: list[str]) -> list[Span]:
    """Latency quantiles: "p50", "p99.9", "p999", "median", "99th percentile"."""
    out: list[Span] = []
    for i, word in enumerate(words):
        match = _QUANTILE.fullmatch(word)
        if match is not None:
            digits = match.group(1) + (match.group(2) or "")
            out.append(Span(i, i + 1, "quantile", str(float("0." + digits))))
        elif word == "median":
            out.append(Span(i, i + 1, "quantile", "0.5"))
        elif i + 1 < len(words) and words[i + 1] == "percentile":
            ordinal = _ORDINAL.fullmatch(word)
            if ordinal is not None:
                out.append(Span(i, i + 2, "quantile", str(int(ordinal.group(1)) / 100)))
    return out


def is_hostlike(token: Token) -> bool:
    """A name that can only be a host or service: ``web-1``, ``db.prod``, ``10.0.0.5:9100``."""
    return _hostlike(token.raw, token.lower)


@functools.lru_cache(maxsize=8192)
def _hostlike(raw: str, lower: str) -> bool:
    """:func:`is_hostlike` of the token written ``raw`` (``lower`` in lower case); a parse
    asks it of the same words dozens of times."""
    if _is_ip(raw):
        return True
    return (
        PLAIN_NAME.fullmatch(raw) is not None
        and _HOSTLIKE.fullmatch(raw) is not None
        and lower not in _NOT_HOSTS
        and not lower.replace(".", "").isdigit()
    )


def addressed(a: Analysis) -> bool:
    """Whether the message names a person or group with @ ("@bob restart web-1", "hey
    @alice, approve 12"): the bot's own mention is gone before parsing, so what is left is
    said to someone else."""
    return any(t.raw.startswith("@") and len(t.raw) > 1 for t in a.tokens)


def mocking(a: Analysis) -> bool:
    """Whether an eye-roll or a laughing emoji makes the message a joke ("restart
    db-primary again? 🙄")."""
    return any(c in lexicon.JEST_MARKS for c in a.text)


def is_camel(token: Token) -> bool:
    """A CamelCase word such as ``NodeDown``, ``HighCPU`` or ``CPUHigh``: how alert names
    are written."""
    return is_camel_name(token.raw)


def is_camel_name(raw: str) -> bool:
    return _CAMEL.fullmatch(raw) is not None


_IP = re.compile(r"\d+(?:\.\d+){3}(?::\d+)?")


def _is_ip(raw: str) -> bool:
    return _IP.fullmatch(raw) is not None


def _phrase_spans(words: list[str], taken: list[bool]) -> list[Span]:
    spans: list[Span] = []
    i = 0
    while i < len(words):
        hit = None if taken[i] else _longest_phrase(words, taken, i)
        if hit is None:
            i += 1
            continue
        spans.append(hit)
        taken[hit.start : hit.end] = [True] * (hit.end - hit.start)
        i = hit.end
    return spans


def _longest_phrase(words: list[str], taken: list[bool], i: int) -> Span | None:
    if words[i] == "roll" and "back" in words[i + 2 : i + 4]:
        return Span(i, i + 1, "action", "rollback")
    if words[i] not in _PHRASE_STARTS:
        return None
    for size in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
        if any(taken[i : i + size]):
            continue
        phrase = tuple(words[i : i + size])
        for kind, table in _PHRASE_TABLES:
            if phrase in table:
                return Span(i, i + size, kind, table[phrase])
    return None


_MEASURE = re.compile(r"(\d+(?:\.\d+)?)(ms|msec|k|pct)|(\d+\.\d+)")
_MEASURE_SCALE = {"ms": 0.001, "msec": 0.001, "k": 1000.0, "pct": 1.0, "": 1.0}


def _measure(word: str) -> str | None:
    """A number written with its unit ("300ms" is 0.3 s, "2k" 2000) or a decimal ("0.3")."""
    match = _MEASURE.fullmatch(word)
    if match is None:
        return None
    number = match.group(1) or match.group(3)
    value = float(number) * _MEASURE_SCALE[match.group(2) or ""]
    return f"{value:g}"


def _number(token: Token) -> int | None:
    """A count or id written in digits ("3", "#12"), or in words ("three").

    Digits are decimal digits, which ``int()`` reads in any script ("٣"); ``isdigit()``
    would also take "➊", "፰" or "²" (digits to Unicode, not to ``int()``: issue 14)."""
    raw = token.raw.lstrip("#")
    if raw.isdecimal() and len(raw) <= 9:
        return int(raw)
    if token.lower in lexicon.NUMBER_WORDS and token.lower not in ("a", "an", "few", "couple"):
        return lexicon.NUMBER_WORDS[token.lower]
    return None
