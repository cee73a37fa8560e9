"""Questions about who the asker is to the bot: "whoami", "who am I?", "what's my user id?",
"which id does the policy need for me?". Answered with the immutable platform id the
remediation policy's roles are keyed on (``slack:U0123ABCD``), so a new team can fill in its
policy without hunting through each platform's settings.
"""

from __future__ import annotations

import re
from typing import Final

from intents.analysis import Analysis

_ID: Final = r"(?:(?:slack|teams|discord|console|platform|chat|user|use|member|account|policy) )*id"
_WHOAMI: Final = re.compile(
    r"^(?:(?:hey|so|ok|okay|and|quick question|bot) )*"
    r"(?:whoami|who am i|who do you think i am|who am i to you"
    rf"|(?:what|which) (?:is|are|'s) my {_ID}s?"
    rf"|(?:what|which) {_ID} (?:do|does|should) (?:i|the policy|my role)\b.*"
    rf"|(?:show|tell|give|send) (?:me )?my {_ID}"
    rf"|my {_ID}"
    r")(?: (?:please|here|again|for the policy|in the policy))?$"
)


def is_whoami(a: Analysis) -> bool:
    """Whether ``a`` asks for the asker's own id."""
    return _WHOAMI.search(" ".join(a.words)) is not None
