"""From a platform's message text to clean text and tokens.

Three steps, each pure: :func:`clean` removes what the platform added (mentions of the bot,
Slack link markup, HTML entities, typographic quotes and dashes, a ``/`` or ``!`` command
prefix); :func:`tokenize` splits the clean text into :class:`Token` s that keep the user's
spelling (slot values are "as the user wrote them") next to a lower-case, spelling-corrected
form (what the grammar and lexicon match on); :func:`looks_unsafe` spots shell and markup
syntax so side-effecting intents can refuse it.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass, replace

from intents.spelling import correct

_MENTIONS = (
    re.compile(r"<at>[^<]*</at>", re.IGNORECASE),  # Teams
    re.compile(r"<@[!&]?[A-Za-z0-9]+(?:\|[^>]*)?>"),  # Slack <@U1|name>, Discord <@!1> <@&1>
)
_CHANNEL = re.compile(r"<#[A-Za-z0-9]+(?:\|([^>]*))?>")
"""A Slack or Discord channel reference: kept as ``#name`` (``#channel`` without a name), so
"subscribe <#C1|ops> to critical" still names another channel than this one."""
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]+))?>")
_LEADING_NAME = re.compile(
    r"^\s*(?:hey\s+|hi\s+|yo\s+)?@?(?:smartcloudops(?:[-_ ]?bot)?|bot)\b\s*[:,]?\s*", re.IGNORECASE
)
_POLITE_END = re.compile(
    r"[\s,]+(?:when(?:ever)? you (?:get|have) a (?:sec|second|moment|minute|min|chance)"
    r"|when(?:ever)? you can|at your (?:earliest )?convenience)(?=\s*[.!?]*$)",
    re.IGNORECASE,
)
"""A polite ending that sets no time ("restart api-2 when you get a sec"): said of any ask."""
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_COMMAND_PREFIX = re.compile(r"^\s*[/!](?=[A-Za-z])")
_TYPOGRAPHY = str.maketrans("‘’‚´“”„", "''''\"\"\"", "\u200b\u200c\u200d\ufeff")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_TYPOGRAPHY.update(str.maketrans(_DASHES, "-" * len(_DASHES)))
"""Autocorrect writes ``web-1`` as ``web‐1`` (U+2010) and ``--`` as an em dash: every Unicode
dash reads as ``-``, so a name typed on a phone is still a plain name."""

_UNSAFE = re.compile(r"[;|&$`<>\\\n\r]|(?:^|\s)--?[A-Za-z]|(?:^|\s)\.{1,2}/|\s/|^/(?![A-Za-z])")

PLAIN_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9_])?")
_LEAD_PUNCT = "\"'([{#*_~"
_TRAIL_PUNCT = "\"')]}?!.,;:*_~%"
_CONTRACTIONS = {
    "what's": ("what", "is"),
    "whats": ("what", "is"),
    "how's": ("how", "is"),
    "hows": ("how", "is"),
    "where's": ("where", "is"),
    "who's": ("who", "is"),
    "that's": ("that", "is"),
    "there's": ("there", "is"),
    "it's": ("it", "is"),
    "here's": ("here", "is"),
    "let's": ("let", "us"),
    "what're": ("what", "are"),
    "i'm": ("i", "am"),
    "can't": ("can", "not"),
    "won't": ("will", "not"),
    "don't": ("do", "not"),
    "doesn't": ("does", "not"),
    "isn't": ("is", "not"),
    "aren't": ("are", "not"),
    "didn't": ("did", "not"),
    "wasn't": ("was", "not"),
    "i'd": ("i", "would"),
    "i'll": ("i", "will"),
    "you're": ("you", "are"),
    "we're": ("we", "are"),
    "they're": ("they", "are"),
    "i've": ("i", "have"),
    "im": ("i", "am"),
    "cant": ("can", "not"),
    "wont": ("will", "not"),
    "doesnt": ("does", "not"),
    "isnt": ("is", "not"),
    "arent": ("are", "not"),
    "didnt": ("did", "not"),
    "wasnt": ("was", "not"),
}
# Chat shorthand, read as the words it stands for ("what can u do", "cpu on web-1 rn").
_SHORTHAND = {
    "u": ("you",),
    "ya": ("you",),
    "ur": ("your",),
    "r": ("are",),
    "wat": ("what",),
    "wut": ("what",),
    "abt": ("about",),
    "w/": ("with",),
    "rn": ("right", "now"),
    "atm": ("at", "the", "moment"),
    "asap": ("now",),
    "thx": ("thanks",),
    "ty": ("thanks",),
    "gimme": ("give", "me"),
    "lemme": ("let", "me"),
    "plz": ("please",),
    "prev": ("previous",),
}


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a message.

    ``raw`` is the word as written with surrounding punctuation removed; ``lower`` its
    lower-case form; ``norm`` the lower-case form after spelling correction (equal to
    ``lower`` unless the word was a near miss of the vocabulary). ``quoted`` marks a word the
    user put in quotes, ``hashed`` one written with a leading ``#``.
    """

    raw: str
    lower: str
    norm: str
    quoted: bool = False
    hashed: bool = False
    stop: str = ""
    """Clause punctuation right after the word (``,`` ``?`` ``!`` ``.`` ``;`` ``:`` or ``-``
    for a dash between spaces): where a command ends and a reason or a second thought
    begins ("roll back search, the build is broken")."""

    @property
    def is_plain_name(self) -> bool:
        """Whether ``raw`` may be a target or alert name: only ``[A-Za-z0-9._:-]``."""
        return _plain_name(self.raw)


