"""The ports of the alert-posting side: shared storage (subscriptions, posts, groups) and
Alertmanager's silences API. Implementations: :mod:`storage.sql.alert_store` and
:mod:`adapters.alertmanager.client`.

Every method raises :class:`bot.core.errors.DependencyError` when its backend is down; the
callers fail closed (no post is made that could not be recorded, so none is ever doubled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.ports import ChannelRef, PostedRef
from bot.features.alerts.model import (
    Acknowledgement,
    GroupRecord,
    PostClaim,
    Silence,
    SilenceDraft,
    StoredPost,
    Subscription,
)
from bot.features.metrics.ports import Alert


class SubscriptionStore(Protocol):
    """Subscriptions keyed by channel (platform, team, channel, thread) plus their filters."""

    async def add_subscription(self, subscription: Subscription, at: datetime) -> bool:
        """Store it; False when the channel already has exactly these filters."""
        ...

    async def remove_subscription(self, subscription: Subscription) -> bool:
        """Remove the channel's subscription with exactly these filters; False if none."""
        ...

    async def clear_subscriptions(self, channel: ChannelRef) -> int:
        """Remove every subscription of ``channel``; how many there were."""
        ...

    async def subscriptions(self, channel: ChannelRef | None = None) -> list[Subscription]:
        """The subscriptions of ``channel``, or all of them."""
        ...


class PostStore(Protocol):
    """Which message each channel got for each key, shared by every replica.

    ``claim_post`` is the once-per-channel guarantee: of all callers (any replica) for the
    same key and channel exactly one wins, until it records the post or releases the claim.
    A claim never recorded (its replica died) can be taken over after ``stale_before``.
    """

    async def claim_post(
        self, key: str, channel: ChannelRef, now: datetime, stale_before: datetime
    ) -> PostClaim: ...

    async def record_post(
        self, key: str, channel: ChannelRef, posted: PostedRef, digest: str, now: datetime
    ) -> None: ...

    async def release_post(self, key: str, channel: ChannelRef) -> None:
        """Drop an unrecorded claim (the post failed), so a later publish can try again."""
        ...

    async def set_digest(
        self, key: str, channel: ChannelRef, digest: str, now: datetime
    ) -> None: ...

    async def posts(self, key: str) -> list[StoredPost]:
        """Every recorded post of ``key``."""
        ...


class GroupStore(Protocol):
    """Alertmanager groups by key hash: last notification, incident epoch, acknowledgement."""

    async def record_group(
        self, key_hash: str, group_key: str, status: str, snapshot: str, now: datetime
    ) -> GroupRecord:
        """Store the group's latest notification. A resolved group that fires again starts
        a new epoch with no acknowledgement; otherwise the epoch and ack are kept."""
        ...

    async def find_groups(self, prefix: str, limit: int = 5) -> list[GroupRecord]:
        """Groups whose key hash starts with ``prefix`` (lower-case hex)."""
        ...

    async def firing_groups(self, limit: int = 200) -> list[GroupRecord]:
        """The groups whose latest notification is firing, most recently updated first."""
        ...

    async def acknowledge(self, key_hash: str, ack: Acknowledgement) -> GroupRecord:
        """Record ``ack`` unless the current incident is acknowledged already; the record
        with whichever acknowledgement stands."""
        ...


class GroupHistory(Protocol):
    """The stored groups a report of "what fired since then" must read (read-only)."""

    async def groups_since(self, since: datetime, limit: int = 1000) -> list[GroupRecord]:
        """Every group notified at or after ``since`` and every group still firing (however
        long ago its last notification came), most recently notified first, at most
        ``limit``. Each record holds only the group's *latest* notification: a group that
        resolved and fired again shows its current incident (the epoch says how many)."""
        ...


class SilenceBackend(Protocol):
    """Alertmanager's silences and alerts (API v2).

    Raises :class:`bot.core.errors.InvalidInput` when Alertmanager rejects a request (its reason
    in the message) and :class:`bot.core.errors.DependencyError` when it is unreachable.
    """

    description: str
    """Named in the footer of an alerts list read from it ("Alertmanager")."""

    async def create_silence(self, draft: SilenceDraft) -> str:
        """Create a silence; its id."""
        ...

    async def list_silences(self) -> list[Silence]: ...

    async def expire_silence(self, silence_id: str) -> None: ...

    async def alerts(self) -> list[Alert]:
        """Every alert Alertmanager holds: ``firing``, ``suppressed`` (silenced or
        inhibited) or ``pending`` (not yet processed)."""
        ...


class PostTelemetry(Protocol):
    """Where the publisher reports each post to a channel: ``posted``, ``updated`` (an edit),
    ``failed`` (the platform refused or could not be reached) or ``skipped`` (the platform
    is not enabled on this replica). Implementation: :class:`bot.core.telemetry.Telemetry`."""

    def post_result(self, platform: str, result: str) -> None: ...


class Uncounted:
    """A :class:`PostTelemetry` that counts nothing (test rigs built by hand)."""

    def post_result(self, platform: str, result: str) -> None:
        """Nothing to count."""
