"""``share``: post the asker's last private answer (help, an error, a refusal, a "did you
mean") to the channel for everyone. Only the bare request ("share", "share that with the
channel", "post it to the channel"), so a sentence that merely uses the word ("share of 5xx
on checkout-api") is read for what it asks.
"""

from __future__ import annotations

import re
from typing import Final

from intents.analysis import Analysis

_WHAT: Final = r"(?:it|that|this|the answer|your answer|the last answer|my answer)"
_WHERE: Final = r"(?:with|to|in) (?:the |this )?(?:channel|team|everyone|room|group|chat)"
_SHARE: Final = re.compile(
    r"^(?:(?:ok|okay|please|pls) )?"
    rf"(?:share(?: {_WHAT})?(?: {_WHERE})?|post {_WHAT} {_WHERE})"
    r"(?: please)?$"
)


def is_share(a: Analysis) -> bool:
    """Whether ``a`` asks to share the last private answer."""
    return _SHARE.search(" ".join(a.words)) is not None
