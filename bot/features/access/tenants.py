"""The tenant allowlist (``policy.tenants``): which Slack workspaces, Microsoft 365 tenants
and Discord servers the bot serves.

It runs as the dispatcher's gate, before a message is parsed: a message from any other
tenant gets one clear refusal and nothing else (no parsing, no conversation memory, no
handler). A platform with no list serves everyone, as before. A message that names no
tenant (a Discord direct message) is refused on a platform that has a list, since nothing
says which organisation it comes from.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.core.model import IncomingMessage, Reply, Severity

if TYPE_CHECKING:  # the policy's models (pydantic) load with the policy, not with this module
    from bot.features.remediation.policy import Tenants

log = logging.getLogger(__name__)

_NOUN = {"slack": "Slack workspace", "teams": "Microsoft 365 tenant", "discord": "Discord server"}


class TenantGate:
    """Admits a message from an allowed tenant; answers any other with a refusal."""

    def __init__(self, tenants: Tenants) -> None:
        self._tenants = tenants

    def __call__(self, message: IncomingMessage) -> Reply | None:
        allowed = self._tenants.allowlist(message.platform)
        if allowed is None:
            return None
        tenant = message.tenant_id
        if tenant and tenant.casefold() in allowed:
            return None
        log.warning("not serving %s tenant %r (policy.tenants.%s)", message.platform, tenant,
                    message.platform)  # fmt: skip
        if not tenant:
            return Reply(
                text="I only answer in the servers I am set up for, not in direct messages. "
                "Mention me in a channel of your server instead.",
                severity=Severity.WARNING,
            )
        noun = _NOUN.get(message.platform, f"{message.platform} tenant")
        return Reply(
            text=f"This bot is not enabled for this {noun} ({tenant}), so I can't answer here.",
            footer=f"Ask the bot's admin to add {tenant} to `policy.tenants.{message.platform}` "
            "in its config file.",
            severity=Severity.WARNING,
        )
