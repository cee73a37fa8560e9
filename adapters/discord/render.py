"""The core's :class:`Reply` as a Discord message: one embed, attachments and buttons.

- text, title, fields and footer are escaped (markdown and mention syntax), because much of it
  echoes what users typed; code and tables go in code blocks that cannot be broken out of;
- the colour follows the severity; the first chart is the embed's image, every chart an
  attachment; output beyond Discord's embed limits is cut and attached whole as ``reply.txt``;
- choices become buttons (:mod:`.buttons`); a command too long for a button is listed instead;
- menus become select menus, forms buttons that open a modal (:mod:`.controls`);
- :data:`NO_MENTIONS` goes with every send: nothing the bot posts can ping anyone.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import discord
from discord import ui

from adapters.discord.buttons import MAX_BUTTONS, ChoiceButton, choice_view, fits_button
from adapters.discord.controls import ChoiceMenu, FormButton, FormSpec, menu_select
from bot.core.formatting import render_table
from bot.core.model import Chart, ChoiceStyle, Menu, Reply, Severity

NO_MENTIONS = discord.AllowedMentions.none()

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
ATTACHMENT_LIMIT = 10
INLINE_FIELD_WIDTH = 40
SHORT_TEXT = 3000
LONG_OUTPUT_FILE = "reply.txt"
LONG_OUTPUT_NOTICE = f"*The full answer is attached as `{LONG_OUTPUT_FILE}`.*"

COLOURS = {
    Severity.INFO: 0x5865F2,
    Severity.SUCCESS: 0x57F287,
    Severity.WARNING: 0xFEE75C,
    Severity.CRITICAL: 0xED4245,
    Severity.ERROR: 0x992D22,
}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file to attach (bytes kept, so the message can be sent again)."""

    filename: str
    data: bytes
    description: str = ""


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered reply. ``embed`` is built once; treat it as read-only."""

    embed: discord.Embed
    uploads: tuple[Upload, ...] = ()
    buttons: tuple[tuple[str, str, ChoiceStyle], ...] = ()
    menus: tuple[Menu, ...] = ()
    forms: tuple[tuple[str, FormSpec], ...] = ()

    def files(self) -> list[discord.File]:
        """Fresh :class:`discord.File` objects (each can be read once)."""
        return [
            discord.File(io.BytesIO(u.data), filename=u.filename, description=u.description or None)
            for u in self.uploads
        ]

    def view(self) -> ui.View | None:
        """Menus (one row each), then the buttons and form buttons; None when empty."""
        view = choice_view(list(self.buttons)) or ui.View(timeout=None)
        for index, menu in enumerate(self.menus[:4]):
            select = menu_select(index, menu)
            if select is not None:
                view.add_item(ChoiceMenu(select))
        room = MAX_BUTTONS - sum(isinstance(i, ChoiceButton) for i in view.children)
        for label, spec in self.forms[: max(room, 0)]:
            view.add_item(FormButton(spec, label=label))
        return view if view.children else None

    def message_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``send``/``send_message``: embed, files, view, no mentions."""
        kwargs: dict[str, Any] = {"embed": self.embed, "allowed_mentions": NO_MENTIONS}
        if self.uploads:
            kwargs["files"] = self.files()
        view = self.view()
        if view is not None:
            kwargs["view"] = view
        return kwargs


