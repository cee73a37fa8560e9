"""What help says about ``whoami`` and guarded remediation, known without building their
handlers (nor loading the policy): :func:`bot.core.registry.built_on_first_use`."""

from __future__ import annotations

from bot.core.registry import Help
from intents.model import IntentName

TOPIC = "remediation"

WHOAMI_HELP = Help(
    intent=IntentName.WHOAMI,
    topic=TOPIC,
    summary="Your platform id (what the policy's roles list) and the roles you hold.",
    examples=("whoami", "what's my user id?"),
)

REMEDIATION_HELP = (
    Help(
        intent=IntentName.REMEDIATION,
        topic=TOPIC,
        summary="Run a guarded action: dry run first, then approval by someone else.",
        examples=("restart checkout-api", "scale search to 3", "rollback payments"),
    ),
    Help(
        intent=IntentName.APPROVE,
        topic=TOPIC,
        summary="Approve a pending request (the requester's own approval never counts).",
        examples=("approve 12",),
    ),
    Help(
        intent=IntentName.DENY,
        topic=TOPIC,
        summary="Deny a pending request, or withdraw your own.",
        examples=("deny 12",),
    ),
    Help(
        intent=IntentName.REASON,
        topic=TOPIC,
        summary="Say why a request is needed; approvers see it and the audit log keeps it.",
        examples=("reason 12 the pods are stuck", "restart payments because it is hung"),
    ),
    Help(
        intent=IntentName.HISTORY,
        topic=TOPIC,
        summary="Who requested, approved and ran what, from the audit log.",
        examples=("history", "who restarted payments today?", "history checkout-api"),
    ),
)
"""Help for ``remediation``, ``approve``, ``deny``, ``reason`` and ``history``."""
