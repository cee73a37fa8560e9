"""'Which target?': a name that several known targets fit (or a near miss of several) is
answered with the same command for each of them, as a menu; picking one is that command sent
by the picker. Driven through the real composition root, parser and dispatcher."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bot.app.config import FileSettings, Settings
from bot.app.services import open_services
from bot.core.dispatcher import WHICH_TARGET
from bot.core.model import IncomingMessage, Menu, Reply, Severity

Ask = Callable[..., Awaitable[Reply]]

POLICY: dict[str, Any] = {
    "roles": {"operators": {"users": ["slack:U_ANA"]}, "approvers": {"users": ["slack:U_BOB"]}},
    "executors": {"runbooks": {"type": "command"}},
    "actions": {
        "restart": {
            "executor": "runbooks", "command": ["/bin/true", "{target}"],
            "targets": {"names": ["web-1", "web-2", "payments"]},
            "role": "operators", "approver_role": "approvers", "approvals": 1,
        },
    },
}  # fmt: skip


@contextlib.asynccontextmanager
async def asking() -> AsyncIterator[Ask]:
    async with open_services(Settings(file=FileSettings(policy=POLICY))) as services:

        async def ask(user: str, text: str) -> Reply:
            message = IncomingMessage("slack", "T1", "C_OPS", user, user.lower(), text,
                                      tenant_id="T1")  # fmt: skip
            return await services.dispatcher.handle(message)

        yield ask


def which(reply: Reply) -> Menu:
    (menu,) = [m for m in reply.menus if m.label == WHICH_TARGET]
    return menu


async def test_a_name_several_targets_fit_offers_the_question_for_each() -> None:
    async with asking() as ask:
        reply = await ask("U_ANA", "cpu of web")
        assert "I don't know a target called 'web'" in reply.text
        menu = which(reply)
        assert [(o.label, o.command) for o in menu.options] == [
            ("web-1", "metric cpu web-1"),
            ("web-2", "metric cpu web-2"),
        ]
        picked = await ask("U_BOB", menu.options[1].command)
        assert picked.severity is not Severity.WARNING
        assert "web-2" in picked.plain_text()


async def test_a_near_miss_with_one_close_name_offers_a_button() -> None:
    async with asking() as ask:
        reply = await ask("U_ANA", "health of payment")
        assert reply.menus == ()
        assert [(c.label, c.command) for c in reply.choices][:1] == [
            ("payments", "health payments")
        ]


async def test_an_unknown_name_with_nothing_close_offers_nothing() -> None:
    async with asking() as ask:
        reply = await ask("U_ANA", "cpu of zzzzzz")
        assert reply.menus == ()
        assert reply.choices == ()


async def test_a_command_offers_the_command_and_the_pick_goes_through_the_policy() -> None:
    """ "restart web" runs nothing; the menu offers "restart web-1"/"restart web-2", and a
    pick is a new request by the picker, refused or accepted by the policy as typed."""
    async with asking() as ask:
        reply = await ask("U_ANA", "restart web")
        assert reply.text.startswith("Refused: restart is not allowed on 'web'")
        menu = which(reply)
        assert [o.command for o in menu.options] == ["restart web-1", "restart web-2"]
        stranger = await ask("U_EVE", menu.options[0].command)
        assert "not allowed to request restart" in stranger.text
        request = await ask("U_ANA", menu.options[0].command)
        assert request.title is not None
        assert request.title.endswith(": restart web-1")
