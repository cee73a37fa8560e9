"""The shared intent parser: text (plus the conversation so far) in, :class:`Intent` out."""

from intents.model import (
    INTENT_NAMES,
    INTENT_SLOTS,
    METRICS,
    SEVERITIES,
    Intent,
    SlotValue,
    Turn,
)

__all__ = ["INTENT_NAMES", "INTENT_SLOTS", "METRICS", "SEVERITIES", "Intent", "SlotValue", "Turn"]
