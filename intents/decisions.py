"""Decisions on a pending request: "approve 12", "yes 42", "ship it #17", "nope 9", "I approve
#5", "request 61 approved", "Yes, I'm happy for request 77 to proceed", "deny the rollback".

A decision is a short message made only of decision words of one polarity (approve or deny),
a request number and a few filler words. A negation ("don't approve 12", "77 is not
approved") or a question ("approve 12?") is never a decision, and a message with both
polarities ("yes, deny 4") is not one either: the bot does not guess which was meant. Without
a number only an explicit verb counts ("approve the scale request"); the handler then asks
which request. A bare "yes" or "no" is a :data:`~intents.model.IntentName.CONFIRM`.
"""

from __future__ import annotations

import re
from typing import Final

from intents import lexicon
from intents.analysis import Analysis
from intents.lexicon import word_set
from intents.model import IntentName
from intents.verbs import FORMS

_APPROVE: Final = word_set(
    """
    approve approved approving accept accepted accepting grant granted granting lgtm yes yep
    yeah yup ok okay sure proceed go ahead ship fine happy affirmative confirmed confirm
    """
)
_DENY: Final = word_set(
    """
    deny denied denying reject rejected rejecting decline declined declining refuse refused
    refusing veto vetoed block no nope nah cancel cancelled canceled negative
    """
)
_VERBS: Final = word_set(
    """
    approve approved approving accept accepted grant granted lgtm proceed deny denied denying
    reject rejected rejecting decline declined declining refuse refused veto block
    """
)
_FILLER: Final = word_set(
    """
    please pls thanks thank you request req requests number no. id # the this that it with for
    to i we am are is 'm by me from my side on change ticket action pending last latest
    one it's just
    """
)
_SPOILERS: Final = word_set("not never dont without if should would could maybe wait hold")
_MAX_WORDS: Final = 12
CONFIRMATIONS: Final = {
    **dict.fromkeys(lexicon.AFFIRMATIONS, "yes"),
    **dict.fromkeys(lexicon.NEGATIONS, "no"),
}
"""Bare answers to a "did you mean ...?" question."""


def read_decision(a: Analysis) -> tuple[IntentName, str | None] | None:
    """``approve``/``deny`` and the request number (``None``: not given) of a decision, read
    from the words as spelled: "apporve 12" is not one (the command grammar asks back)."""
    if not 0 < len(a.tokens) <= _MAX_WORDS or any(t.stop == "?" for t in a.tokens):
        return None
    ids = [i for i, t in enumerate(a.tokens) if t.raw.lstrip("#").isdigit()]
    if len(ids) > 1:
        return None
    words = [_word(a, i) for i in range(len(a.tokens)) if i not in ids]
    if set(words) & _SPOILERS or not words:
        return None
    if _told(a, words):
        return None
    if not all(w in _APPROVE or w in _DENY or w in _FILLER or _action_noun(w) for w in words):
        return None
    polarity = {IntentName.APPROVE for w in words if w in _APPROVE}
    polarity |= {IntentName.DENY for w in words if w in _DENY}
    if len(polarity) != 1:
        return None
    if not ids and not set(words) & _VERBS:
        return None
    if _reported(a, ids):
        return None
    number = a.tokens[ids[0]].raw.lstrip("#") if ids else None
    return polarity.pop(), number


_STRONG: Final = _VERBS | word_set("ship lgtm go ahead")
"""Decision words that say the decision themselves; "yes", "ok", "fine", "no" only answer."""
_SAYS_WHICH: Final = word_set("is it that the one this 's it's that's")
_NUMBER_ABBREVIATED: Final = word_set("request req ticket change number item issue pr case")
_DONE_MARKS: Final = frozenset("✅✔☑")


def _word(a: Analysis, i: int) -> str:
    """Word ``i`` as :func:`read_decision` weighs it: "no." or "request no 12" is a number's
    abbreviation, not a denial."""
    word = a.tokens[i].lower
    if word == "no" and (a.tokens[i].stop == "." or a.word(i - 1) in _NUMBER_ABBREVIATED):
        return "no."
    return word


def _told(a: Analysis, words: list[str]) -> bool:
    """Whether the message talks about a number instead of deciding on it: only answer words
    and words that say which one ("12 is fine", "no, it's 14", "yes that's 12"), a decision
    by someone ("blocked by 12", "approved by bob"), or one marked done or struck through
    ("approve 42 ✅", "~~approve 42~~")."""
    if not set(words) & _STRONG and set(words) & _SAYS_WHICH:
        return True
    if any(_by_someone(words, i) for i in range(len(words))):
        return True
    return struck_or_done(a)


