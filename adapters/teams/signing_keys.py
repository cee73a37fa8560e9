"""The Bot Framework's token-signing keys, fetched without ever stalling the event loop.

botframework-connector 4.17 looks keys up through ``_OpenIdMetadata``, which refreshes them
with a blocking ``requests.get`` *without a timeout*, on the event loop, whenever a token's
key id is unknown: any unauthenticated POST whose token merely claims a Bot Framework issuer
triggers it, and with a stalled egress path every platform on the server stops. This source
replaces that fetch (see :mod:`adapters.teams.authentication` for how the SDK is routed here):

- fetched with aiohttp, the metadata document and its ``jwks_uri`` together bounded by
  ``timeout`` seconds;
- cached per metadata URL for ``max_age`` (a day, as the SDK does); a failed refresh keeps
  the keys already known, since Microsoft publishes keys well before signing with them;
- refreshed at most once per ``min_interval`` whatever the outcome, and single-flight:
  callers arriving during a refresh wait for that one. So a stream of forged tokens with
  made-up key ids costs one bounded fetch per interval, and is refused at once otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 5.0
MAX_AGE_SECONDS = 24 * 3600.0
MIN_REFRESH_INTERVAL_SECONDS = 60.0
#: Largest metadata or key-set document read; Microsoft's are a few kilobytes.
MAX_DOCUMENT_BYTES = 256 * 1024


class UnknownSigningKey(PermissionError):
    """No trusted key has the token's key id: the token is refused (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What botframework-connector's token extractor reads from a key (the attributes of its
    ``_OpenIdConfig``): the public key and the channels that endorse it."""

    public_key: Any
    endorsements: list[str]


@dataclass(slots=True)
class _KeySet:
    keys: dict[str, SigningKey] = field(default_factory=dict)
    fetched_at: float | None = None
    attempted_at: float | None = None
    refreshing: asyncio.Task[None] | None = None


class SigningKeys:
    """Signing keys per OpenID metadata URL: async, bounded, cached, rate-limited."""

    def __init__(
        self,
        *,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        max_age: float = MAX_AGE_SECONDS,
        min_interval: float = MIN_REFRESH_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self._max_age = max_age
        self._min_interval = min_interval
        self._clock = clock
        self._sets: dict[str, _KeySet] = {}

    async def key(self, metadata_url: str, key_id: str | None) -> SigningKey:
        """The key ``key_id`` published under ``metadata_url``; raises
        :class:`UnknownSigningKey` when it is not known and may not be fetched now."""
        keys = self._sets.setdefault(metadata_url, _KeySet())
        if self._wants_refresh(keys, key_id):
            await self._refresh(metadata_url, keys)
        found = keys.keys.get(key_id or "")
        if found is None:
            raise UnknownSigningKey("the token's signing key is not a trusted Bot Framework key")
        return found

    def _wants_refresh(self, keys: _KeySet, key_id: str | None) -> bool:
        """A known key from a fresh set never waits; otherwise join a refresh in flight, or
        start one if the last attempt is at least ``min_interval`` old."""
        now = self._clock()
        fresh = keys.fetched_at is not None and now - keys.fetched_at < self._max_age
        if fresh and (key_id or "") in keys.keys:
            return False
        if keys.refreshing is not None:
            return True
        return keys.attempted_at is None or now - keys.attempted_at >= self._min_interval

    async def _refresh(self, metadata_url: str, keys: _KeySet) -> None:
        """Join the refresh in flight or start one; either way wait at most ``timeout``."""
        if keys.refreshing is None:
            keys.attempted_at = self._clock()
            keys.refreshing = asyncio.create_task(self._fetch_into(metadata_url, keys))
            keys.refreshing.add_done_callback(lambda _: setattr(keys, "refreshing", None))
        await asyncio.shield(keys.refreshing)

    async def _fetch_into(self, metadata_url: str, keys: _KeySet) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                fetched = await _fetch_keys(metadata_url)
        except (TimeoutError, aiohttp.ClientError, ValueError, KeyError, TypeError) as exc:
            log.warning("teams: could not refresh the Bot Framework signing keys from %s "
                        "(%s); next attempt in %.0fs at the earliest",
                        metadata_url, type(exc).__name__, self._min_interval)  # fmt: skip
            return
        keys.keys = fetched
        keys.fetched_at = self._clock()


async def _fetch_keys(metadata_url: str) -> dict[str, SigningKey]:
    """A fresh session per refresh (a few a day): nothing to close at shutdown, no state
    tied to an event loop between refreshes. The caller bounds the whole exchange."""
    async with aiohttp.ClientSession() as session:
        metadata = await _get_json(session, metadata_url)
        jwks = await _get_json(session, str(metadata["jwks_uri"]))
    return _parse_keys(jwks["keys"])


async def _get_json(session: aiohttp.ClientSession, url: str) -> Mapping[str, Any]:
    async with session.get(url, allow_redirects=False) as response:
        response.raise_for_status()
        body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    document = json.loads(body)
    if not isinstance(document, dict):
        raise TypeError("not a JSON object")
    return document


def _parse_keys(entries: object) -> dict[str, SigningKey]:
    """The RSA keys of a JWKS, by key id; entries that are not usable RSA keys are skipped."""
    if not isinstance(entries, list):
        raise TypeError("'keys' is not a list")
    keys: dict[str, SigningKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(entry))
        except Exception:  # PyJWT raises several types for a bad key
            log.info("teams: skipped an unusable signing key %r", entry["kid"])
            continue
        endorsements = entry.get("endorsements")
        keys[entry["kid"]] = SigningKey(
            public_key, [str(e) for e in endorsements] if isinstance(endorsements, list) else []
        )
    return keys
