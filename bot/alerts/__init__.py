"""Alert posts in channels: Alertmanager notifications grouped as Alertmanager grouped them,
posted to the channels subscribed to them on every platform and edited in place as alerts
resolve or join; subscriptions, silences and acknowledgements from chat.

The core only: storage lives in :mod:`storage.sql.alert_store`, the Alertmanager API client
in :mod:`adapters.alertmanager`, and :func:`adapters.alertmanager.wiring.open_alerting`
builds an :class:`Alerting` for the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.alerts.notifier import AckOutcome, AlertNotifier, incident_key
from bot.alerts.ports import GroupHistory, SilenceBackend
from bot.alerts.publisher import ChannelPublisher
from bot.alerts.silences import SilenceService
from bot.alerts.subscriptions import SubscriptionService
from bot.ports import AlertSource
from bot.server import WebPlugin

__all__ = [
    "AckOutcome",
    "AlertNotifier",
    "Alerting",
    "ChannelPublisher",
    "SilenceService",
    "SubscriptionService",
    "incident_key",
]


@dataclass(frozen=True)
class Alerting:
    """Everything the alert side gives the composition root: the :class:`Publisher`, the
    services behind the chat commands, the webhook route and, when Alertmanager is
    configured, its API (``feed``) for alerts lists; ``history`` is the group store read
    back (the daily digest's "what fired")."""

    publisher: ChannelPublisher
    notifier: AlertNotifier
    subscriptions: SubscriptionService
    silences: SilenceService
    webhook: WebPlugin
    feed: SilenceBackend | None = None
    history: GroupHistory | None = None

    def alerts_source(self, metrics: AlertSource) -> AlertSource:
        """Where "what is firing" is read: Alertmanager when it is configured (it holds
        what every Prometheus fires, after inhibition and silences), else ``metrics``."""
        return metrics if self.feed is None else self.feed
