"""One message, read once: its tokens and the lexicon spans found in them.

A :class:`Span` marks words that mean a slot value regardless of intent: a metric ("response
time" -> latency), a severity, a remediation verb, a time span, a number, an "unusual" word.
Everything downstream (grammar, slot extractors, follow-ups, the classifier's text view)
reads the same :class:`Analysis`, so they never disagree about what a word is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from intents import lexicon
from intents.durations import find_durations
from intents.text import Token, tokenize

_CAMEL = re.compile(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*|[A-Z][a-z0-9]+[A-Z]+")
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
MAX_TOKENS = 200
_SEEMS = lexicon.word_set("look looks looking seem seems seemed feel feels something anything")


@dataclass(frozen=True, slots=True)
class Span:
    """Tokens ``start`` (inclusive) to ``end`` (exclusive) mean ``value`` of ``kind``."""

    start: int
    end: int
    kind: str
    value: str | int


@dataclass(frozen=True, slots=True)
class Analysis:
    """A clean message, its tokens and its spans (ordered, non-overlapping)."""

    text: str
    tokens: tuple[Token, ...]
    spans: tuple[Span, ...]
    by_token: tuple[Span | None, ...]

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(t.norm for t in self.tokens)

    def first(self, kind: str) -> Span | None:
        return next((s for s in self.spans if s.kind == kind), None)

    def of_kind(self, kind: str) -> list[Span]:
        return [s for s in self.spans if s.kind == kind]

    def span_at(self, index: int) -> Span | None:
        return self.by_token[index] if 0 <= index < len(self.by_token) else None

    def word(self, index: int) -> str | None:
        return self.tokens[index].norm if 0 <= index < len(self.tokens) else None


def analyse(text: str) -> Analysis:
    """Tokenise clean ``text`` and mark its spans. Only the first :data:`MAX_TOKENS` words
    are read: a chat command is a sentence, and a pasted log must not cost a parse seconds."""
    return analyse_tokens(text, tokenize(text, MAX_TOKENS))


def analyse_tokens(text: str, tokens: tuple[Token, ...]) -> Analysis:
    """Mark the spans of already tokenised text (a follow-up's words after its opener)."""
    words = [t.norm for t in tokens]
    taken = [False] * len(words)
    spans: list[Span] = []
    for d in find_durations(words):
        spans.append(Span(d.start, d.end, "duration", d.seconds))
        taken[d.start : d.end] = [True] * (d.end - d.start)
    spans.extend(_phrase_spans(words, taken))
    for i, word in enumerate(words):
        if taken[i]:
            continue
        if word in lexicon.ANOMALY_WORDS or (word == "off" and i and words[i - 1] in _SEEMS):
            spans.append(Span(i, i + 1, "unusual", word))
        elif (number := _number(tokens[i])) is not None:
            spans.append(Span(i, i + 1, "number", number))
    ordered = tuple(sorted(spans, key=lambda s: s.start))
    by_token: list[Span | None] = [None] * len(tokens)
    for span in ordered:
        by_token[span.start : span.end] = [span] * (span.end - span.start)
    return Analysis(text=text, tokens=tokens, spans=ordered, by_token=tuple(by_token))


def is_hostlike(token: Token) -> bool:
    """A name that can only be a host or service: ``web-1``, ``db.prod``, ``10.0.0.5:9100``."""
    if _is_ip(token.raw):
        return True
    return (
        token.is_plain_name
        and _HOSTLIKE.fullmatch(token.raw) is not None
        and token.lower not in _NOT_HOSTS
        and not token.lower.replace(".", "").isdigit()
    )


def is_camel(token: Token) -> bool:
    """A CamelCase word such as ``NodeDown`` or ``HighCPU``: how alert names are written."""
    return _CAMEL.fullmatch(token.raw) is not None


def _is_ip(raw: str) -> bool:
    return re.fullmatch(r"\d+(?:\.\d+){3}(?::\d+)?", raw) is not None


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
    for size in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
        if any(taken[i : i + size]):
            continue
        phrase = tuple(words[i : i + size])
        for kind, table in _PHRASE_TABLES:
            if phrase in table:
                return Span(i, i + size, kind, table[phrase])
    return None


def _number(token: Token) -> int | None:
    raw = token.raw.lstrip("#")
    if raw.isdigit() and len(raw) <= 9:
        return int(raw)
    if token.lower in lexicon.NUMBER_WORDS and token.lower not in ("a", "an", "few", "couple"):
        return lexicon.NUMBER_WORDS[token.lower]
    return None
