"""``POST /slack/events`` (HTTP mode): the signature is checked before anything is parsed.

Bolt's aiohttp adapter parses the body into an ``AsyncBoltRequest`` first and verifies the
signature afterwards, so an unsigned ``[]``, ``payload=notjson`` or a non-numeric timestamp
header became a 500 with a traceback in the log: anyone on the internet could flood it.
Here, in order:

1. the raw bytes are checked against ``X-Slack-Signature`` / ``X-Slack-Request-Timestamp``
   (HMAC-SHA256 with the signing secret, timestamp within 5 minutes): otherwise **401**;
2. a signed body that is not a Slack payload (not UTF-8, not a JSON object, a ``payload``
   field that is not one, or anything Bolt cannot build a request from) is **400**;
3. only then does Bolt see it (its own signature check is switched off: it would compute
   the same HMAC again; :func:`adapters.slack.factory.build_slack`).

A refusal is logged as one short line, without the body, signature or secret.

In OAuth mode, ``GET /slack/install`` and ``GET /slack/oauth_redirect`` (:class:`InstallEndpoint`)
are the only Slack routes without a signature: a person's browser, not Slack, calls them. They
are guarded by the OAuth ``state`` instead: the install issues a single-use state, stored in
the database and set as a cookie on the installing browser, and the redirect is refused unless
both match (and the code Slack adds is only good with the client secret). Both are GET only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackClientError

from bot.core.errors import DependencyError

log = logging.getLogger(__name__)

#: Slack's replay window: a signed request older (or newer) than this is refused.
SIGNATURE_WINDOW_SECONDS = 5 * 60
#: Unix seconds in ASCII digits, as Slack writes them. Not ``str.isdigit()``, which takes
#: "①⑦…" or "¹⁷…" that ``int()`` refuses, nor unbounded: a 400-digit number is too large
#: for a float and a 5000-digit one for ``int()`` (each was a 500: issue 14).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureCheck:
    """Slack's request signature over the raw body, with every malformed header a refusal.

    Computed here over the bytes as received: ``slack_sdk``'s ``SignatureVerifier`` decodes
    the body as UTF-8 first (a 500 on any other bytes) and parses the timestamp with
    ``int()`` (a 500 on any non-number)."""

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._clock = clock

    def problem(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        """Why the request is not signed by Slack, or None when it is."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not timestamp or not signature:
            return "no signature"
        if _TIMESTAMP.fullmatch(timestamp) is None:
            return "malformed timestamp"
        if abs(self._clock() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
            return "timestamp outside the 5-minute window"
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = b"v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            return "invalid request signature"
        return None


class EventsEndpoint:
    """The aiohttp handler that guards ``bolt`` (see the module docstring)."""

    def __init__(self, bolt: AsyncApp, check: SignatureCheck) -> None:
        self._bolt = bolt
        self._check = check

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        problem = self._check.problem(body, request.headers)
        if problem is not None:
            log.warning("slack: refused a request to %s: %s", request.path, problem)
            raise web.HTTPUnauthorized(text="invalid request signature")
        bolt_request = _bolt_request(body, request)
        if bolt_request is None:
            log.warning("slack: refused a signed request to %s: not a Slack payload", request.path)
            raise web.HTTPBadRequest(text="not a Slack payload")
        return await to_aiohttp_response(await self._bolt.async_dispatch(bolt_request))


class InstallEndpoint:
    """``GET /slack/install`` and ``GET /slack/oauth_redirect``: Bolt's OAuth flow, with the
    failures it does not handle itself (the database or Slack unreachable) as a short page."""

    def __init__(self, flow: AsyncOAuthFlow) -> None:
        self._flow = flow

    async def install(self, request: web.Request) -> web.Response:
        return await self._run(request, self._flow.handle_installation)

    async def redirect(self, request: web.Request) -> web.Response:
        return await self._run(request, self._flow.handle_callback)

    async def _run(
        self,
        request: web.Request,
        step: Callable[[AsyncBoltRequest], Awaitable[BoltResponse]],
    ) -> web.Response:
        bolt_request = await to_bolt_request(request)
        try:
            response = await step(bolt_request)
        except DependencyError as exc:
            log.warning("slack: install step %s failed: %s", request.path, exc)
            raise web.HTTPServiceUnavailable(text=_TRY_AGAIN) from exc
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack: install step %s failed: Slack: %s", request.path,
                        type(exc).__name__)  # fmt: skip
            raise web.HTTPBadGateway(text=_TRY_AGAIN) from exc
        if response.status >= 400:
            log.warning("slack: install step %s refused (%d)", request.path, response.status)
        return await to_aiohttp_response(response)


_TRY_AGAIN = "The installation could not be completed just now. Please try again in a minute."


def _bolt_request(body: bytes, request: web.Request) -> AsyncBoltRequest | None:
    """The Bolt request for a signed body, or None when the body is not a Slack payload."""
    try:
        text = body.decode("utf-8")
        parsed = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers=dict(request.headers),
        )
    except Exception:  # Bolt's parsing raises whatever json/urllib/its own lookups raise
        return None
    return parsed if isinstance(parsed.body, dict) else None
