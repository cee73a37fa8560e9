"""Who may change alerting from chat: silence and unsilence, subscribe and unsubscribe, and
acknowledge.

Decided by the remediation policy's roles (immutable ``platform:id`` principals and, if
granted, channels) and its ``alerts:`` section, which names the roles that hold each
permission. It fails closed: a permission no role holds is refused to everyone, with a reply
that says which key of the config file grants it. Silences and subscriptions made from a
direct message are refused unless ``policy.alerts.allow_dm`` is set, so that others see
them. Listing alerts, silences and subscriptions needs no permission.
"""

from __future__ import annotations

import logging

from bot.core.model import IncomingMessage
from bot.features.remediation.model import Actor
from bot.features.remediation.policy import AlertPermission, Policy
from bot.features.remediation.refusals import Reason, Refusal

log = logging.getLogger(__name__)

_WHAT: dict[AlertPermission, str] = {
    "silence": "silence or unsilence alerts",
    "subscribe": "subscribe or unsubscribe a channel",
    "acknowledge": "acknowledge alerts",
}
#: Permissions whose effect others should see, so a direct message needs ``allow_dm``.
_SEEN_BY_OTHERS: frozenset[AlertPermission] = frozenset({"silence", "subscribe"})
_EXAMPLE = "see deploy/policy.example.yaml"


class AlertAccess:
    """Checks a chat message's author against the policy's ``alerts:`` grants."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def check(self, message: IncomingMessage, permission: AlertPermission) -> None:
        """Return when the author of ``message`` may do ``permission`` here; else raise a
        :class:`Refusal` saying which role it needs and where that is configured."""
        actor = Actor.from_message(message)
        try:
            self._check(actor, permission)
        except Refusal as refusal:
            log.info("refused %s to %s: %s", permission, actor.principal, refusal.reason)
            raise

    def _check(self, actor: Actor, permission: AlertPermission) -> None:
        grants, key = self._policy.alerts, f"policy.alerts.{permission}"
        what = _WHAT[permission]
        roles = grants.roles_for(permission)
        if not roles:
            raise Refusal(
                Reason.NOT_ALLOWED,
                f"Refused: nobody may {what} from chat: no role is granted it yet.",
                hint=f"An admin grants it by listing roles under `{key}` in the config file "
                f"({_EXAMPLE}); roles map platform user ids under `policy.roles`.",
            )
        if not set(roles) & self._policy.roles_of(actor):
            needed = " or ".join(roles)
            raise Refusal(
                Reason.NOT_ALLOWED,
                f"Refused: you are not allowed to {what} (it needs the {needed} role).",
                hint=f"`{key}` in the config file lists the roles that may; roles are granted "
                f"by platform user id under `policy.roles` (yours is {actor.principal}).",
            )
        if actor.is_direct and permission in _SEEN_BY_OTHERS and not grants.allow_dm:
            raise Refusal(
                Reason.DIRECT_MESSAGE,
                f"Refused: you cannot {what} from a direct message. Ask in a team channel "
                "so others can see it.",
                hint="An admin can allow it with `policy.alerts.allow_dm: true` in the config "
                "file.",
            )
