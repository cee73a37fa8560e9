"""The core's menus and forms as Discord components: a select menu whose pick comes back as
its command, and a button that opens a modal whose submission is the form's command.

Like the buttons (:mod:`.buttons`) both are stateless, so any replica answers them: a select's
options carry the commands as their values; a form button's ``custom_id`` carries the form
(``scf:<max length>|<title>|<prompt>|<command with {text}>``) and the modal's ``custom_id``
carries the command again. The modal is not kept by discord.py (it is stopped before it is
sent): its submission arrives as an ``INTERACTION_CREATE`` of type 5, read by
:func:`form_submission` wherever it lands. What was typed is untrusted: folded to one line
and cut to the form's length here; the core cleans mention syntax, and nothing the bot sends
can ping anyone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import discord
from discord import ui

from bot.core.model import Form, Menu

log = logging.getLogger(__name__)

MENU_PREFIX = "scm:"
FORM_PREFIX = "scf:"
MAX_CUSTOM_ID = 100
MAX_OPTIONS = 25
MAX_OPTION_LABEL = 100
MAX_OPTION_VALUE = 100
MAX_PLACEHOLDER = 150
MAX_MODAL_TITLE = 45
MAX_INPUT_LABEL = 45
MAX_INPUT_TEXT = 4000
_SEPARATOR = "|"
_FORM = re.compile(r"(?P<max>\d{1,4})\|(?P<title>[^|]*)\|(?P<prompt>[^|]*)\|(?P<command>.+)", re.S)


@runtime_checkable
class ControlReceiver(Protocol):
    """What the client behind a menu or form must offer (see ``client.OpsClient``)."""

    async def answer_choice(
        self, interaction: discord.Interaction[Any], command: str, label: str
    ) -> None: ...

    async def open_form(
        self, interaction: discord.Interaction[Any], spec: FormSpec, label: str
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class FormSpec:
    """A form as its button carries it."""

    command: str
    title: str
    prompt: str
    max_length: int

    @classmethod
    def of(cls, form: Form) -> FormSpec | None:
        """The spec of ``form``, or None when its command cannot be carried (too long, or a
        ``|`` in it): the renderer lists what to type instead. Title and prompt are dropped
        (the button's label stands in) when they do not fit."""
        if _SEPARATOR in form.command or not 0 < form.max_length <= MAX_INPUT_TEXT:
            return None
        full = cls(form.command, form.title, form.prompt, form.max_length)
        if len(full.custom_id) <= MAX_CUSTOM_ID and _SEPARATOR not in form.title + form.prompt:
            return full
        bare = cls(form.command, "", "", form.max_length)
        return bare if len(bare.custom_id) <= MAX_CUSTOM_ID else None

    @classmethod
    def parse(cls, custom_id: str) -> FormSpec | None:
        match = _FORM.fullmatch(custom_id.removeprefix(FORM_PREFIX))
        if match is None or not custom_id.startswith(FORM_PREFIX):
            return None
        command, limit = match["command"], int(match["max"])
        if command.count("{text}") != 1 or not 0 < limit <= MAX_INPUT_TEXT:
            return None
        return cls(command, match["title"], match["prompt"], limit)

    @property
    def custom_id(self) -> str:
        return FORM_PREFIX + _SEPARATOR.join(
            (str(self.max_length), self.title, self.prompt, self.command)
        )

    @property
    def modal_id(self) -> str:
        """The modal's ``custom_id``: the spec without the dialog's words."""
        return FormSpec(self.command, "", "", self.max_length).custom_id

    def filled(self, typed: str) -> str:
        return self.command.replace("{text}", " ".join(typed.split())[: self.max_length])


class ChoiceMenu(ui.DynamicItem[ui.Select[ui.View]], template=rf"{MENU_PREFIX}(?P<n>\d+)"):
    """A select menu whose pick sends the picked option's command as whoever picked it."""

    def __init__(self, select: ui.Select[ui.View]) -> None:
        super().__init__(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: Any, /
    ) -> ChoiceMenu:
        if not isinstance(item, ui.Select):
            raise TypeError("a menu's custom id on something that is not a select")
        return cls(item)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        picked = self.item.values[0] if self.item.values else ""
        if not picked or not isinstance(client, ControlReceiver):
            log.warning("a menu pick that cannot be answered was ignored")
            return
        label = next((o.label for o in self.item.options if o.value == picked), picked)
        await client.answer_choice(interaction, picked, label)


class FormButton(ui.DynamicItem[ui.Button[ui.View]], template=rf"{FORM_PREFIX}(?P<spec>.+)"):
    """A button that opens its form's modal."""

    def __init__(self, spec: FormSpec, *, label: str) -> None:
        super().__init__(
            ui.Button(
                label=label[:80], style=discord.ButtonStyle.secondary, custom_id=spec.custom_id
            )
        )
        self.spec = spec

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: Any, /
    ) -> FormButton:
        spec = FormSpec.parse(FORM_PREFIX + str(match["spec"]))
        if spec is None:
            raise ValueError("a form button whose custom id is not a form")
        label = item.label if isinstance(item, ui.Button) and item.label else "Open"
        return cls(spec, label=label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if not isinstance(client, ControlReceiver):
            log.warning("a form click on a client that cannot answer it: %r", type(client))
            return
        await client.open_form(interaction, self.spec, self.item.label or "Reply")


def menu_select(index: int, menu: Menu) -> ui.Select[ui.View] | None:
    """The select for ``menu`` (options whose command is too long are left out)."""
    options = [
        discord.SelectOption(
            label=o.label[:MAX_OPTION_LABEL] or o.command[:MAX_OPTION_LABEL], value=o.command
        )
        for o in menu.options
        if 0 < len(o.command) <= MAX_OPTION_VALUE
    ][:MAX_OPTIONS]
    if not options:
        return None
    return ui.Select(
        custom_id=f"{MENU_PREFIX}{index}",
        placeholder=menu.label[:MAX_PLACEHOLDER],
        options=options,
    )


def form_modal(spec: FormSpec, label: str) -> ui.Modal:
    """The modal a form button opens; stopped, so discord.py does not keep it (any replica
    reads its submission from the interaction itself)."""
    modal = ui.Modal(title=(spec.title or label)[:MAX_MODAL_TITLE], custom_id=spec.modal_id)
    modal.add_item(
        ui.TextInput(
            label=(spec.prompt or label)[:MAX_INPUT_LABEL],
            style=discord.TextStyle.paragraph,
            custom_id="text",
            min_length=1,
            max_length=spec.max_length,
        )
    )
    modal.stop()
    return modal


def form_submission(data: Mapping[str, Any] | None) -> tuple[FormSpec, str] | None:
    """The form and typed text of a modal submission (``interaction.data``), or None when
    it is not one of ours or nothing was typed."""
    if not isinstance(data, Mapping):
        return None
    spec = FormSpec.parse(str(data.get("custom_id", "")))
    typed = next(_values(data.get("components") or ()), "")
    if spec is None or not typed.strip():
        return None
    return spec, typed


def _values(components: Sequence[Any]) -> Iterator[str]:
    """Typed values in submitted components (action rows or labels around text inputs)."""
    for component in components:
        if not isinstance(component, Mapping):
            continue
        value = component.get("value")
        if isinstance(value, str):
            yield value
        inner = component.get("components") or (
            [component["component"]] if "component" in component else []
        )
        yield from _values(inner)
