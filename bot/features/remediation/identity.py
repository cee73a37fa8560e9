"""``whoami``: the asker's immutable platform id, the one the policy's roles are keyed on,
with the roles it holds now and where the platform itself shows that id. A new team fills in
its policy from this answer instead of hunting through each platform's settings. The
workspace, tenant or server id is shown too: the one ``policy.tenants`` lists."""

from __future__ import annotations

from bot.core.model import Field, Reply
from bot.core.registry import HandlerSpec, Request
from bot.features.remediation.help import WHOAMI_HELP
from bot.features.remediation.model import Actor
from bot.features.remediation.policy import Policy

#: Where each platform shows the id, for a colleague's id (yours is in the answer).
WHERE_SHOWN = {
    "slack": "Slack: open the person's profile, then ⋮ → Copy member ID (U…).",
    "teams": "Teams: the user's Object ID in Microsoft Entra ID (Azure portal → Users).",
    "discord": "Discord: turn on Developer Mode, then right-click the person → Copy User ID.",
    "console": "Console: the operating-system account that runs `smartcloudops chat`.",
}


def identity_spec(policy: Policy) -> HandlerSpec:
    """The ``whoami`` handler over ``policy`` (its roles are read, never changed)."""

    async def whoami(request: Request) -> Reply:
        message = request.message
        return render_identity(Actor.from_message(message), policy, tenant=message.tenant_id)

    return WHOAMI_HELP.spec(whoami)


#: What each platform calls the tenant ``policy.tenants.<platform>`` lists.
TENANT_NOUNS = {"slack": "Slack workspace", "teams": "Teams tenant", "discord": "Discord server"}


def render_identity(actor: Actor, policy: Policy, *, tenant: str | None = None) -> Reply:
    roles = sorted(policy.roles_of(actor))
    held = (
        f"You hold {', '.join(f'`{r}`' for r in roles)}."
        if roles
        else "You hold no role yet: an admin adds this id under `policy.roles.<role>.users`."
    )
    platform = actor.principal.partition(":")[0]
    fields = [Field("You", f"`{actor.principal}`"), Field("This channel", f"`{actor.channel}`")]
    if tenant and platform in TENANT_NOUNS:
        fields.append(Field(TENANT_NOUNS[platform], f"`{tenant}` (`policy.tenants.{platform}`)"))
    return Reply(
        title=f"You are {actor.principal}",
        text=f"That is the id the policy's roles list. {held}",
        fields=tuple(fields),
        footer=WHERE_SHOWN.get(platform, ""),
    )
