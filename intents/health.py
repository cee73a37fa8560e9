"""Questions about how a target is doing overall: "how's payments doing?", "what's wrong
with checkout-api?", "is search ok?", "health of web-1". Answered with a summary (up or
down, its firing alerts, anomalies, key metrics now), so they are told apart from "is web-1
up?" (:data:`~intents.model.IntentName.STATUS`) and from a question about one metric ("how
is payments latency?", a metric query).
"""

from __future__ import annotations

import re
from typing import Final

from intents.analysis import Analysis
from intents.lexicon import word_set
from intents.slots import find_target

_HEALTH: Final = re.compile(
    r"^(?:(?:hey|so|ok|okay|and|quick question) )*"
    r"(?:how (?:is|are|was|'s) (?!it going\b)(?:the )?\S+(?: (?:doing|looking|holding up|"
    r"behaving|getting on|feeling))?$"
    r"|how (?:is|are) (?:things|everything|stuff)(?: (?:with|on|at|in) .+)?$"
    r"|what (?:is|'s) (?:wrong|going on|up|happening|the (?:matter|problem|issue|deal))"
    r"(?: with| on| at)?\b"
    r"|(?:is )?(?:there )?(?:anything|something) wrong with\b"
    r"|(?:give me )?(?:a )?health (?:summary|check|report|of|for)\b"
    r"|(?:is|are) (?:the )?\S+ (?:ok|okay|fine|alright|all right|good|healthy|unhealthy|sick"
    r"|in trouble|in good shape|struggling)$"
    r"|\S+ (?:ok|okay|healthy|alright)$"
    r"|check (?:on|in on) \S+$|how healthy is\b)"
)


_FLEET: Final = word_set(
    "everything things stuff we prod production fleet infra infrastructure cluster systems"
    " services servers hosts"
)


def is_health(a: Analysis) -> bool:
    """Whether ``a`` asks how something is doing overall: it names no metric, and it is
    about a target or the fleet ("how was the game" is not)."""
    if a.first("metric") is not None or a.first("unusual") is not None:
        return False
    if _HEALTH.search(" ".join(a.words)) is None:
        return False
    return find_target(a) is not None or bool(set(a.words) & _FLEET)
