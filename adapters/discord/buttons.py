"""The core's choices as ``discord.ui`` buttons whose click comes back as a command.

A button's ``custom_id`` carries the command itself (``sco:approve 12``), and the button is a
:class:`discord.ui.DynamicItem`: any replica, including one started after the message was
sent, turns a click back into that command without remembering the message.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

import discord
from discord import ui

from bot.core.model import ChoiceStyle

log = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "sco:"
MAX_CUSTOM_ID = 100
MAX_COMMAND = MAX_CUSTOM_ID - len(CUSTOM_ID_PREFIX)
MAX_LABEL = 80
MAX_BUTTONS = 25

_STYLES = {
    ChoiceStyle.DEFAULT: discord.ButtonStyle.secondary,
    ChoiceStyle.PRIMARY: discord.ButtonStyle.primary,
    ChoiceStyle.DANGER: discord.ButtonStyle.danger,
}


@runtime_checkable
class ChoiceReceiver(Protocol):
    """What the client behind a clicked button must offer (see ``client.OpsClient``)."""

    async def answer_choice(
        self, interaction: discord.Interaction[Any], command: str, label: str
    ) -> None: ...


def fits_button(command: str) -> bool:
    """Whether ``command`` fits in a ``custom_id`` (Discord allows 100 characters)."""
    return 0 < len(command) <= MAX_COMMAND


class ChoiceButton(
    ui.DynamicItem[ui.Button[ui.View]],
    template=rf"{CUSTOM_ID_PREFIX}(?P<command>.+)",
):
    """A button that sends ``command`` to the core as whoever clicks it."""

    def __init__(
        self,
        command: str,
        *,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            ui.Button(
                label=(label or command)[:MAX_LABEL],
                style=style,
                custom_id=CUSTOM_ID_PREFIX + command,
            )
        )
        self.command = command

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: ui.Item[Any],
        match: Any,
        /,
    ) -> ChoiceButton:
        label = item.label if isinstance(item, ui.Button) else None
        return cls(str(match["command"]), label=label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if not isinstance(client, ChoiceReceiver):
            log.warning("button click on a client that cannot answer it: %r", type(client))
            return
        await client.answer_choice(interaction, self.command, self.item.label or self.command)


def choice_view(choices: list[tuple[str, str, ChoiceStyle]]) -> ui.View | None:
    """A persistent view of buttons for ``(label, command, style)`` triples (None if empty).

    Built fresh per send: discord.py views are stateful and bound to a running loop.
    """
    if not choices:
        return None
    view = ui.View(timeout=None)
    for label, command, style in choices[:MAX_BUTTONS]:
        view.add_item(ChoiceButton(command, label=label, style=_STYLES[style]))
    return view
