"""``POST /alertmanager``: Alertmanager's webhook receiver, mounted on the bot's server.

Authentication comes first and nothing else runs without it: the request must carry the
configured token (``ALERTMANAGER_WEBHOOK_TOKEN``, or ``alertmanager_token`` in the config
file) as ``Authorization: Bearer <token>`` (Alertmanager's ``http_config.authorization``) or
as the password of ``Authorization: Basic`` (``http_config.basic_auth``), compared in
constant time; anything else is 401. With no token configured every request is refused.
A body that is not an Alertmanager notification is 400. A storage outage is 503, so
Alertmanager retries; posts already made are then edited, not repeated. Each notification is
counted by result (``ok``, ``unauthorized``, ``invalid``, ``unavailable``).

Configure Alertmanager with, for example::

    receivers:
      - name: smartcloudops
        webhook_configs:
          - url: http://smartcloudops:8080/alertmanager
            send_resolved: true
            http_config:
              authorization: {credentials_file: /etc/alertmanager/smartcloudops-token}
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from bot.core.errors import DependencyError, InvalidInput
from bot.features.alerts.notifier import AlertNotifier
from bot.features.alerts.payload import parse_notification

log = logging.getLogger(__name__)

ROUTE = "/alertmanager"
Mount = Callable[[web.Application], None]
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="alertmanager"'}


class NotificationTelemetry(Protocol):
    """Counts notifications by result (:class:`bot.core.telemetry.Telemetry`)."""

    def alertmanager_notification(self, result: str) -> None: ...


class _Uncounted:
    def alertmanager_notification(self, result: str) -> None:
        """Nothing to count."""


class AlertmanagerWebhook:
    """Checks the token, validates the notification and hands it to the notifier."""

    def __init__(
        self,
        notifier: AlertNotifier,
        token: str | None,
        telemetry: NotificationTelemetry | None = None,
    ) -> None:
        self._notifier = notifier
        self._token = token.encode("utf-8") if token else None
        self._telemetry = telemetry or _Uncounted()

    async def handle(self, request: web.Request) -> web.Response:
        result, response = await self._answer(request)
        self._telemetry.alertmanager_notification(result)
        return response

    async def _answer(self, request: web.Request) -> tuple[str, web.Response]:
        if not self.authorised(request.headers.get("Authorization", "")):
            refusal = web.json_response({"error": "unauthorized"}, status=401, headers=_CHALLENGE)
            return "unauthorized", refusal
        try:
            notification = parse_notification(await request.read())
        except InvalidInput as exc:
            return "invalid", web.json_response({"error": exc.message}, status=400)
        try:
            channels = await self._notifier.notify(notification)
        except DependencyError as exc:
            log.warning("alert notification not published: %s is down", exc.dependency)
            unavailable = {"error": f"{exc.dependency} unavailable"}
            return "unavailable", web.json_response(unavailable, status=503)
        return "ok", web.json_response({"status": "ok", "channels": channels})

    def authorised(self, header: str) -> bool:
        """Whether ``header`` (an ``Authorization`` value) carries the configured token."""
        if self._token is None:
            return False
        presented = _credential(header)
        return presented is not None and hmac.compare_digest(presented, self._token)


def _credential(header: str) -> bytes | None:
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value.encode("utf-8")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        _, colon, password = decoded.partition(b":")
        return password if colon and password else None
    return None


def webhook_plugin(
    notifier: AlertNotifier, token: str | None, telemetry: NotificationTelemetry | None = None
) -> Mount:
    """The plugin that mounts ``POST /alertmanager``."""
    webhook = AlertmanagerWebhook(notifier, token, telemetry)

    def mount(app: web.Application) -> None:
        if token is None:
            log.warning(
                "ALERTMANAGER_WEBHOOK_TOKEN is not set: POST %s refuses every notification", ROUTE
            )
        app.router.add_post(ROUTE, webhook.handle)

    return mount
