"""Slack OAuth mode on SQL: which workspaces installed the app (with their bot tokens) and the
OAuth ``state`` of installs in progress, on the project's database and async engine.

Both are ``slack_sdk``'s own async SQLAlchemy stores (``AsyncSQLAlchemyInstallationStore``,
``AsyncSQLAlchemyOAuthStateStore``), which run on an ``AsyncEngine`` and so never block the
event loop, put on the tables of :mod:`storage.sql.slack`. Around them:

* **encryption at rest**: :class:`EncryptedInstallationStore` seals every credential
  (:data:`~storage.sql.slack.SECRET_COLUMNS`) with Fernet (AES-128-CBC with an HMAC-SHA256,
  from ``cryptography``) before the SDK store sees it, and opens it after. The SDK store only
  ever handles ciphertext, so a database dump or backup holds no usable token; the key
  (``SLACK_TOKEN_ENCRYPTION_KEY``) lives in the environment, not the database;
* **bounds and errors**: every call runs within the configured time bound
  (:mod:`storage.sql.bounded`) and a driver failure becomes
  :class:`~bot.core.errors.DependencyError`, like the project's other stores;
* **expired states** are swept when a new one is issued (an abandoned install leaves one).
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import ConfigError, DependencyError
from storage.sql.bounded import DEPENDENCY, CallBound
from storage.sql.engine import migrated_engine
from storage.sql.slack import BOTS, INSTALLATIONS, OAUTH_STATES, SECRET_COLUMNS
from storage.sql.timeouts import DatabaseTimeouts

log = logging.getLogger(__name__)

T = TypeVar("T")
Sealable = TypeVar("Sealable", Installation, Bot)

KEY_NAME = "SLACK_TOKEN_ENCRYPTION_KEY"
#: How long an install may take between ``/slack/install`` and Slack's redirect back.
STATE_EXPIRATION_SECONDS = 600
_UNAVAILABLE = "The Slack installation database is unavailable. Check that the database is up."


class TokenCipher:
    """Fernet over token strings. ``None`` stays ``None`` (a missing token is not a secret)."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError:
            raise ConfigError(
                f"{KEY_NAME} is not a Fernet key (32 url-safe base64-encoded bytes); make one "
                "with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None

    def seal(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, value: str | None) -> str | None:
        """The token; a :class:`ConfigError` when it was sealed with another key."""
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                f"A stored Slack token cannot be decrypted with {KEY_NAME}: the key changed "
                "since the workspace installed the app. Restore the old key, or reinstall the "
                "app in that workspace."
            ) from None


class EncryptedInstallationStore(AsyncInstallationStore):
    """``slack_sdk``'s installation store with every credential encrypted at rest (see the
    module docstring). ``inner`` only ever sees ciphertext."""

    def __init__(self, inner: AsyncInstallationStore, cipher: TokenCipher, bound: CallBound):
        self._inner = inner
        self._cipher = cipher
        self._bound = bound

    @property
    def logger(self) -> logging.Logger:
        return log

    @property
    def bound(self) -> CallBound:
        return self._bound

    async def async_save(self, installation: Installation) -> None:
        await self._run(self._inner.async_save(self._sealed(installation)))

    async def async_save_bot(self, bot: Bot) -> None:
        await self._run(self._inner.async_save_bot(self._sealed(bot)))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await self._run(
            self._inner.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        )
        return None if found is None else self._opened(found)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await self._run(
            self._inner.async_find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        )
        return None if found is None else self._opened(found)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._run(self._inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id))

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self._run(
            self._inner.async_delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )
        )

    def _sealed(self, record: Sealable) -> Sealable:
        sealed = copy.copy(record)
        for name in SECRET_COLUMNS:
            if hasattr(sealed, name):
                setattr(sealed, name, self._cipher.seal(getattr(sealed, name)))
        return sealed

    def _opened(self, record: Sealable) -> Sealable:
        for name in SECRET_COLUMNS:
            if hasattr(record, name):
                setattr(record, name, self._cipher.open(getattr(record, name)))
        return record

    async def _run(self, call: Coroutine[Any, Any, T]) -> T:
        return await _bounded(self._bound, call)


class BoundedStateStore(AsyncOAuthStateStore):
    """``slack_sdk``'s state store within the time bound, sweeping expired states on issue.

    A state is single-use: ``async_consume`` deletes it, so a replayed redirect is refused.
    """

    def __init__(self, inner: AsyncSQLAlchemyOAuthStateStore, bound: CallBound) -> None:
        self._inner = inner
        self._bound = bound

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        await _bounded(self._bound, self._sweep())
        state: str = await _bounded(self._bound, self._inner.async_issue())
        return state

    async def async_consume(self, state: str) -> bool:
        consumed: bool = await _bounded(self._bound, self._inner.async_consume(state))
        return consumed

    async def _sweep(self) -> None:
        table = self._inner.oauth_states
        now = datetime.now(UTC).replace(tzinfo=None)  # the SDK stores naive UTC
        async with self._inner.engine.begin() as conn:
            await conn.execute(table.delete().where(table.c.expire_at < now))


async def _bounded(bound: CallBound, call: Coroutine[Any, Any, T]) -> T:
    try:
        return await bound.run(call)
    except SQLAlchemyError as exc:
        log.warning("slack installation store: %s", type(exc).__name__)
        raise DependencyError(DEPENDENCY, _UNAVAILABLE) from exc


@dataclass(frozen=True, slots=True)
class SlackOAuthStores:
    """What Bolt's OAuth flow and authorization need, on one engine."""

    installations: EncryptedInstallationStore
    states: BoundedStateStore


def slack_oauth_stores(
    engine: AsyncEngine,
    *,
    client_id: str,
    cipher: TokenCipher,
    timeout: float = DatabaseTimeouts().timeout_seconds,
) -> SlackOAuthStores:
    """The stores on ``engine`` (already migrated), for the Slack app ``client_id``."""
    bound = CallBound(timeout, what="Slack installation database", consequence="nothing changed")
    installations = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    installations.installations = INSTALLATIONS
    installations.bots = BOTS
    states = AsyncSQLAlchemyOAuthStateStore(STATE_EXPIRATION_SECONDS, engine)
    states.oauth_states = OAUTH_STATES
    return SlackOAuthStores(
        EncryptedInstallationStore(installations, cipher, bound), BoundedStateStore(states, bound)
    )


@contextlib.asynccontextmanager
async def open_slack_oauth_stores(
    url: str,
    *,
    client_id: str,
    cipher: TokenCipher,
    timeouts: DatabaseTimeouts | None = None,
) -> AsyncIterator[SlackOAuthStores]:
    """Migrate the database at ``url`` and yield the stores on it; the engine is disposed of
    on exit (after abandoned calls settle)."""
    timeouts = timeouts or DatabaseTimeouts()
    async with migrated_engine(url, timeouts) as engine:
        stores = slack_oauth_stores(
            engine, client_id=client_id, cipher=cipher, timeout=timeouts.timeout_seconds
        )
        try:
            yield stores
        finally:
            await stores.installations.bound.settle(within=timeouts.timeout_seconds)