def _by_someone(words: list[str], i: int) -> bool:
    """ "approved by bob", "blocked by 12": a decision word and who made it; "fine by me,
    12" is the speaker's own."""
    return (
        words[i] in _APPROVE | _DENY
        and words[i + 1 : i + 2] == ["by"]
        and (words[i + 2 : i + 3] != ["me"])
    )


def struck_or_done(a: Analysis) -> bool:
    """ "~~restart web-1~~", "approve 42 ✅", "restart web-1: ok", "restart web-1 - done": a
    command crossed out, ticked off or followed by how it went, in a pasted list or a status
    line: a record, not an order."""
    if _STRUCK.search(a.text) is not None or any(c in _DONE_MARKS for c in a.text):
        return True
    for i, token in enumerate(a.tokens[:-1]):
        rest = [w for w in a.words[i + 1 :] if w.strip(DASH_CHARS)]
        if (token.stop in (":", "-") or token.norm in DASHES) and rest and is_status(rest):
            return True
    return False


def is_status(words: list[str]) -> bool:
    """ "done", "in progress", "approved by sam", "waiting for approval", "request 4521
    opened": how a command went or stands, with only the words that say so."""
    return bool(set(words) & _STATUS) and all(
        w in _STATUS or w in _STATUS_FILLER or w.lstrip("#").isdigit() or words[j - 1 : j] in _BY
        for j, w in enumerate(words)
    )


DASHES: Final = frozenset({"-", "—", "–", "--", "->", "=>", "→"})
"""Tokens that stand between a command and what is said about it."""
DASH_CHARS: Final = "".join(sorted(set("".join(DASHES))))
"""Their characters: a word made only of them is one of them."""
_STATUS: Final = word_set(
    """
    ok okay done fixed completed complete resolved finished queued pending waiting awaiting
    progress running failed failing reverted succeeded success successful opened closed set
    applied approved denied rejected executed ran started scheduled skipped cancelled
    canceled timed timeout rolled restarted
    """
)
_STATUS_FILLER: Final = word_set(
    """
    already still now is was been has have in on at by for from with approval review the
    request req it this that just out back
    """
)
_BY: Final = (["by"], ["from"], ["with"])
_STRUCK: Final = re.compile(r"~[^~\s][^~]*~")


def _reported(a: Analysis, ids: list[int]) -> bool:
    """Whether the decision is told rather than made: someone's past decision ("I approved
    12", "I just denied 4") or the decision quoted with its number (""approve 12""). A
    ruling is a decision: "approved #8", "request 61 approved", "I approve #5", "i'm
    rejecting 27"."""
    number = a.tokens[ids[0]].raw.lstrip("#") if ids else None
    if number is not None and any(
        number in quoted.split() and set(quoted.split()) & (_APPROVE | _DENY)
        for quoted in _quotes(a.text)
    ):
        return True
    words = a.words
    for i, word in enumerate(words):
        if word not in _PAST:
            continue
        j = i - 1
        while j >= 0 and words[j] in _BETWEEN:
            j -= 1
        if j >= 0 and words[j] in _TELLERS:
            return True
    return False


def _quotes(text: str) -> list[str]:
    """The lower-case words of each quoted part of ``text``, "#" dropped."""
    return [
        (m.group(1) or m.group(2)).lower().replace("#", "")
        for m in re.finditer(r"\"([^\"]+)\"|'([^']+)'", text)
    ]


_BETWEEN: Final = word_set("just already also have has had 've actually")


_PAST: Final = word_set(
    """
    approved accepted granted confirmed denied rejected declined refused vetoed
    cancelled canceled
    """
)


_TELLERS: Final = word_set("i we they he she you someone somebody everyone already")
"""Who a past decision is told of ("I approved 12"); "approved 12" alone is a ruling."""


def read_confirmation(a: Analysis) -> str | None:
    """ "yes" or "no" when the whole message is a bare answer ("yep", "no thanks")."""
    phrase = _answer_phrase(a)
    return None if phrase is None else CONFIRMATIONS.get(phrase)


def is_firm_yes(a: Analysis) -> bool:
    """Whether a bare yes is firm enough to run a change ("yes", "do it"; not "ok thanks")."""
    return _answer_phrase(a) in lexicon.FIRM_AFFIRMATIONS


def _answer_phrase(a: Analysis) -> str | None:
    if not a.tokens or len(a.tokens) > 4 or any(t.stop == "?" for t in a.tokens):
        return None  # "yes?" asks something back; it answers nothing
    return " ".join(w for w in a.words if w not in ("please", "pls", "thanks", "'s", "thank"))


def _action_noun(word: str) -> bool:
    """ "approve the scale request", "reject the rollback": the request's kind."""
    found = FORMS.get(word)
    return found is not None and found[0] is IntentName.REMEDIATION and found[1] is not None
