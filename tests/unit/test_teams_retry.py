"""Outbound retries: which connector failures are retried, how long to wait, and the error
the adapter raises in the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams.retry import OutboundError, RetryPolicy, call_with_retries
from bot.core.errors import AdapterError

#: No error body to deserialise (the connector client passes its deserializer here).
NO_ERROR_MODEL: Any = None
POLICY = RetryPolicy(attempts=4, base_delay=1.0, max_delay=4.0, max_retry_after=15.0)


def http_error(status: int, retry_after: str | None = None) -> HttpOperationError:
    """The exception the connector client raises for an HTTP error status."""
    response = requests.Response()
    response.status_code = status
    response.reason = "injected"
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return HttpOperationError(NO_ERROR_MODEL, response)


class Script:
    """A call that fails with the given exceptions, then answers "ok"; records the sleeps."""

    def __init__(self, *failures: Exception) -> None:
        self._failures: Iterator[Exception] = iter(failures)
        self.calls = 0
        self.sleeps: list[float] = []

    async def call(self) -> str:
        self.calls += 1
        failure = next(self._failures, None)
        if failure is not None:
            raise failure
        return "ok"

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def test_throttling_and_server_errors_are_retried_with_growing_backoff() -> None:
    """429 and 5xx are retried; waits roughly double (with jitter) up to the cap."""
    script = Script(http_error(429), http_error(502), http_error(503))
    assert await call_with_retries("reply", script.call, POLICY, sleep=script.sleep) == "ok"
    assert script.calls == 4
    first, second, third = script.sleeps
    assert 0.8 <= first <= 1.2
    assert 1.6 <= second <= 2.4
    assert 3.2 <= third <= POLICY.max_delay


async def test_retry_after_is_honoured() -> None:
    """A longer Retry-After than the backoff is waited for."""
    script = Script(http_error(429, retry_after="7"))
    await call_with_retries("reply", script.call, POLICY, sleep=script.sleep)
    assert script.sleeps == [7.0]


async def test_retry_after_beyond_the_cap_fails_at_once() -> None:
    """Waiting an hour for a chat reply is pointless: fail with the status."""
    script = Script(http_error(429, retry_after="3600"))
    with pytest.raises(OutboundError) as caught:
        await call_with_retries("reply", script.call, POLICY, sleep=script.sleep)
    assert caught.value.status == 429
    assert script.sleeps == []


async def test_client_errors_are_not_retried() -> None:
    """403/404 will not get better by trying again."""
    script = Script(http_error(403))
    with pytest.raises(AdapterError, match="Teams card update failed: HTTP 403"):
        await call_with_retries("card update", script.call, POLICY, sleep=script.sleep)
    assert script.calls == 1


async def test_connection_failures_are_retried_then_reported() -> None:
    """No response at all is retried; after the last attempt the error says so."""
    script = Script(*(ClientRequestError("refused") for _ in range(4)))
    with pytest.raises(OutboundError, match="no response after 4 attempts") as caught:
        await call_with_retries("reply", script.call, POLICY, sleep=script.sleep)
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, ClientRequestError)
    assert script.calls == 4
