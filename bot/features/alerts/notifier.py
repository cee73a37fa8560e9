"""Alertmanager notifications into channel posts, and acknowledgements from chat.

Every notification is the whole group as it stands, so the post is re-rendered from it and
published under the group's *incident* key: alerts joining or resolving edit the same posts;
a group that resolved and later fires again is a new incident with new posts (its old posts
stay, marked resolved). The last notification is stored with the group, so an
acknowledgement can re-render the posts on any replica, after any restart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.errors import InvalidInput, NotFoundError
from bot.core.model import IncomingMessage, Reply
from bot.features.alerts.group import AlertGroup
from bot.features.alerts.model import Acknowledgement, GroupRecord
from bot.features.alerts.ports import GroupStore
from bot.features.alerts.publisher import ChannelPublisher, Clock, utc_now
from bot.features.alerts.render import render_group

if TYPE_CHECKING:  # the payload's pydantic models: imported when one is first parsed
    from bot.features.alerts.payload import Notification

_GROUP_ID = re.compile(r"[0-9a-f]{4,64}")


def incident_key(record: GroupRecord) -> str:
    """The publish key of a group's current incident."""
    return f"alertmanager:{record.key_hash}:{record.epoch}"


@dataclass(frozen=True, slots=True)
class AckOutcome:
    """An acknowledgement: the group, whose acknowledgement stands, and whether it was this
    request's (False: someone had acknowledged it already)."""

    group: AlertGroup
    ack: Acknowledgement
    new: bool
    posts_updated: int


class AlertNotifier:
    """Turns notifications into published posts; records acknowledgements."""

    def __init__(
        self,
        groups: GroupStore,
        publisher: ChannelPublisher,
        *,
        target_labels: Sequence[str],
        clock: Clock = utc_now,
    ) -> None:
        self._groups = groups
        self._publisher = publisher
        self._target_labels = tuple(target_labels)
        self._clock = clock

    async def notify(self, notification: Notification) -> int:
        """Record the group and publish its post; how many channels were posted or edited."""
        group = AlertGroup.from_notification(notification)
        record = await self._groups.record_group(
            group.key_hash, group.key, group.status, notification.to_json(), self._clock()
        )
        reply = self.render(group, record.ack)
        return await self._publisher.publish_to(
            incident_key(record), reply, group.audience(self._target_labels)
        )

    async def acknowledge(self, group_id: str, message: IncomingMessage) -> AckOutcome:
        """Acknowledge the group whose short id (or a unique prefix of it) is ``group_id``,
        or the one firing group of that alert name, as the message's user, and show it on
        every post of the group. Several firing groups of one name are listed, never guessed."""
        record = await self._find(group_id)
        ack = Acknowledgement(message.user_id, message.user_name, self._clock())
        stored = await self._groups.acknowledge(record.key_hash, ack)
        standing = stored.ack or ack
        group = _group_of(stored.snapshot)
        updated = await self._publisher.refresh(incident_key(stored), self.render(group, standing))
        return AckOutcome(group, standing, standing == ack, updated)

    async def _firing_named(self, alertname: str) -> GroupRecord:
        """The one firing group whose alerts are all named ``alertname`` (any case)."""
        named = []
        for record in await self._groups.firing_groups():
            group = _group_of(record.snapshot)
            if (group.alertname or "").casefold() == alertname.casefold():
                named.append((record, group))
        if not named:
            raise NotFoundError(
                f"No {alertname} alert is firing.",
                hint="Say `alerts` to see what is firing, or `ack` with the group id from the "
                "alert post's footer.",
            )
        if len(named) > 1:
            choices = ", ".join(
                f"`ack {record.short_id}` ({group.common_target(self._target_labels) or 'mixed'})"
                for record, group in named[:5]
            )
            raise InvalidInput(
                f"{alertname} is firing in {len(named)} groups; which one?", hint=choices
            )
        return named[0][0]

    def render(self, group: AlertGroup, ack: Acknowledgement | None) -> Reply:
        return render_group(group, ack, target_labels=self._target_labels)

    async def _find(self, group_id: str) -> GroupRecord:
        wanted = group_id.strip().lstrip("#").lower()
        if not _GROUP_ID.fullmatch(wanted):
            return await self._firing_named(group_id.strip())
        found = await self._groups.find_groups(wanted)
        if not found:
            raise NotFoundError(
                f"No alert group has an id starting with {wanted}.",
                hint="The id is in the alert post's footer (Alertmanager · group ...).",
            )
        if len(found) > 1:
            ids = ", ".join(r.short_id for r in found)
            raise InvalidInput(f"{wanted} matches several alert groups ({ids}); give more of it.")
        return found[0]


def _group_of(snapshot: str) -> AlertGroup:
    """The group a stored snapshot (a notification as received) describes. The payload
    parser (pydantic) is imported here, at the first use, not with the module: a console
    session has no alerts to read (start-up time, bench/RESULTS_STARTUP.md)."""
    from bot.features.alerts.payload import parse_notification

    return AlertGroup.from_notification(parse_notification(snapshot))
