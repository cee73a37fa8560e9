"""Alert posts in channels: Alertmanager notifications grouped as Alertmanager grouped them,
posted to the channels subscribed to them on every platform and edited in place as alerts
resolve or join; subscriptions, silences and acknowledgements from chat.

The core only: storage lives in :mod:`storage.sql.alert_store`, the Alertmanager API client
in :mod:`adapters.alertmanager`, and :func:`adapters.alertmanager.wiring.open_alerting`
builds an :class:`Alerting` for the composition root.

The names below are imported on first use (:mod:`bot.lazy`): every parser needs
:class:`AlertRoute`, and ``smartcloudops parse`` should not load the webhook, the publisher and
aiohttp with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.lazy import lazy_exports
from bot.ports import MetricsSource

if TYPE_CHECKING:
    from bot.alerts.notifier import AckOutcome, AlertNotifier, incident_key
    from bot.alerts.ports import GroupHistory, SilenceBackend
    from bot.alerts.publisher import ChannelPublisher
    from bot.alerts.route import ALERT_INTENTS, AlertRoute, parse_alert_command
    from bot.alerts.silences import SilenceService
    from bot.alerts.source import AlertmanagerAlerts
    from bot.alerts.subscriptions import SubscriptionService
    from bot.server import WebPlugin
else:
    __getattr__ = lazy_exports(
        __name__,
        {
            "bot.alerts.notifier": ("AckOutcome", "AlertNotifier", "incident_key"),
            "bot.alerts.publisher": ("ChannelPublisher",),
            "bot.alerts.route": ("ALERT_INTENTS", "AlertRoute", "parse_alert_command"),
            "bot.alerts.silences": ("SilenceService",),
            "bot.alerts.source": ("AlertmanagerAlerts",),
            "bot.alerts.subscriptions": ("SubscriptionService",),
        },
    )

__all__ = [
    "ALERT_INTENTS",
    "AckOutcome",
    "AlertNotifier",
    "AlertRoute",
    "Alerting",
    "AlertmanagerAlerts",
    "ChannelPublisher",
    "SilenceService",
    "SubscriptionService",
    "incident_key",
    "parse_alert_command",
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

    def alerts_source(self, metrics: MetricsSource) -> MetricsSource:
        """``metrics``, with alerts read from Alertmanager when it is configured."""
        from bot.alerts.source import AlertmanagerAlerts

        return metrics if self.feed is None else AlertmanagerAlerts(metrics, self.feed)
