"""The text a free-text classifier learns from and is asked about.

Slot values are replaced by placeholders (a target becomes ``xtarget``, "the last 45
minutes" ``xduration``, "response time" ``xmetric``) and synonyms by one word ("reboot" ->
``restart``, "weird" -> ``xunusual``), so a model trained on a few hundred sentences reads
"bounce payments" like "restart web-1" and never learns the demo inventory's names. Training
(:mod:`ml.intent_training`) and prediction both go through :func:`classifier_view`.
"""

from __future__ import annotations

from intents.analysis import Analysis, analyse, is_camel, is_hostlike
from intents.lexicon import word_set
from intents.slots import find_target
from intents.text import clean

_PLACEHOLDERS = {
    "metric": "xmetric",
    "severity": "xseverity",
    "duration": "xduration",
    "number": "xnumber",
    "unusual": "xunusual",
    "window": "xduration",
    "until": "xduration",
    "badtime": "xduration",
    "quantile": "xmetric",
}

# Words that colour a sentence without changing what it asks ("is it up though?", "disk
# too"); left out so a model trained without them is not thrown by them.
_DISCOURSE = word_set(
    "though tho too also anyway anyways actually basically honestly btw lol pls please"
)


def classifier_view(text: str) -> str:
    """The placeholder form of a raw message ("cpu of web-1 over 2h?" -> "xmetric of
    xtarget xduration")."""
    return view_of(analyse(clean(text)))


def view_of(a: Analysis) -> str:
    """The placeholder form of an already analysed message."""
    out: list[str] = []
    target = find_target(a)
    i = 0
    while i < len(a.tokens):
        span = a.span_at(i)
        if span is not None:
            out.append(str(span.value) if span.kind == "action" else _PLACEHOLDERS[span.kind])
            i = span.end
            continue
        token = a.tokens[i]
        if target is not None and target[0] == i:
            out.append("xtarget")
        elif is_camel(token):
            out.append("xalertname")
        elif is_hostlike(token):
            out.append("xtarget")
        elif token.norm in _DISCOURSE:
            pass
        elif token.is_plain_name or token.norm == "'s":
            out.append(token.norm)
        i += 1
    return " ".join(out)
