"""The verbs of state-changing commands, in every form people write them.

A command is given in the base form ("restart payments"); the other forms say something
*about* an action: the past ("I restarted payments already", "who restarted it?"), the
gerund ("stop restarting it", "would restarting help?") and the noun ("the restart went
fine", "payments needs a restart"). :func:`verb_at` tells which family and form a word is,
so the command grammar only ever acts on a base form, spelled exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from intents.lexicon import word_set
from intents.model import IntentName

BASE: Final = "base"
PAST: Final = "past"
GERUND: Final = "gerund"
NOUN: Final = "noun"


@dataclass(frozen=True, slots=True)
class Verb:
    """Words ``start``..``end`` are a ``form`` of a verb of ``intent`` (``action`` for a
    remediation: restart, scale, rollback; ``None`` for a custom-action verb like "run")."""

    start: int
    end: int
    intent: IntentName
    action: str | None
    form: str


_R = IntentName.REMEDIATION
_FAMILIES: Final[tuple[tuple[IntentName, str | None, str], ...]] = (
    (_R, "restart", "restart reboot bounce recycle cycle redeploy relaunch reload respawn"),
    (_R, "restart", "recreate power-cycle kick"),
    (_R, "scale", "scale resize"),
    (_R, "rollback", "rollback revert downgrade"),
    (_R, None, "run execute trigger invoke perform"),
    (IntentName.ALERT_SILENCE, None, "silence mute snooze shush suppress hush quiet quieten"),
    (IntentName.UNSILENCE, None, "unsilence unmute unsnooze"),
    (IntentName.ACK, None, "ack acknowledge"),
    (IntentName.SUBSCRIBE, None, "subscribe sub"),
    (IntentName.UNSUBSCRIBE, None, "unsubscribe unsub"),
    (IntentName.APPROVE, None, "approve"),
    (IntentName.DENY, None, "deny reject decline veto"),
)
_IRREGULAR: Final = {
    "run": ("ran", "running"),
    "ack": ("acked", "acking"),
    "sub": ("subbed", "subbing"),
    "unsub": ("unsubbed", "unsubbing"),
    "rollback": ("rolled back", "rolling back"),
    "shush": ("shushed", "shushing"),
}
_NOUNS: Final = {
    "restart": "restart restarts reboot reboots bounce redeploy redeployment relaunch reload",
    "scale": "scale-up scale-down scaling resize",
    "rollback": "rollback rollbacks revert reversion downgrade roll-back",
    "silence": "silence silences mute snooze suppression",
    "ack": "ack acknowledgement acknowledgment",
    "subscribe": "subscription subscriptions",
    "approve": "approval approvals",
    "deny": "denial rejection",
}
_PHRASES: Final[Mapping[tuple[str, ...], tuple[str, str]]] = MappingProxyType(
    {
        ("roll", "back"): ("rollback", BASE),
        ("rolls", "back"): ("rollback", PAST),
        ("rolled", "back"): ("rollback", PAST),
        ("rolling", "back"): ("rollback", GERUND),
        ("rolling", "restart"): ("restart", NOUN),
        ("power", "cycle"): ("restart", BASE),
        ("kick", "off"): ("run", BASE),
        ("start", "up"): ("restart", BASE),
        ("scale", "up"): ("scale", BASE),
        ("scale", "down"): ("scale", BASE),
        ("scale", "out"): ("scale", BASE),
        ("scale", "in"): ("scale", BASE),
    }
)


def _past(base: str) -> str:
    if base.endswith("e"):
        return base + "d"
    return base + "ed"


def _gerund(base: str) -> str:
    if base.endswith("e") and not base.endswith("ee"):
        return base[:-1] + "ing"
    return base + "ing"


def _forms() -> Mapping[str, tuple[IntentName, str | None, str, str]]:
    """word -> (intent, action, form, base verb)."""
    out: dict[str, tuple[IntentName, str | None, str, str]] = {}
    for intent, action, bases in _FAMILIES:
        for base in bases.split():
            past, gerund = _IRREGULAR.get(base, (_past(base), _gerund(base)))
            for word, form in ((gerund, GERUND), (past, PAST), (base, BASE)):
                if " " not in word:
                    out[word] = (intent, action, form, base)
    for base, nouns in _NOUNS.items():
        intent, action = _family_of(base)
        for noun in nouns.split():
            out.setdefault(noun, (intent, action, NOUN, base))
    return MappingProxyType(out)


def _family_of(base: str) -> tuple[IntentName, str | None]:
    for intent, action, bases in _FAMILIES:
        if base in bases.split() or base == action:
            return intent, action
    raise KeyError(base)


FORMS: Final = _forms()
"""Every form of every command verb: word -> (intent, action, form, base)."""
SILENCE_NOUNS: Final = frozenset(("silence", "silences"))


_PHRASE_STARTS: Final = frozenset(first for first, *_ in _PHRASES)


def verb_at(words: Sequence[str], i: int) -> Verb | None:
    """The command verb at word ``i`` (lower-case words), in whatever form, if any."""
    if i >= len(words):
        return None
    if words[i] in _PHRASE_STARTS and 0 <= i < len(words) - 1:
        phrase = _PHRASES.get((words[i], words[i + 1]))
        if phrase is not None:
            intent, action = _family_of(phrase[0])
            return Verb(i, i + 2, intent, action, phrase[1])
    if words[i] == "roll" and "back" in words[i + 2 : i + 4]:
        return Verb(i, i + 1, IntentName.REMEDIATION, "rollback", BASE)
    if words[i] not in FORMS:
        return None
    intent, action, form, _ = FORMS[words[i]]
    return Verb(i, i + 1, intent, action, form)


def base_verb(word: str) -> str | None:
    """The base verb of ``word`` ("restarted" -> "restart"), if it is a command verb."""
    found = FORMS.get(word)
    return found[3] if found else None


WEAK: Final = word_set(
    """
    run ran running execute executed executing trigger triggered triggering invoke invoked
    perform performed performing quiet cycle cycled cycling reload reloaded reloading sub
    subbed scaling
    """
)
"""Forms too common in ordinary questions ("is payments running?", "is it quiet?") to count
as talk about an action on their own."""


def first_verb(words: Sequence[str]) -> Verb | None:
    """The first command verb in ``words`` that clearly talks about an action, any form."""
    for i in range(len(words)):
        found = verb_at(words, i)
        if found is not None and (found.end - found.start > 1 or words[i] not in WEAK):
            return found
    return None
