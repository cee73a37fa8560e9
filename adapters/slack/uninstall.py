"""``app_uninstalled`` and ``tokens_revoked`` in OAuth mode: the workspace's installation (its
bot token with it) is deleted *before* Slack is acknowledged.

Bolt's built-in listeners for these events delete after the acknowledgement, in a task nobody
waits for: if the database is down at that moment the deletion is lost (Slack does not send the
event again) and the revoked token stays stored. Here the deletion runs in a listener
middleware, ahead of the acknowledgement, so a failure answers 500 and Slack delivers the
event again. The next request from that workspace finds no installation and is refused
(:class:`~adapters.slack.authorize.InstallationAuthorization`).

Revoked bot tokens delete the whole installation (this app asks for no user scopes, so an
installation without its bot token is of no use); revoked user tokens delete those users'
installations only, as Bolt does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

log = logging.getLogger(__name__)

Next = Callable[[], Awaitable[None]]


class Revocations:
    """The two listeners, registered on a Bolt app by :meth:`register`."""

    def __init__(self, installations: AsyncInstallationStore) -> None:
        self._installations = installations

    def register(self, bolt: AsyncApp) -> None:
        bolt.event("app_uninstalled", middleware=[self._uninstalled])(_acknowledge)
        bolt.event("tokens_revoked", middleware=[self._revoked])(_acknowledge)

    async def _uninstalled(self, context: AsyncBoltContext, next_: Next) -> None:
        await self._installations.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=context.team_id
        )
        log.info("slack: team %s uninstalled the app; its installation is deleted",
                 context.team_id)  # fmt: skip
        await next_()

    async def _revoked(self, event: dict[str, Any], context: AsyncBoltContext, next_: Next) -> None:
        tokens = event.get("tokens") or {}
        enterprise_id, team_id = context.enterprise_id, context.team_id
        if tokens.get("bot"):
            await self._installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
            log.info("slack: team %s revoked the bot token; its installation is deleted",
                     team_id)  # fmt: skip
        for user_id in tokens.get("oauth") or ():
            await self._installations.async_delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )
        await next_()


async def _acknowledge() -> None:
    """The work was done before the acknowledgement (in the middleware)."""