@functools.lru_cache(maxsize=8192)
def _plain_name(raw: str) -> bool:
    """Asked of the same words dozens of times a parse."""
    return PLAIN_NAME.fullmatch(raw) is not None


def clean(text: str) -> str:
    """Strip platform markup and bot mentions; keep the user's words and case."""
    if not text.isascii():  # NFKC and the typography table change nothing in ASCII
        text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    if "<" in text:  # every mention and link starts with one
        for pattern in _MENTIONS:
            text = pattern.sub(" ", text)
        text = _CHANNEL.sub(lambda m: f" #{m.group(1) or 'channel'} ", text)
        text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = html.unescape(text)
    text = _LEADING_NAME.sub("", text, count=1)
    text = _COMMAND_PREFIX.sub("", text, count=1)
    text = _POLITE_END.sub("", text, count=1)
    return re.sub(r"[ \t]+", " ", text).strip(" \t")


def looks_unsafe(text: str) -> bool:
    """Whether clean text carries shell or markup syntax (``;``, ``$(``, backticks, pipes,
    redirections, flags like ``--kubeconfig=x``, paths, newlines, leftover ``<!channel>``)."""
    return _UNSAFE.search(text.strip()) is not None


def tokenize(text: str, limit: int | None = None) -> tuple[Token, ...]:
    """Split clean text into tokens (at most ``limit``); expands contractions and splits
    possessives (``'s``)."""
    tokens: list[Token] = []
    for match in _CHUNK.finditer(text):
        chunk, separator = match.groups()
        if chunk in ("-", "--") and tokens and not tokens[-1].stop:
            tokens[-1] = replace(tokens[-1], stop="-")
        elif chunk.startswith("(") and tokens and not tokens[-1].stop:
            tokens[-1] = replace(tokens[-1], stop=",")  # "restart x (OOM)": an aside
        tokens.extend(_chunk_with_stop(chunk, separator))
        if limit is not None and len(tokens) >= limit:
            return tuple(tokens[:limit])
    return tuple(tokens)


@functools.lru_cache(maxsize=8192)
def _chunk_with_stop(chunk: str, separator: str) -> tuple[Token, ...]:
    """The tokens of one chunk, the last one carrying the clause punctuation that ends it
    (pure, and the same words come back message after message)."""
    tokens = _chunk_tokens(chunk)
    stop = _stop(chunk, separator)
    if tokens and stop:
        tokens[-1] = replace(tokens[-1], stop=stop)
    return tuple(tokens)


_CHUNK = re.compile(r"([^\s,!?]+)([\s,!?]*)")
_CLAUSE_END = ",?!.;:"


def _stop(chunk: str, separator: str) -> str:
    """The clause punctuation ending ``chunk``: in the separator after it, or its own last
    character ("web-1." "now;"); a lone dash between spaces is read in the next chunk."""
    marks = [c for c in separator if c in _CLAUSE_END]
    if marks:
        return "?" if "?" in marks else marks[0]
    tail = chunk.rstrip("\"')]}*_~%")[-1:]
    return tail if tail in _CLAUSE_END else ""


def _chunk_tokens(chunk: str) -> list[Token]:
    word = chunk.strip()
    hashed = word.startswith("#")
    quoted = len(word) > 1 and word[0] in "\"'" and word.rstrip("?!.,;:)]}")[-1:] in "\"'"
    word = word.lstrip(_LEAD_PUNCT)
    percent = _PERCENT.match(word)
    if percent is not None and percent.end() >= len(word.rstrip(_TRAIL_PUNCT.replace("%", ""))):
        return [_token(percent.group(1), percent.group(1)), _token("percent", "percent")]
    word = word.rstrip(_TRAIL_PUNCT)
    if not word:
        return []
    lower = word.lower()
    if lower in _CONTRACTIONS:
        return [_token(part, part) for part in _CONTRACTIONS[lower]]
    if lower in _SHORTHAND and not quoted:
        return [_token(part, part) for part in _SHORTHAND[lower]]
    if lower.endswith(("'s", "'")) and len(lower) > 2:
        base = word[:-2] if lower.endswith("'s") else word[:-1]
        return [_token(base.rstrip("'"), base.rstrip("'").lower()), _token("'s", "'s")]
    if lower.endswith("n't"):
        return [_token(word[:-3], lower[:-3]), _token("not", "not")]
    return [_token(word, lower, quoted=quoted, hashed=hashed)]


def _token(raw: str, lower: str, *, quoted: bool = False, hashed: bool = False) -> Token:
    return Token(raw=raw, lower=lower, norm=correct(lower), quoted=quoted, hashed=hashed)
