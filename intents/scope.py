"""Is a message about operations (or this bot) at all?

The classifier always ranks *some* intent first; this module is the independent check that
keeps "how do I cook pasta" or "help me write a speech" from becoming ``help``. A message is
in scope when it has a slot value (metric, severity, action, anomaly word), a host-like or
CamelCase name, or an operations word (:data:`intents.lexicon.DOMAIN_WORDS`, the cue words).
A help request must be about the bot: help words with nothing else, a topic, or one of the
stock questions ("what can you do", "who are you").
"""

from __future__ import annotations

import re
from typing import Final

from intents import lexicon
from intents.analysis import Analysis, is_camel, is_hostlike
from intents.lexicon import word_set
from intents.slots import find_target, names_a_subject
from intents.text import Token

_TOPIC_WORDS: Final = frozenset(w for phrase in lexicon.HELP_TOPICS for w in phrase)
_DOMAIN: Final = (
    lexicon.DOMAIN_WORDS
    | lexicon.CUE_WORDS
    | lexicon.ANOMALY_WORDS
    | lexicon.TARGET_KIND_WORDS
    | _TOPIC_WORDS
) - word_set("show display today yesterday minutes hours days weeks seconds help")
_EVIDENCE_SPANS: Final = frozenset({"metric", "severity", "action", "unusual"})
BOT_HELP_WORDS: Final = word_set(
    """
    commands command usage manual docs documentation syntax features capabilities capable
    instructions tutorial menu intents
    """
)
HELP_WORDS: Final = BOT_HELP_WORDS | word_set(
    "help halp examples example tips guide options started lost topics text page screen"
)
_ABOUT_THE_BOT: Final = re.compile(
    r"\b(?:what|which)(?: else| sort of| kind of)?(?: \w+)? (?:can|do|does|could|should) "
    r"(?:you|this bot|the bot|this thing|i) (?:do|support|know|understand|offer|ask|type|say"
    r"|handle|help|answer)\b|\bwho are you\b|\bwhat are you\b|\bwhat do you do\b"
    r"|\bhow (?:do|can|should|would) (?:i|we) use\b|\bhow (?:does|do) (?:this|it|you|the bot)"
    r"(?: thing)? work\b|\bwhat can i\b|\bwhat you can do\b|\bgetting started\b"
    r"|\b(?:can|could) i ask\b|\bi (?:can|could) ask\b|\bwhat (?:can|could) you tell\b"
    r"|\bhow (?:do i |can i |should i |to )?(?:use|talk to) (?:you|this|the bot)\b"
    r"|\buse you\b|\bwhat you do\b|\bphrase (?:my )?questions\b"
    r"|\bwhere (?:do|should|can|shall) (?:i|we) (?:start|begin)\b|\bnew here\b"
    r"|\bi am new\b|\b(?:what|which) (?:sorts?|kinds?) of (?:things|stuff)\b|\bwhat you can\b"
)


_BOT_SMALL_TALK: Final = re.compile(
    r"^(?:(?:hey|yo|so|hi|hello) )*(?:(?:are|r) (?:you|u)|you) (?:still |even )?"
    r"(?:alive|there|awake|up|ok|okay|real|human|a bot|a robot|working|sentient|listening"
    r"|online|around|busy|down|dead|broken|sleeping|asleep)\b"
    r"|^(?:is|are) (?:the|this|my|our) bot (?:still )?\w+$"
)
_CODE_QUESTION: Final = re.compile(
    r"\b(?:in|using|with|for) (?:python|java|golang|javascript|typescript|rust|ruby|php|c\+\+"
    r"|c#|kotlin|swift|scala|css|html|bash|powershell|excel|react|django|spring)\b"
    r"|\bwrite (?:a|an|me a|me an|some) (?:\w+ )?(?:function|program|class|regex|method|loop"
    r"|unit test|script in)\b"
)


def off_topic(a: Analysis) -> bool:
    """Whether ``a`` is clearly not about the systems this bot watches, even though it may
    use operations words: everyday things ("restart my laptop", "approve my vacation
    request"), programming questions ("how to handle errors in golang") or small talk at the
    bot ("are you alive"). A message that names a host-like target is never off topic."""
    if any(_named(t) for t in a.tokens):
        return False
    text = " ".join(a.words)
    if _BOT_SMALL_TALK.search(text) is not None or _CODE_QUESTION.search(text) is not None:
        return True
    return any(w in lexicon.OFF_DOMAIN_WORDS for w in a.words)


def concrete(a: Analysis) -> bool:
    """Whether ``a`` names both a catalog metric and a system ("why is payments throwing
    500s?"): such a message is about operations however it is worded, so the classifier's
    ``unknown`` does not overrule its best other intent."""
    if a.first("metric") is None:
        return False
    return any(_named(t) for t in a.tokens) or find_target(a) is not None


def _named(token: Token) -> bool:
    """A name only a system has: ``web-1``, ``db.primary``, ``svc_orders``, ``NodeDown``."""
    return is_camel(token) or (is_hostlike(token) and any(c in token.raw for c in "-._:"))


def in_scope(a: Analysis) -> bool:
    """Whether ``a`` mentions anything this bot deals with."""
    if any(s.kind in _EVIDENCE_SPANS for s in a.spans):
        return True
    if any(is_hostlike(t) or is_camel(t) for t in a.tokens) or names_a_subject(a):
        return True
    return any(w in _DOMAIN or w in HELP_WORDS for w in a.words) or about_the_bot(a)


def about_the_bot(a: Analysis) -> bool:
    """A stock question about the bot itself ("what can you do?", "who are you")."""
    return _ABOUT_THE_BOT.search(" ".join(a.words)) is not None


def is_help_request(a: Analysis) -> bool:
    """Whether a message the classifier reads as ``help`` is really about the bot: it names a
    topic or an operations word, asks a stock question, or says "help" and nothing else."""
    words = a.words
    if about_the_bot(a) or any(w in BOT_HELP_WORDS or w in _DOMAIN for w in words):
        return True
    content = [w for w in words if w not in lexicon.FUNCTION_WORDS and w not in HELP_WORDS]
    return any(w in HELP_WORDS for w in words) and not content
