"""What the alert side gives the composition root: the publisher, the services behind the
chat commands and, when Alertmanager is configured, its API."""

from __future__ import annotations

from dataclasses import dataclass

from bot.features.alerts.notifier import AlertNotifier
from bot.features.alerts.ports import GroupHistory, SilenceBackend
from bot.features.alerts.publisher import ChannelPublisher
from bot.features.alerts.silences import SilenceService
from bot.features.alerts.subscriptions import SubscriptionService
from bot.features.metrics.ports import AlertSource


@dataclass(frozen=True)
class Alerting:
    """Everything the alert side gives the composition root: the :class:`Publisher`, the
    services behind the chat commands and, when Alertmanager is
    configured, its API (``feed``) for alerts lists; ``history`` is the group store read
    back (the daily digest's "what fired")."""

    publisher: ChannelPublisher
    notifier: AlertNotifier
    subscriptions: SubscriptionService
    silences: SilenceService
    feed: SilenceBackend | None = None
    history: GroupHistory | None = None

    def alerts_source(self, metrics: AlertSource) -> AlertSource:
        """Where "what is firing" is read: Alertmanager when it is configured (it holds
        what every Prometheus fires, after inhibition and silences), else ``metrics``."""
        return metrics if self.feed is None else self.feed
