"""Guarded remediation: policy, roles, two-person approval, dry run, exactly-once execution
and an audit log. The core only; storage and executors live in ``storage.sql`` and
``adapters.executors`` behind :mod:`bot.remediation.ports`.

The names below are imported on first use (:mod:`bot.lazy`): every parser needs
:class:`HistoryRoute`, and ``smartcloudops parse`` should not pay for the pydantic policy
models with it."""

from typing import TYPE_CHECKING

from bot.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.remediation.history import HISTORY_INTENT, HistoryRoute, parse_history
    from bot.remediation.model import Actor, AuditEvent, AuditKind, AuditQuery, RequestStatus
    from bot.remediation.policy import Policy, load_policy
    from bot.remediation.refusals import Reason, Refusal
    from bot.remediation.service import ApprovalOutcome, RemediationService, RequestOutcome
else:
    __getattr__ = lazy_exports(
        __name__,
        {
            "bot.remediation.history": ("HISTORY_INTENT", "HistoryRoute", "parse_history"),
            "bot.remediation.model": (
                "Actor",
                "AuditEvent",
                "AuditKind",
                "AuditQuery",
                "RequestStatus",
            ),
            "bot.remediation.policy": ("Policy", "load_policy"),
            "bot.remediation.refusals": ("Reason", "Refusal"),
            "bot.remediation.service": ("ApprovalOutcome", "RemediationService", "RequestOutcome"),
        },
    )

__all__ = [
    "HISTORY_INTENT",
    "Actor",
    "ApprovalOutcome",
    "AuditEvent",
    "AuditKind",
    "AuditQuery",
    "HistoryRoute",
    "Policy",
    "Reason",
    "Refusal",
    "RemediationService",
    "RequestOutcome",
    "RequestStatus",
    "load_policy",
    "parse_history",
]
