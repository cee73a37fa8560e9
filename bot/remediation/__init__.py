"""Guarded remediation: policy, roles, two-person approval, dry run, exactly-once execution
and an audit log. The core only; storage and executors live in ``storage.sql`` and
``adapters.executors`` behind :mod:`bot.remediation.ports`."""

from bot.remediation.model import Actor, AuditEvent, AuditKind, AuditQuery, RequestStatus
from bot.remediation.policy import Policy, load_policy
from bot.remediation.refusals import Reason, Refusal
from bot.remediation.service import ApprovalOutcome, RemediationService, RequestOutcome

__all__ = [
    "Actor",
    "ApprovalOutcome",
    "AuditEvent",
    "AuditKind",
    "AuditQuery",
    "Policy",
    "Reason",
    "Refusal",
    "RemediationService",
    "RequestOutcome",
    "RequestStatus",
    "load_policy",
]
