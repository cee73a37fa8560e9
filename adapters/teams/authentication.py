"""Bot Framework request authentication with the SDK's key lookups routed to
:class:`~adapters.teams.signing_keys.SigningKeys`.

botframework-connector builds a ``JwtTokenExtractor`` per request and gets its key source
from the static ``JwtTokenExtractor.get_open_id_metadata(url)``; the object it returns only
needs ``async get(key_id)`` returning something with ``public_key`` and ``endorsements``.
:func:`route_sdk_key_lookups` replaces that static method (once per process) so every
lookup, for any metadata URL (channel, emulator, government, enterprise), goes to the key
source of the adapter authenticating the request, found through a context variable that
:class:`KeyedAuthentication` sets around each authentication call. A lookup outside one has
no key source and is refused: the SDK's blocking fetch is never used.

Everything else (issuers, audience, endorsements, expiry, the ``serviceurl`` claim) is still
checked by the SDK exactly as before.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import JwtTokenExtractor

from adapters.teams.signing_keys import SigningKey, SigningKeys, UnknownSigningKey

_active: contextvars.ContextVar[SigningKeys | None] = contextvars.ContextVar(
    "teams_signing_keys", default=None
)


class _RoutedMetadata:
    """Stands in for the SDK's ``_OpenIdMetadata`` of one metadata URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def get(self, key_id: str | None) -> SigningKey:
        keys = _active.get()
        if keys is None:
            raise UnknownSigningKey("no signing-key source is active for this request")
        return await keys.key(self.url, key_id)


def route_sdk_key_lookups() -> None:
    """Make botframework-connector take its signing keys from the active
    :class:`SigningKeys` (idempotent; affects the whole process, which is the point)."""
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_RoutedMetadata)


@contextlib.contextmanager
def _using(keys: SigningKeys) -> Iterator[None]:
    token = _active.set(keys)
    try:
        yield
    finally:
        _active.reset(token)


class KeyedAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """``ConfigurationBotFrameworkAuthentication`` whose token checks use ``keys``."""

    def __init__(self, configuration: Any, keys: SigningKeys) -> None:
        super().__init__(configuration)
        self._keys = keys
        route_sdk_key_lookups()

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        with _using(self._keys):
            return await super().authenticate_request(activity, auth_header)

    async def authenticate_streaming_request(self, auth_header: str, channel_id: str) -> Any:
        with _using(self._keys):
            return await super().authenticate_streaming_request(auth_header, channel_id)

    async def authenticate_channel_request(self, auth_header: str) -> Any:
        with _using(self._keys):
            return await super().authenticate_channel_request(auth_header)
