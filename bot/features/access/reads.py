"""Who may read what from chat (``policy.read``): the remediation audit log (``history``),
raw PromQL (``promql``), the firing alerts (``alerts``) and the silences (``silences``).

Open to everyone unless the policy lists roles for a read; then only those roles may, by
immutable ``platform:id`` principal (or granted channel), like every other grant. A refusal
names the roles that may and what to ask an admin for.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from bot.core.model import IncomingMessage, Reply
from bot.core.registry import HandlerSpec, Request
from bot.features.remediation.model import Actor
from bot.features.remediation.refusals import Reason, Refusal
from intents.model import IntentName

if TYPE_CHECKING:  # the policy's models (pydantic) load with the policy, not with this module
    from bot.features.remediation.policy import Policy, ReadPermission

log = logging.getLogger(__name__)

READS: dict[IntentName, ReadPermission] = {
    IntentName.HISTORY: "history",
    IntentName.PROMQL: "promql",
    IntentName.ALERTS_LIST: "alerts",
    IntentName.SILENCES: "silences",
}
_WHAT: dict[ReadPermission, str] = {
    "history": "read the audit log",
    "promql": "run raw PromQL",
    "alerts": "list the firing alerts",
    "silences": "list the silences",
}


def guard_reads(spec: HandlerSpec, policy: Policy) -> HandlerSpec:
    """``spec`` checked against ``policy.read`` first, when it is a read the policy limits."""
    permission = READS.get(spec.intent)
    if permission is None or policy.read.roles_for(permission) is None:
        return spec

    async def guarded(request: Request) -> Reply:
        check_read(policy, request.message, permission)
        return await spec.handler(request)

    return dataclasses.replace(spec, handler=guarded)


def check_read(policy: Policy, message: IncomingMessage, permission: ReadPermission) -> None:
    """Return when the author of ``message`` may do the read; else raise a :class:`Refusal`
    that says who may and how to get access."""
    roles = policy.read.roles_for(permission)
    if roles is None:
        return
    actor = Actor.from_message(message)
    if set(roles) & policy.roles_of(actor):
        return
    log.info("refused read %s to %s", permission, actor.principal)
    what, key = _WHAT[permission], f"policy.read.{permission}"
    if not roles:
        raise Refusal(
            Reason.NOT_ALLOWED,
            f"Refused: nobody may {what} from chat here.",
            hint=f"An admin can grant it to a role under `{key}` in the config file.",
        )
    raise Refusal(
        Reason.NOT_ALLOWED,
        f"Refused: only the {' or '.join(roles)} role may {what}.",
        hint=f"Ask an admin to add your id ({actor.principal}) to one of them under "
        f"`policy.roles` in the config file (`{key}` lists who may).",
    )
