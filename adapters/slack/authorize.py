"""Who the bot is on Slack (``auth.test``), asked once per process and shared.

Bolt's built-in single-workspace authorization calls ``auth.test`` on the first request and
caches the answer, but every request that arrives before that first answer makes its own
call: at a cold start under load, a thousand commands made a thousand ``auth.test`` calls
(and their acknowledgements waited on them, p99 1.95 s). :class:`SharedAuthorization` is
Bolt's ``authorize`` instead: one call in flight at a time that every concurrent request
waits for, its answer kept for the life of the process. A failed call is not kept, so the
next request asks again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.web.async_client import AsyncWebClient


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
