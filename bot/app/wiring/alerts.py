"""The alert side in the composition root: :func:`open_alerting` builds the shared store,
the Alertmanager client (when ``ALERTMANAGER_URL`` is set), the publisher, the services
behind the chat commands and the ``POST /alertmanager`` route, and closes them with ``stack``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from bot.app.config import Settings
from bot.app.plugins import DependencyCheck
from bot.core.ports import ChannelPoster
from bot.features.alerts.alerting import Alerting
from bot.features.alerts.notifier import AlertNotifier
from bot.features.alerts.ports import PostTelemetry, SilenceBackend
from bot.features.alerts.publisher import ChannelPublisher
from bot.features.alerts.silences import SilenceService
from bot.features.alerts.subscriptions import SubscriptionService
from storage.sql import open_alert_store


async def open_alerting(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    *,
    posters: Mapping[str, ChannelPoster],
    checks: list[DependencyCheck],
    telemetry: PostTelemetry | None = None,
) -> Alerting:
    """Everything the alert side needs, for ``settings``.

    ``posters`` must be the very mapping the platform adapters fill in as they start
    (``Services.posters``): it is read at every publish, not copied.
    """
    store = await stack.enter_async_context(
        open_alert_store(
            settings.database_url, settings.file.database, persistent=persistent_alerts(settings)
        )
    )
    feed: SilenceBackend | None = None
    if settings.alertmanager_url:
        # Imported here: the client brings aiohttp, which a console session without
        # Alertmanager never needs (start-up time, bench/RESULTS_STARTUP.md).
        from adapters.alertmanager.client import AlertmanagerClient

        client = AlertmanagerClient(settings.alertmanager_url)
        stack.push_async_callback(client.aclose)
        checks.append(DependencyCheck("alertmanager", client.ping))
        feed = client
    target_labels = settings.file.target_labels
    publisher = ChannelPublisher(store, store, posters, telemetry=telemetry)
    notifier = AlertNotifier(store, publisher, target_labels=target_labels)
    return Alerting(
        publisher=publisher,
        notifier=notifier,
        subscriptions=SubscriptionService(store, posters),
        silences=SilenceService(feed, target_labels=target_labels),
        feed=feed,
        history=store,
    )


def persistent_alerts(settings: Settings) -> bool:
    """Whether subscriptions must outlive the process: a database is configured, or some
    chat platform can post. The console alone cannot receive posts, so a console session
    gets a throw-away database and leaves nothing behind."""
    return bool(
        settings.database_url
        or settings.slack_enabled
        or settings.teams_enabled
        or settings.discord_enabled
    )
