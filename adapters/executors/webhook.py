"""The HTTP webhook executor: hands an approved operation to a runbook service (Rundeck, AWX,
a team's own) as a signed JSON POST.

Signature (verify it with :func:`verify_signature`)::

    X-SmartCloudOps-Timestamp: <unix seconds>
    X-SmartCloudOps-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
    Idempotency-Key: remediation-request-<id>

The timestamp is inside the signed text, so a captured request cannot be replayed later than
the receiver's tolerance; the idempotency key lets the receiver drop a retried delivery.
The dry run is local (it shows the body that would be sent); nothing is sent before approval.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import aiohttp
from yarl import URL

from bot.core.errors import DependencyError
from bot.features.remediation.model import ExecutionResult, Operation, Plan

SIGNATURE_HEADER = "X-SmartCloudOps-Signature"
TIMESTAMP_HEADER = "X-SmartCloudOps-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_VERSION = "v1"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    message = f"{_VERSION}:{timestamp}:".encode() + body
    return f"{_VERSION}=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    tolerance_seconds: int = 300,
) -> bool:
    """True when ``signature`` is ours for ``body`` and ``timestamp`` is recent enough."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


class WebhookExecutor:
    """Implements :class:`bot.features.remediation.ports.ActionExecutor` by a signed POST."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        session: aiohttp.ClientSession,
        timeout_seconds: float = 15.0,
        max_output_bytes: int = 4000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("the webhook secret must not be empty")
        self._url = url
        self._secret = secret
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._max_output = max_output_bytes
        self._clock = clock

    async def plan(self, operation: Operation) -> Plan:
        return Plan(
            summary=f"would POST a signed {operation.action} request to {_host(self._url)}",
            steps=(json.dumps(payload(operation), sort_keys=True),),
        )

    async def execute(self, operation: Operation) -> ExecutionResult:
        body = json.dumps(payload(operation), sort_keys=True).encode()
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        if operation.idempotency_key:
            headers[IDEMPOTENCY_HEADER] = operation.idempotency_key
        try:
            async with self._session.post(
                self._url, data=body, headers=headers, timeout=self._timeout
            ) as response:
                raw = await _read_at_most(response.content, self._max_output + 1)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DependencyError(
                "webhook", f"the runbook service at {_host(self._url)} did not answer"
            ) from exc
        text = raw[: self._max_output].decode("utf-8", errors="replace")
        if len(raw) > self._max_output:
            text += "\n... (response truncated)"
        if 200 <= status < 300:
            return ExecutionResult(True, f"the runbook service accepted it (HTTP {status})", text)
        return ExecutionResult(False, f"the runbook service refused it (HTTP {status})", text)


def payload(operation: Operation) -> dict[str, object]:
    """The JSON body: what to do, to what, under which request."""
    body: dict[str, object] = {
        "action": operation.action,
        "operation": operation.kind,
        "target": operation.target,
        "request_id": operation.request_id,
        "idempotency_key": operation.idempotency_key,
    }
    if operation.replicas is not None:
        body["replicas"] = operation.replicas
    return body


async def _read_at_most(stream: aiohttp.StreamReader, limit: int) -> bytes:
    kept = bytearray()
    while len(kept) < limit and (chunk := await stream.read(limit - len(kept))):
        kept.extend(chunk)
    return bytes(kept)


def _host(url: str) -> str:
    """The URL without credentials, path or query (safe to show in chat)."""
    parsed = URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.explicit_port else "")
