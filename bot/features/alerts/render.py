"""An alert group as a chat post: what fires where since when, who acknowledged it, a
"Silence for..." menu (30 min to 7 days, the longest silence chat may set) and a button to
acknowledge it.

The post is rendered from the group alone (absolute UTC times, never "5m ago"), so the same
group renders to the same reply on every replica, and an unchanged group is not edited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.formatting import shorten
from bot.core.model import Choice, ChoiceStyle, Field, Menu, Reply, Severity, Table
from bot.features.alerts.group import AlertGroup, GroupAlert
from bot.features.alerts.model import Acknowledgement
from bot.features.metrics.tables import plural
from bot.features.metrics.targets import target_names
from bot.features.remediation.model import format_time

#: The lengths the "Silence for..." menu offers: (label, duration as the command says it).
SILENCE_DURATIONS = (
    ("30 min", "30m"),
    ("1 hour", "1h"),
    ("2 hours", "2h"),
    ("4 hours", "4h"),
    ("8 hours", "8h"),
    ("1 day", "1d"),
    ("3 days", "3d"),
    ("7 days", "7d"),
)
SILENCE_MENU = "Silence for..."
TABLE_ROWS = 10
_SUMMARY_LIMIT = 300
_CELL_LIMIT = 60
_SEVERITY = {"critical": Severity.CRITICAL, "warning": Severity.WARNING, "info": Severity.INFO}


def ack_command(group: AlertGroup) -> str:
    return f"ack {group.short_id}"


def render_group(
    group: AlertGroup, ack: Acknowledgement | None, *, target_labels: Sequence[str]
) -> Reply:
    """The post for ``group`` (acknowledged by ``ack``, if anyone)."""
    firing = bool(group.firing)
    fields = [Field("Severity", group.severity)]
    target = group.common_target(target_labels)
    if target:
        fields.append(Field("Target", target))
    if ack is not None:
        fields.append(Field("Acknowledged", f"by {ack.user_name} at {format_time(ack.at)}"))
    return Reply(
        title=_title(group, target),
        text=_text(group),
        fields=tuple(fields),
        table=_table(group.alerts, target_labels) if len(group.alerts) > 1 else None,
        choices=_choices(ack, group) if firing else (),
        menus=_silence_menu(group, target_labels) if firing else (),
        severity=_SEVERITY[group.severity] if firing else Severity.SUCCESS,
        footer=f"Alertmanager · group {group.short_id}",
    )


def _title(group: AlertGroup, target: str | None) -> str:
    state = "Firing" if group.firing else "Resolved"
    count = len(group.firing) if group.firing else len(group.alerts)
    what = group.alertname or _labels(group.group_labels) or "alert group"
    where = f" on {target}" if target and target != what else ""
    many = f" ({count})" if count > 1 else ""
    return f"{state}{many}: {what}{where}"


def _text(group: AlertGroup) -> str:
    """Summary, then state: when the one alert started or ended, or how many fire."""
    only = group.alerts[0] if len(group.alerts) == 1 else None
    summary = group.summary or (only.summary if only else "")
    parts = [shorten(summary, _SUMMARY_LIMIT)] if summary else []
    if only is not None:
        parts.append(_one_state(only))
    elif group.firing:
        resolved = f", {len(group.resolved)} resolved" if group.resolved else ""
        parts.append(f"{plural(len(group.firing), 'alert')} firing{resolved}.")
    else:
        parts.append(f"All {len(group.alerts)} alerts resolved.")
    if group.truncated:
        parts.append(f"({plural(group.truncated, 'more alert')} not sent by Alertmanager.)")
    if len(group.alerts) > TABLE_ROWS:
        parts.append(f"The first {TABLE_ROWS} are listed.")
    return " ".join(p for p in parts if p)


def _one_state(alert: GroupAlert) -> str:
    if alert.status == "firing":
        return f"Since {format_time(alert.starts_at)}." if alert.starts_at else ""
    return f"Resolved at {format_time(alert.ends_at)}." if alert.ends_at else "Resolved."


def _table(alerts: Sequence[GroupAlert], target_labels: Sequence[str]) -> Table:
    ordered = sorted(alerts, key=lambda a: (a.status != "firing", a.name))[:TABLE_ROWS]
    rows = tuple(
        (
            shorten(a.name, _CELL_LIMIT),
            shorten(_first(target_names(a.labels, target_labels)), _CELL_LIMIT),
            a.status,
            format_time(a.starts_at) if a.starts_at else "-",
        )
        for a in ordered
    )
    return Table(("alert", "target", "state", "since"), rows)


def _silence_menu(group: AlertGroup, target_labels: Sequence[str]) -> tuple[Menu, ...]:
    """The "Silence for..." menu, or none when the group names nothing a silence can name."""
    options = tuple(
        Choice(label, command)
        for label, duration in SILENCE_DURATIONS
        if (command := group.silence_command(duration, target_labels))
    )
    return (Menu(SILENCE_MENU, options),) if options else ()


def _choices(ack: Acknowledgement | None, group: AlertGroup) -> tuple[Choice, ...]:
    if ack is not None:
        return ()
    return (Choice("Acknowledge", ack_command(group), ChoiceStyle.PRIMARY),)


def _labels(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _first(names: list[str]) -> str:
    return names[0] if names else "-"
