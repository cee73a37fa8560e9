"""An Alertmanager notification as the core sees it: one alert group, keyed as Alertmanager
keyed it (``groupKey``), with its severity, the targets it concerns and the chat command that
would silence exactly it.

The group's identity in chat is :attr:`AlertGroup.short_id` (the first 8 hex digits of the
SHA-256 of the group key): short enough to type (``ack 3f2a9c1e``), stable across replicas
and restarts, and it says nothing about the labels.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.features.alerts.model import Audience, highest_severity, normalise_severity
from bot.features.metrics.targets import strip_port, target_names

if TYPE_CHECKING:  # the payload's pydantic models: only the webhook parses one
    from bot.features.alerts.payload import Notification

#: What the parser accepts as an alert or target name (CONTRACT.md: plain names only).
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
SHORT_ID_LENGTH = 8


def key_hash(group_key: str) -> str:
    """The stored identity of a group key: its SHA-256, hex."""
    return hashlib.sha256(group_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class GroupAlert:
    """One alert of a group."""

    name: str
    status: str
    severity: str
    labels: Mapping[str, str]
    summary: str
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True, slots=True)
class AlertGroup:
    """An alert group at the time of one notification."""

    key: str
    status: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    summary: str
    alerts: tuple[GroupAlert, ...]
    truncated: int = 0

    @classmethod
    def from_notification(cls, notification: Notification) -> AlertGroup:
        common = notification.common_annotations
        alerts = tuple(
            GroupAlert(
                name=a.labels.get("alertname", "alert"),
                status=a.status,
                severity=normalise_severity(a.labels.get("severity")),
                labels=dict(a.labels),
                summary=a.annotations.get("summary") or a.annotations.get("description", ""),
                starts_at=a.starts_at,
                ends_at=a.ends_at,
            )
            for a in notification.alerts
        )
        return cls(
            key=notification.group_key,
            status=notification.status,
            group_labels=dict(notification.group_labels),
            common_labels=dict(notification.common_labels),
            summary=common.get("summary") or common.get("description", ""),
            alerts=alerts,
            truncated=notification.truncated_alerts,
        )

    @property
    def key_hash(self) -> str:
        return key_hash(self.key)

    @property
    def short_id(self) -> str:
        return self.key_hash[:SHORT_ID_LENGTH]

    @property
    def firing(self) -> tuple[GroupAlert, ...]:
        return tuple(a for a in self.alerts if a.status == "firing")

    @property
    def resolved(self) -> tuple[GroupAlert, ...]:
        return tuple(a for a in self.alerts if a.status != "firing")

    @property
    def severity(self) -> str:
        """The worst severity among the firing alerts (among all once none fires)."""
        return highest_severity(a.severity for a in (self.firing or self.alerts))

    @property
    def alertname(self) -> str | None:
        """The alert name every alert of the group shares, if any."""
        name = self.common_labels.get("alertname") or self.group_labels.get("alertname")
        return name or None

    def common_target(self, target_labels: Sequence[str]) -> str | None:
        """The target every alert of the group shares (``instance`` without its port)."""
        for label in target_labels:
            value = self.common_labels.get(label) or self.group_labels.get(label)
            if value:
                return strip_port(value) if label == "instance" else value
        return None

    def audience(self, target_labels: Sequence[str]) -> Audience:
        """Severity and every target name of the group, to choose its subscribers."""
        names = [n for a in self.alerts for n in target_names(a.labels, target_labels)]
        return Audience.of(self.severity, names)

    def silence_command(self, duration: str, target_labels: Sequence[str]) -> str | None:
        """The chat command that silences this group for ``duration`` (``1h``).

        A group is what its group labels (Alertmanager's ``group_by``) say, so the command
        names the group's alert name and target *label* values, the two things a chat
        silence can name: grouped by alert name only, it silences that alert everywhere;
        grouped by alert name and instance, only there. None when the group labels hold
        neither in a form the parser reads: a button that would silence every alert is
        never offered.
        """
        name = self.group_labels.get("alertname")
        name = name if name and PLAIN_NAME.fullmatch(name) else None
        target = _grouped_target(self.group_labels, target_labels)
        if name and target:
            return f"silence {name} on {target} for {duration}"
        if name:
            return f"silence {name} for {duration}"
        if target:
            return f"silence alerts on {target} for {duration}"
        return None


def _grouped_target(group_labels: Mapping[str, str], target_labels: Sequence[str]) -> str | None:
    for label in target_labels:
        value = group_labels.get(label)
        if value:
            name = strip_port(value) if label == "instance" else value
            return name if PLAIN_NAME.fullmatch(name) else None
    return None
