"""Read grants (``policy.read``): the audit log, raw PromQL and the alert and silence lists
are open to everyone unless the policy lists roles for them; then only those roles may, and
a refusal says who may and what to ask for. Driven through the real composition root, parser
and dispatcher."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.app.config import FileSettings, Settings
from bot.app.services import open_services
from bot.core.errors import ConfigError
from bot.core.model import IncomingMessage, Reply
from bot.features.remediation.policy import load_policy

Ask = Callable[..., Awaitable[Reply]]

ROLES = {
    "auditors": {"users": ["slack:U_AUD"]},
    "sre": {"users": ["slack:U_SRE"], "channels": ["slack:C_NOC"]},
}
LIMITED = {
    "roles": ROLES,
    "read": {"history": ["auditors"], "promql": "auditors", "alerts": ["auditors", "sre"],
             "silences": []},
}  # fmt: skip
READS = ("history", "promql up", "alerts", "silences")


@contextlib.asynccontextmanager
async def asking(policy: dict[str, Any]) -> AsyncIterator[Ask]:
    """``ask(user, text[, channel])``: a Slack message from ``user`` in workspace T1 to the
    bot built on ``policy``."""
    async with open_services(Settings(file=FileSettings(policy=policy))) as services:

        async def ask(user: str, text: str, channel: str = "C_OPS") -> Reply:
            message = IncomingMessage("slack", "T1", channel, user, user.lower(), text,
                                      tenant_id="T1")  # fmt: skip
            return await services.dispatcher.handle(message)

        yield ask


async def test_every_read_is_open_by_default() -> None:
    """Without ``policy.read`` anyone may read, as before."""
    async with asking({"roles": ROLES}) as ask:
        for text in READS:
            reply = await ask("U_NOBODY", text)
            assert "Refused" not in reply.plain_text(), text


async def test_a_limited_read_is_refused_naming_who_may_and_what_to_do() -> None:
    async with asking(LIMITED) as ask:
        history = await ask("U_NOBODY", "history")
        assert history.text == (
            "Refused: only the auditors role may read the audit log.\n"
            "Ask an admin to add your id (slack:U_NOBODY) to one of them under `policy.roles` "
            "in the config file (`policy.read.history` lists who may)."
        )
        promql = await ask("U_SRE", "promql up")
        assert promql.text.startswith("Refused: only the auditors role may run raw PromQL.")
        alerts = await ask("U_NOBODY", "what alerts are firing?")
        assert alerts.text.startswith("Refused: only the auditors or sre role may list the")
        silences = await ask("U_AUD", "silences")
        assert silences.text.startswith("Refused: nobody may list the silences from chat here.")
        assert "`policy.read.silences`" in silences.text


async def test_holders_of_a_granted_role_read_as_before() -> None:
    """By principal, or by a granted channel; other commands are untouched."""
    async with asking(LIMITED) as ask:
        assert (await ask("U_AUD", "history")).text.startswith("No audit events")
        assert (await ask("U_AUD", "promql up")).title == "PromQL"
        assert "Refused" not in (await ask("U_SRE", "alerts")).plain_text()
        assert "Refused" not in (await ask("U_ANYONE", "alerts", "C_NOC")).plain_text()
        assert "web-1" in (await ask("U_NOBODY", "cpu of web-1")).plain_text()


def test_read_grants_must_name_known_roles() -> None:
    with pytest.raises(ConfigError) as caught:
        load_policy({"roles": ROLES, "read": {"history": ["ghosts"]}})
    assert str(caught.value) == ("policy.read.history[0]: unknown role 'ghosts' (auditors, sre)")
    with pytest.raises(ConfigError) as typo:
        load_policy({"read": {"histroy": []}})
    assert str(typo.value).startswith("policy.read.histroy")
