"""What the policy says about an action someone asked about without asking for it ("should I
restart payments?"), so the answer helps them decide: may they request it, on that target,
with how many approvals, and the exact words that would.
"""

from __future__ import annotations

from bot.core.formatting import format_duration
from bot.features.remediation.model import Actor
from bot.features.remediation.policy import Policy
from intents.model import Mention


def advise(policy: Policy, actor: Actor, about: Mention) -> str:
    """One or two sentences on ``about`` (a remediation) under ``policy`` for ``actor``."""
    action = str(about.slots.get("action", ""))
    spec = policy.actions.get(action)
    if spec is None:
        named = f"`{action}`" if action else "That action"
        return f"{named} is not an action the policy grants, so nobody can run it from chat."
    target = about.slots.get("target")
    problems = []
    if isinstance(target, str) and not spec.targets.allows(target):
        problems.append(f"{target} is not one of its targets ({spec.targets.describe()})")
    if spec.role not in policy.roles_of(actor):
        problems.append(f"you do not hold its role `{spec.role}`")
    if problems:
        return f"`{about.canonical}` would be refused: " + "; ".join(problems) + "."
    approvals = (
        "runs after its dry run, without approval"
        if spec.approvals == 0
        else f"needs {spec.approvals} approval(s) from `{spec.approver}` (not yours)"
    )
    cooldown = (
        f", then waits {format_duration(spec.cooldown_seconds)} before it may run again"
        if spec.cooldown_seconds
        else ""
    )
    return (
        f"You may request it: it {approvals}{cooldown}. "
        f"Say `{about.canonical}` to request it; a dry run comes first."
    )
