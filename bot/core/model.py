"""The platform-neutral message model: what adapters turn platform events into, and what the
core answers with. Adapters render a :class:`Reply` natively (Block Kit, Adaptive Card, embed,
console text); nothing here knows about any platform.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Who is talking where, by immutable platform ids. Keys the conversation context."""

    platform: str
    team_id: str
    channel_id: str
    user_id: str
    thread_id: str | None = None

    def as_string(self) -> str:
        parts = [self.platform, self.team_id, self.channel_id, self.user_id]
        if self.thread_id:
            parts.append(self.thread_id)
        return ":".join(p.replace("%", "%25").replace(":", "%3A") for p in parts)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message from a user on any platform.

    ``team_id``, ``channel_id`` and ``user_id`` are the platform's immutable ids (Slack
    ``U0123``, Teams AAD object id, Discord snowflake); ``user_name`` is for display only and
    must never be used for authorisation.

    ``tenant_id`` is the organisation the message comes from: the unit that allowlists admit
    and that remediation requests and their audit log are scoped to. The Slack team
    (workspace), the Teams (Entra) tenant, the Discord guild; None when the platform names
    none (a Discord direct message), and then the message shares nothing with anyone else.
    """

    platform: str
    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    text: str
    thread_id: str | None = None
    message_id: str | None = None
    is_direct: bool = False
    tenant_id: str | None = None

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(
            self.platform, self.team_id, self.channel_id, self.user_id, self.thread_id
        )


class Severity(enum.Enum):
    """How an answer should be coloured/flagged by a renderer."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    CRITICAL = "critical"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Field:
    """A short label/value pair ("Now: 42 %")."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Table:
    """A small table; renderers may fall back to monospace text."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart image (PNG bytes) with a file name and alt text."""

    title: str
    png: bytes
    filename: str
    alt_text: str


class ChoiceStyle(enum.Enum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Choice:
    """A button. ``command`` is the text the core receives, as the clicking user, on a click
    (e.g. ``approve 12``, ``silence HighLatency for 1h``)."""

    label: str
    command: str
    style: ChoiceStyle = ChoiceStyle.DEFAULT


@dataclass(frozen=True, slots=True)
class Menu:
    """A pick-one list (Slack static select, Discord select menu, Teams choice set). Picking
    an option sends its ``command`` as the picking user, exactly as a button would; ``label``
    heads the list ("Silence for...", "Which target?") and is its placeholder."""

    label: str
    options: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class Form:
    """A button that asks for one line of text before it sends a command (Slack modal,
    Discord modal, Teams task module). ``command`` holds ``{text}`` where the typed text goes
    (``reason 12 {text}``); the text is sent as the submitting user. ``prompt`` labels the
    field; ``title`` heads the dialog. A platform without dialogs shows ``hint``: the command
    to type instead."""

    label: str
    title: str
    prompt: str
    command: str
    max_length: int = 300

    def __post_init__(self) -> None:
        if "{text}" not in self.command:
            raise ValueError("a form's command needs a {text} placeholder")

    def filled(self, text: str) -> str:
        """The command with the submitted text in place (whitespace folded to one line)."""
        return self.command.replace("{text}", " ".join(text.split())[: self.max_length])

    @property
    def hint(self) -> str:
        return self.command.replace("{text}", "<text>")


class Visibility(enum.Enum):
    """Who sees an answer. ``PRIVATE`` answers (help, errors, refusals, "did you mean",
    whoami) are shown only to the asker where the platform can (Slack ephemeral messages,
    Discord ephemeral interaction responses, a Teams personal chat), so they do not clutter
    the channel; ``share`` posts the last one for everyone. ``PUBLIC`` answers go to the
    conversation the question came from. A platform that cannot show a private message there
    (a plain Discord message, the console) shows it as it would any answer."""

    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class Reply:
    """A structured answer. ``text`` is plain text (renderers escape it); ``title`` is a short
    headline; ``footer`` carries provenance such as "Source: demo data". ``echo`` is the
    canonical command a state-changing answer acts on ("restart payments"): every renderer
    shows it first, so nobody is left guessing what the bot understood. ``correlation_id`` is
    the turn's id (:mod:`bot.core.correlation`); an error quotes it (:attr:`shown_footer`).
    ``visibility`` says whether only the asker should see it (see :class:`Visibility`).
    ``choices`` (buttons), ``menus`` and ``forms`` all end in a command sent as the person
    who used them, so they act exactly as typing that command would."""

    text: str
    echo: str | None = None
    title: str | None = None
    fields: tuple[Field, ...] = ()
    table: Table | None = None
    code: str | None = None
    charts: tuple[Chart, ...] = ()
    choices: tuple[Choice, ...] = ()
    menus: tuple[Menu, ...] = ()
    forms: tuple[Form, ...] = ()
    severity: Severity = Severity.INFO
    footer: str | None = None
    correlation_id: str | None = None
    visibility: Visibility = Visibility.PUBLIC

    @property
    def echo_line(self) -> str | None:
        """The first line renderers show on a state-changing answer, refusals included: the
        command understood, as a code span ("Understood: `restart payments`")."""
        if not self.echo:
            return None
        return f"Understood: `{self.echo.replace('`', '')}`"

    @property
    def private(self) -> bool:
        return self.visibility is Visibility.PRIVATE

    @property
    def shown_footer(self) -> str | None:
        """The footer as renderers show it: on an error, followed by ``ref <correlation id>``,
        which the user can pass on and an operator finds in the log and the audit log."""
        if self.severity is not Severity.ERROR or not self.correlation_id:
            return self.footer
        ref = f"ref {self.correlation_id}"
        return f"{self.footer} · {ref}" if self.footer else ref

    def plain_text(self) -> str:
        """Everything in the reply as plain text (fallback rendering, logs, tests)."""
        lines: list[str] = []
        if self.echo:
            lines.append(f"> {self.echo}")
        if self.title:
            lines.append(self.title)
        if self.text:
            lines.append(self.text)
        lines.extend(f"{f.label}: {f.value}" for f in self.fields)
        if self.table is not None:
            lines.append(" | ".join(self.table.columns))
            lines.extend(" | ".join(row) for row in self.table.rows)
        if self.code:
            lines.append(self.code)
        lines.extend(f"[chart: {c.title}]" for c in self.charts)
        lines.extend(f"[{c.label}] -> {c.command}" for c in self.choices)
        for menu in self.menus:
            lines.append(f"{menu.label}: " + " | ".join(o.command for o in menu.options))
        lines.extend(f"[{f.label}] -> {f.hint}" for f in self.forms)
        if self.shown_footer:
            lines.append(self.shown_footer)
        return "\n".join(lines)