def escape(text: str) -> str:
    """``text`` shown literally: no markdown, links, headers or mentions take effect."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def code_block(text: str) -> str:
    """A code block that the content cannot close early."""
    return "```\n" + text.replace("```", "`\u200b``") + "\n```"


def render(reply: Reply, *, outcome: str | None = None, file_prefix: str = "") -> Rendered:
    """``reply`` as an embed plus attachments and buttons.

    ``outcome`` (e.g. "Ana chose Approve") heads the embed; ``file_prefix`` keeps attachment
    names unique when the message already carries files (button clicks edit it).
    """
    embed = discord.Embed(colour=discord.Colour(COLOURS[reply.severity]))
    if reply.title:
        embed.title = _clip(escape(reply.title), TITLE_LIMIT)
    if outcome:
        embed.set_author(name=_clip(outcome, AUTHOR_LIMIT))
    footer = " · ".join(p for p in (reply.footer, _ref(reply.correlation_id)) if p)
    if footer:
        embed.set_footer(text=_clip(footer, FOOTER_LIMIT))
    complete = _describe(embed, reply)
    complete = _add_fields(embed, reply) and complete
    complete = _fit_total(embed) and complete
    buttons = tuple((c.label, c.command, c.style) for c in reply.choices if fits_button(c.command))
    forms = tuple((f.label, spec) for f in reply.forms if (spec := FormSpec.of(f)) is not None)
    _list_unbuttoned(embed, reply)
    uploads = _uploads(reply, embed, file_prefix, complete)
    _fit_total(embed)
    return Rendered(embed=embed, uploads=uploads, buttons=buttons, menus=reply.menus, forms=forms)


def _describe(embed: discord.Embed, reply: Reply) -> bool:
    parts = [escape(reply.echo_line)] if reply.echo_line else []
    if reply.text:
        parts.append(escape(reply.text))
    if reply.table is not None:
        parts.append(code_block(render_table(reply.table)))
    if reply.code:
        parts.append(code_block(reply.code))
    description = "\n\n".join(parts)
    if len(description) <= DESCRIPTION_LIMIT:
        embed.description = description or None
        return True
    head = "\n".join(escape(t) for t in (reply.echo_line, reply.text) if t)
    embed.description = f"{_clip(head, SHORT_TEXT)}\n\n{LONG_OUTPUT_NOTICE}".strip()
    return False


def _add_fields(embed: discord.Embed, reply: Reply) -> bool:
    for index, item in enumerate(reply.fields):
        name = _clip(escape(item.label), FIELD_NAME_LIMIT) or "\u200b"
        value = _clip(escape(item.value), FIELD_VALUE_LIMIT) or "-"
        if (
            index >= FIELD_LIMIT - 1
            or len(embed) + len(name) + len(value) > EMBED_TOTAL_LIMIT - 500
        ):
            return False
        embed.add_field(name=name, value=value, inline=len(value) <= INLINE_FIELD_WIDTH)
    return True


def _list_unbuttoned(embed: discord.Embed, reply: Reply) -> None:
    """Commands too long for a button (or a form that cannot be carried) are listed for the
    user to type instead."""
    long_ones = [c.command for c in reply.choices if not fits_button(c.command)]
    long_ones += [f.hint for f in reply.forms if FormSpec.of(f) is None]
    if long_ones and len(embed.fields) < FIELD_LIMIT:
        text = "\n".join(f"• {escape(command)}" for command in long_ones)
        embed.add_field(name="Reply with", value=_clip(text, FIELD_VALUE_LIMIT), inline=False)
        _fit_total(embed)


def _fit_total(embed: discord.Embed) -> bool:
    """Shorten the description until the whole embed is within Discord's total limit."""
    overflow = len(embed) - EMBED_TOTAL_LIMIT
    if overflow <= 0:
        return True
    description = embed.description or ""
    embed.description = _clip(description, max(0, len(description) - overflow - 1)) or None
    return False


def _uploads(reply: Reply, embed: discord.Embed, prefix: str, complete: bool) -> tuple[Upload, ...]:
    uploads: list[Upload] = []
    if not complete:
        uploads.append(
            Upload(prefix + LONG_OUTPUT_FILE, reply.plain_text().encode(), "full answer")
        )
        if LONG_OUTPUT_NOTICE not in (embed.description or ""):
            embed.description = _clip(
                f"{embed.description or ''}\n\n{LONG_OUTPUT_NOTICE}".strip(), DESCRIPTION_LIMIT
            )
    room = ATTACHMENT_LIMIT - len(uploads)
    for index, chart in enumerate(reply.charts[:room]):
        upload = _chart_upload(chart, index, prefix)
        if index == 0:
            embed.set_image(url=f"attachment://{upload.filename}")
        uploads.append(upload)
    return tuple(uploads)


def _chart_upload(chart: Chart, index: int, prefix: str) -> Upload:
    stem = _UNSAFE_FILENAME.sub("-", chart.filename).strip("-.") or "chart"
    stem = stem.removesuffix(".png")
    name = f"{prefix}{stem}.png" if index == 0 else f"{prefix}{stem}-{index + 1}.png"
    return Upload(name, chart.png, _clip(chart.alt_text or chart.title, 1024))


def _ref(correlation_id: str | None) -> str | None:
    return f"ref {correlation_id}" if correlation_id else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
