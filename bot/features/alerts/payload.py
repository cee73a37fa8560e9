"""Alertmanager's webhook payload (version 4), validated at the edge.

Alertmanager posts one notification per alert group: every alert of the group as it stands
(firing and recently resolved), the group's key and labels, and the labels common to all of
its alerts. ``endsAt`` of a firing alert is Go's zero time (``0001-01-01T00:00:00Z``); it is
read as "no end". See https://prometheus.io/docs/alerting/latest/configuration/#webhook_config.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.core.errors import InvalidInput

MAX_ALERTS = 1000
_NO_TIME_BEFORE = datetime(1971, 1, 1, tzinfo=UTC)

Status = Literal["firing", "resolved"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class WebhookAlert(_Model):
    """One alert of a notification."""

    status: Status
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = Field(default=None, alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = ""

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _zero_time_is_none(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return None if value < _NO_TIME_BEFORE else value.astimezone(UTC)


class Notification(_Model):
    """One webhook notification: an alert group as Alertmanager grouped it."""

    version: str = "4"
    group_key: str = Field(alias="groupKey", min_length=1, max_length=4096)
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts", ge=0)
    status: Status
    receiver: str = ""
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: tuple[WebhookAlert, ...] = Field(min_length=1, max_length=MAX_ALERTS)

    def to_json(self) -> str:
        """The notification as JSON in Alertmanager's own spelling (stored as the group's
        snapshot, read back with :func:`parse_notification`)."""
        return self.model_dump_json(by_alias=True)


def parse_notification(raw: bytes | str) -> Notification:
    """The notification in ``raw``; :class:`InvalidInput` saying what is wrong otherwise."""
    try:
        return Notification.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidInput(f"not an Alertmanager notification: {where}: {first['msg']}") from None
