"""Spotting injection attempts in the words of a request, so they get a clear refusal.

The parser never lets shell or option syntax into a target; it reads "restart payments;
rm -rf /" as not understood. That is safe, but unhelpful: the person should learn that such
input is refused on purpose. :func:`find_unsafe_request` recognises a request for a policy
action whose words carry shell metacharacters, command substitution, line breaks or option
syntax (``--kubeconfig=...``); the handlers then refuse it with the reason.

:func:`words_beyond` finds what a request says after its one target: the parser reads
"restart web-1 and web-2" as a restart of web-1 alone, so anything there but a replica count
and a few polite words is refused rather than half of it run.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_UNSAFE = re.compile(r"[;&|$`<>\\\r\n\x00]|(?:^|\s)-{1,2}[A-Za-z]")
_VERB = re.compile(r"\s*(?P<verb>[A-Za-z][A-Za-z0-9_-]*)(?P<rest>.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class UnsafeRequest:
    """An action request (``action``) whose remaining words (``words``) are unsafe."""

    action: str
    words: str


def find_unsafe_request(text: str, actions: Collection[str]) -> UnsafeRequest | None:
    """``text`` as an unsafe request for one of ``actions``, or None.

    Only text that starts with an action's name counts, so ordinary questions that happen to
    contain a ``$`` or ``|`` (a PromQL expression) are left alone."""
    match = _VERB.match(text)
    if match is None:
        return None
    verb = match.group("verb").lower()
    if verb not in actions:
        return None
    rest = match.group("rest")
    return UnsafeRequest(verb, rest.strip()) if _UNSAFE.search(rest) else None


def words_after(text: str, action: str) -> str:
    """What follows the first mention of ``action`` in ``text`` (all of it if absent)."""
    found = re.search(rf"(?i)(?<![A-Za-z0-9_-]){re.escape(action)}(?![A-Za-z0-9_-])", text)
    return text[found.end() :] if found else text


def is_unsafe(words: str) -> bool:
    return _UNSAFE.search(words) is not None


_COUNT = re.compile(r"\s*(?:to\s+)?\d{1,5}(?![A-Za-z0-9._:-])", re.IGNORECASE)
#: What may follow a request's target (and its ``to N``) without changing its meaning.
_FILLER = re.compile(
    r"(?<![A-Za-z0-9_-])(?:please|pls|plz|now|asap|replicas?|pods?|deployment|service"
    r"|thanks|thx|thank\s+you|for\s+me)(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
_END_PUNCTUATION = re.compile(r"[\s.,!?]*")


def words_beyond(text: str, action: str, target: str) -> str | None:
    """What ``text`` says after ``target`` (and a replica count) that is not filler, or None.

    "restart web-1 please" and "scale search to 3 replicas" say nothing more; "restart web-1
    and web-2", "restart web-1, web-2" and "restart web-1 in prod" do, and the request must
    not run as if they did not. None too when ``target`` is not in ``text`` (it came from
    the conversation), as then there is nothing after it to judge."""
    words = words_after(text, action)
    found = re.search(
        rf"(?i)(?<![A-Za-z0-9._:-]){re.escape(target)}(?![A-Za-z0-9_:-]|\.[A-Za-z0-9])", words
    )
    if found is None:
        return None
    rest = words[found.end() :]
    count = _COUNT.match(rest)
    if count is not None:
        rest = rest[count.end() :]
    if _END_PUNCTUATION.fullmatch(_FILLER.sub(" ", rest)):
        return None
    return rest.strip()


_ACTION_WORDS = re.compile(
    r"\s*(?P<action>[A-Za-z][A-Za-z0-9_-]*)\s+(?P<target>[A-Za-z0-9][A-Za-z0-9._:-]*?)"
    r"(?:\s+(?:to\s+)?(?P<replicas>\d{1,5}))?\s*[.!]?\s*",
)


@dataclass(frozen=True, slots=True)
class ActionWords:
    """A terse request for a policy action: ``flush-cache payments`` or ``resize web to 3``."""

    action: str
    target: str
    replicas: int | None


def read_action_words(text: str, actions: Collection[str]) -> ActionWords | None:
    """``text`` as ``<action> <target> [[to] <n>]`` for one of ``actions``, else None.

    Custom runbook names come from the policy, so the shared parser cannot know them; this
    lets ``flush-cache payments`` work whatever the parser made of it."""
    match = _ACTION_WORDS.fullmatch(text)
    if match is None or match.group("action").lower() not in actions:
        return None
    replicas = match.group("replicas")
    return ActionWords(
        match.group("action").lower(),
        match.group("target"),
        int(replicas) if replicas is not None else None,
    )
