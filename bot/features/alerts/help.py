"""What help says about the alert commands, known without building their handlers (nor
opening the alert store or loading the policy): :func:`bot.core.registry.built_on_first_use`."""

from __future__ import annotations

from bot.core.registry import Help
from intents.model import IntentName

_TOPIC = "alerts"

ALERT_HELP = tuple(
    Help(intent, _TOPIC, summary, examples)
    for intent, summary, examples in (
        (IntentName.ALERT_SILENCE,
         "Silence an alert or a target's alerts in Alertmanager (at most 7 days).",
         ("silence HighLatency for 2h", "silence alerts on web-2 for 30m")),
        (IntentName.SILENCES, "The active silences, with their ids.",
         ("silences", "any silences on web-1?")),
        (IntentName.UNSILENCE,
         "End a silence early (a unique start of its id will do).", ("unsilence 3f2a9c1e",)),
        (IntentName.SUBSCRIBE,
         "Post alerts in this channel: all, from a severity up, or for one target.",
         ("subscribe critical", "subscribe warning for checkout-api")),
        (IntentName.UNSUBSCRIBE,
         "Stop alert posts here (one subscription, or all of them).",
         ("unsubscribe", "unsubscribe warning for checkout-api")),
        (IntentName.SUBSCRIPTIONS, "What this channel is subscribed to.", ("subscriptions",)),
        (IntentName.ACK, "Acknowledge an alert group (its posts show who did).",
         ("ack 3f2a9c1e",)),
    )
)  # fmt: skip
"""Help for ``alert_silence``, ``silences``, ``unsilence``, ``subscribe``, ``unsubscribe``,
``subscriptions`` and ``ack``."""
