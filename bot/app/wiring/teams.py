"""Teams in the composition root, called when ``TEAMS_APP_ID`` is set or development mode is
on: the credentials checked (a :class:`~bot.core.errors.ConfigError` names what to set), the
reference store and the adapter's document store (card views, offered files) chosen (Redis
when ``REDIS_URL`` is set, so every replica can post and answer any invoke; in memory
otherwise), the adapter built by :func:`adapters.teams.factory.build_teams` and its poster
registered for proactive posts."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from adapters.teams.config import TeamsConfig
from adapters.teams.factory import TeamsOptions, build_teams
from adapters.teams.references import ReferenceStore
from bot.app.config import Settings
from bot.app.plugins import WebPlugin

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.app.services import Services

PLATFORM = "teams"
#: Redis key prefix of the Teams adapter's short-lived documents (card views, offered files).
DOCUMENTS_PREFIX = "sco:teams:documents:"
#: How long a card's per-viewer views and a file offer are kept: a week, the longest a
#: request may wait for approval (``policy`` ``ttl_seconds`` is at most 7 days).
DOCUMENTS_TTL_SECONDS = 7 * 24 * 3600
#: In memory (one process, no Redis): at most this many documents, the oldest dropped first.
DOCUMENTS_LIMIT = 10_000


async def plugin(
    services: Services,
    stack: contextlib.AsyncExitStack,
    *,
    options: TeamsOptions | None = None,
) -> WebPlugin:
    """Build the Teams adapter from ``services`` and return the route that mounts it."""
    parts = build_teams(
        teams_config(services.settings),
        handle=services.dispatcher.handle,
        dedupe=services.dedupe,
        references=_reference_store(services.redis),
        documents=_document_store(services.redis),
        options=options,
    )
    services.posters[PLATFORM] = parts.poster
    return parts.mount


def teams_config(settings: Settings) -> TeamsConfig:
    """The checked Teams credentials of ``settings``."""
    return TeamsConfig.checked(
        app_id=settings.teams_app_id or "",
        app_password=settings.teams_app_password or "",
        tenant_id=settings.teams_tenant_id or None,
        development_mode=settings.file.development_mode,
    )


def _reference_store(redis: Redis | None) -> ReferenceStore:
    """Conversation references: kept until the bot is removed from the conversation."""
    if redis is None:
        from storage.teams_references import InMemoryReferenceStore

        return InMemoryReferenceStore()
    from storage.teams_references import RedisReferenceStore

    return RedisReferenceStore(redis)


def _document_store(redis: Redis | None) -> ReferenceStore:
    """Card views and offered files: forgotten after :data:`DOCUMENTS_TTL_SECONDS`."""
    if redis is None:
        from storage.teams_references import InMemoryReferenceStore

        return InMemoryReferenceStore(ttl_seconds=DOCUMENTS_TTL_SECONDS, limit=DOCUMENTS_LIMIT)
    from storage.teams_references import RedisReferenceStore

    return RedisReferenceStore(redis, prefix=DOCUMENTS_PREFIX, ttl_seconds=DOCUMENTS_TTL_SECONDS)
