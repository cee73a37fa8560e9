"""Subscriptions from chat: ``subscribe critical``, ``subscribe warning for checkout-api``,
``unsubscribe``, ``subscriptions``.

A subscription belongs to the place it was made in (platform, team, channel and thread, by
immutable ids) and is stored in the shared database, so every replica posts by it. A chat
whose platform cannot post proactively (the console) cannot subscribe.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import datetime

from bot.core.errors import InvalidInput, NotFoundError, UserError
from bot.core.model import IncomingMessage
from bot.core.ports import ChannelRef
from bot.features.alerts.model import SEVERITY_RANK, Subscription
from bot.features.alerts.ports import SubscriptionStore
from bot.features.alerts.publisher import utc_now


def channel_of(message: IncomingMessage) -> ChannelRef:
    """Where alert posts for a subscription made by ``message`` go."""
    return ChannelRef(message.platform, message.team_id, message.channel_id, message.thread_id)


class SubscriptionService:
    """Adds, removes and lists a channel's subscriptions.

    ``platforms`` is the set of platforms that can post (the composition root's posters,
    filled in as adapters start, so it is read at each call).
    """

    def __init__(
        self,
        store: SubscriptionStore,
        platforms: Container[str],
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._platforms = platforms
        self._clock = clock

    async def subscribe(
        self, message: IncomingMessage, severity: str | None, target: str | None
    ) -> tuple[Subscription, bool]:
        """The channel's new subscription and whether it is new (False: it existed)."""
        channel = self._postable(message)
        wanted = Subscription(
            channel,
            _severity(severity),
            _target(target),
            created_by=message.user_id,
            created_by_name=message.user_name,
        )
        added = await self._store.add_subscription(wanted, self._clock())
        return wanted, added

    async def unsubscribe(
        self, message: IncomingMessage, severity: str | None, target: str | None
    ) -> list[Subscription]:
        """Remove the subscription with these filters, or all of the channel's when none
        are given; the ones removed. Unknown filters raise :class:`NotFoundError`."""
        channel = channel_of(message)
        existing = await self._store.subscriptions(channel)
        if severity is None and target is None:
            await self._store.clear_subscriptions(channel)
            return existing
        wanted = Subscription(channel, _severity(severity), _target(target))
        if await self._store.remove_subscription(wanted):
            return [wanted]
        have = "; ".join(f"`{command(s)}`" for s in existing) or "none"
        raise NotFoundError(
            f"This channel has no subscription to {wanted.describe()}.",
            hint=f"Its subscriptions: {have}. `unsubscribe` alone removes them all.",
        )

    async def subscriptions(self, message: IncomingMessage) -> list[Subscription]:
        return await self._store.subscriptions(channel_of(message))

    def _postable(self, message: IncomingMessage) -> ChannelRef:
        if message.platform not in self._platforms:
            raise UserError(
                f"I cannot post alerts into this chat ({message.platform}).",
                hint="Subscribe from a Slack, Teams or Discord channel I am in.",
            )
        return channel_of(message)


def command(subscription: Subscription) -> str:
    """The command that made ``subscription`` (``subscribe warning for checkout-api``)."""
    parts = ["subscribe"]
    if subscription.severity:
        parts.append(subscription.severity)
    if subscription.target:
        parts.append(f"for {subscription.target}")
    return " ".join(parts)


def _severity(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    severity = raw.strip().lower()
    if severity not in SEVERITY_RANK:
        raise InvalidInput(f"'{raw}' is not a severity.", hint="Use critical, warning or info.")
    return severity


def _target(raw: str | None) -> str | None:
    target = (raw or "").strip()
    return target or None
