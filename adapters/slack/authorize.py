"""Bolt's ``authorize``: who the bot is in the workspace a request comes from, and its token.

Single-token mode (``SLACK_BOT_TOKEN``, one workspace): :class:`SharedAuthorization`, the
bot's identity from ``auth.test``, asked once per process and shared.

Bolt's built-in single-workspace authorization calls ``auth.test`` on the first request and
caches the answer, but every request that arrives before that first answer makes its own
call: at a cold start under load, a thousand commands made a thousand ``auth.test`` calls
(and their acknowledgements waited on them, p99 1.95 s). :class:`SharedAuthorization` is
Bolt's ``authorize`` instead: one call in flight at a time that every concurrent request
waits for, its answer kept for the life of the process. A failed call is not kept, so the
next request asks again.

OAuth mode (many workspaces): :class:`InstallationAuthorization`, the requesting workspace's
bot from the installation store, looked up on every request, so an uninstall (which deletes
the installation) takes effect at once on every replica. The stored bot record carries the
bot's ids, so no ``auth.test`` is needed. A workspace without an installation is refused: Bolt
answers with :data:`NOT_INSTALLED` (a slash command's user sees it) and nothing reaches the
listeners.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import ConfigError, DependencyError

log = logging.getLogger(__name__)

NOT_INSTALLED = (
    "SmartCloudOps is not installed in this Slack workspace (it may have been removed). "
    "Ask a workspace admin to install it again."
)


class SharedAuthorization(AsyncAuthorize):
    """Bolt's ``authorize=``: the bot token's identity from a single shared ``auth.test``."""

    def __init__(self, client: AsyncWebClient) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._client = client
        self._identity: Any = None
        self._asking: asyncio.Task[Any] | None = None

    async def __call__(self, *, user_id: str | None, **_: Any) -> AuthorizeResult:
        """The result Bolt puts in each request's context (``user_id`` is the requester;
        the workspace and enterprise ids Bolt passes are the token's own, single workspace)."""
        identity = await self._auth_test()
        return AuthorizeResult(
            enterprise_id=identity.get("enterprise_id"),
            team_id=identity.get("team_id"),
            bot_id=identity.get("bot_id"),
            bot_user_id=identity.get("user_id"),
            bot_token=self._client.token,
            bot_scopes=identity.headers.get("x-oauth-scopes"),
            user_id=user_id,
        )

    async def _auth_test(self) -> Any:
        if self._identity is not None:
            return self._identity
        if self._asking is None:
            self._asking = asyncio.create_task(self._client.auth_test())
            self._asking.add_done_callback(self._settle)
        return await asyncio.shield(self._asking)

    def _settle(self, task: asyncio.Task[Any]) -> None:
        self._asking = None
        if not task.cancelled() and task.exception() is None:
            self._identity = task.result()


class InstallationAuthorization(AsyncAuthorize):
    """Bolt's ``authorize=`` in OAuth mode: the workspace's bot from ``installations``."""

    def __init__(self, installations: AsyncInstallationStore) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._installations = installations

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_: Any,
    ) -> AuthorizeResult | None:
        """The workspace's bot, or None (refused) when the workspace has no installation.

        A store that is down raises :class:`DependencyError`: Bolt answers 500 and Slack
        delivers the event again later, rather than being told the app is not installed."""
        try:
            bot = await self._installations.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=context.is_enterprise_install,
            )
        except DependencyError as exc:
            log.warning("slack: cannot look up the installation of team %s: %s", team_id, exc)
            raise
        except ConfigError as exc:
            log.warning("slack: refused a request from team %s: %s", team_id, exc)
            return None
        if bot is None or not bot.bot_token:
            log.warning(
                "slack: refused a request from team %s: no installation (never installed, "
                "or uninstalled)",
                team_id,
            )
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )
