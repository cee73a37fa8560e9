"""Alert posts in channels: Alertmanager notifications grouped as Alertmanager grouped them,
posted to the channels subscribed to them on every platform and edited in place as alerts
resolve or join; subscriptions, silences and acknowledgements from chat.

The feature only: storage lives in :mod:`storage.sql.alert_store`, the Alertmanager API
client and webhook in :mod:`adapters.alertmanager`, and :func:`bot.app.wiring.alerts.open_alerting`
builds an :class:`~bot.features.alerts.alerting.Alerting` for the composition root.
"""
