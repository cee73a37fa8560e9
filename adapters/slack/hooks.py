"""POSTing to a ``response_url`` on the bot's one HTTP session.

``slack_sdk``'s ``AsyncWebhookClient`` does this too, but one has to be built for each URL
(reading the proxy settings from the environment and working out a User-Agent every time),
and each POST goes through its retry bookkeeping and debug formatting even when nothing
fails: about a fifth of the CPU the bot spent on a slash command (bench/RESULTS_SLACK.md).
:class:`HookPoster` sends the same request (the same JSON body, Content-Type and User-Agent,
the environment's proxy) and is built once; the SDK's retry handlers (a dropped connection,
a 429 with ``Retry-After``) are asked exactly as the SDK asks them, but only once something
has failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.internal_utils import get_user_agent

#: Beyond this many attempts a POST is given up whatever the handlers say (the SDK's bound).
MAX_ATTEMPTS = 100


@dataclass(frozen=True, slots=True)
class HookResponse:
    """What the ``response_url`` answered."""

    status_code: int
    body: str


class HookPoster:
    """POSTs JSON messages to ``response_url``\\ s through ``session``, retrying as
    ``retry_handlers`` allow (see the module docstring)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        retry_handlers: Sequence[AsyncRetryHandler],
        logger: logging.Logger,
    ) -> None:
        self._session = session
        self._handlers = tuple(retry_handlers)
        self._logger = logger
        self._headers = {
            "Content-Type": "application/json;charset=utf-8",
            "User-Agent": get_user_agent(),
        }
        self._proxy = load_http_proxy_from_env(logger)

    async def send(self, url: str, body: Mapping[str, Any]) -> HookResponse:
        """POST ``body`` (its None values left out) to ``url``. Raises what aiohttp raises
        (after the retries the handlers allow)."""
        payload = {k: list(v) if isinstance(v, tuple) else v for k, v in body.items()}
        data = json.dumps({k: v for k, v in payload.items() if v is not None})
        retry: _Retry | None = None
        for _ in range(MAX_ATTEMPTS):
            try:
                async with self._session.post(
                    url, data=data, headers=self._headers, proxy=self._proxy
                ) as res:
                    text = await res.text()
                    if res.status < 400:
                        return HookResponse(res.status, text)
                    retry = retry or _Retry(self._handlers, url, self._headers, payload)
                    headers: dict[str, str | list[str]] = dict(res.headers.items())
                    failed = HttpResponse(
                        status_code=res.status, headers=headers, data=text.encode("utf-8")
                    )
                    if not await retry.again(response=failed):
                        return HookResponse(res.status, text)
            except Exception as exc:
                retry = retry or _Retry(self._handlers, url, self._headers, payload)
                if not await retry.again(error=exc):
                    raise
            self._logger.info("retrying a POST to a response_url")
        raise RuntimeError(f"gave up a POST to a response_url after {MAX_ATTEMPTS} attempts")


class _Retry:
    """The SDK's retry state for one POST: each failure is offered to the handlers in
    order; the first that takes it decides whether (and after how long) to try again."""

    def __init__(
        self,
        handlers: tuple[AsyncRetryHandler, ...],
        url: str,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> None:
        self._handlers = handlers
        self._state = RetryState()
        self._request = HttpRequest(
            method="POST",
            url=url,
            headers={k: [v] for k, v in headers.items()},
            body_params=dict(body),
        )

    async def again(
        self, *, response: HttpResponse | None = None, error: Exception | None = None
    ) -> bool:
        self._state.next_attempt_requested = False
        for handler in self._handlers:
            if await handler.can_retry_async(
                state=self._state, request=self._request, response=response, error=error
            ):
                await handler.prepare_for_next_attempt_async(
                    state=self._state, request=self._request, response=response, error=error
                )
                break
        return self._state.next_attempt_requested
