"""The metrics port against a real Prometheus, over its HTTP API with aiohttp.

Every call is bounded by ``timeout`` (also sent to Prometheus so it stops working on a query
nobody waits for). Failures are translated at this boundary:

* HTTP 400 ``bad_data`` / 422 ``execution`` -> :class:`InvalidInput` quoting Prometheus;
* connection refused, DNS failure, timeout, 5xx, a non-API answer -> :class:`DependencyError`
  naming only ``host:port`` (credentials in ``PROMETHEUS_URL`` are used for basic auth and
  never shown);
* a query answer larger than ``max_bytes`` -> :class:`InvalidInput` asking for a narrower
  expression (a raw ``promql {__name__=~".+"}`` must not fill the bot's memory); the body is
  read no further than that.

A large answer (over :data:`THREAD_PARSE_BYTES`) is decoded in a worker thread: megabytes of
JSON take long enough to stall every other conversation on the event loop.

At most ``max_concurrency`` calls are in flight at once (the connection pool is sized to match,
plus one lane for the readiness ping, so no call ever waits inside aiohttp). A call that finds
no free slot within ``queue_seconds`` raises :class:`~bot.core.errors.Overloaded` ("busy, try
again"): under a burst the bot is the bottleneck and says so. ``timeout`` starts only once a
slot is held, so "did not answer within 10s" means Prometheus took that long.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import math
import os
import re
import socket
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiohttp
from yarl import URL

from adapters.metrics.promql_catalog import PROMETHEUS_TEMPLATES, build_catalog, render
from bot.core.bound import ConcurrencyLimit
from bot.core.errors import DependencyError, InvalidInput
from bot.features.metrics.lookup import name_series
from bot.features.metrics.ports import (
    Alert,
    CatalogSeries,
    Sample,
    Series,
    TargetHealth,
    TargetRef,
    Window,
)

log = logging.getLogger(__name__)

_DEPENDENCY = "prometheus"
DOWN_LOOK_BACK = 86400.0
"""How far back "down since" is looked for."""
MAX_BYTES = 8 * 1024 * 1024
THREAD_PARSE_BYTES = 256 * 1024
MAX_CONCURRENCY = 20
"""Calls in flight at once; Prometheus' own ``--query.max-concurrency`` defaults to 20 too."""
QUEUE_SECONDS = 2.0
"""How long a call may wait for a free slot before the bot answers "busy"."""
_CHUNK = 64 * 1024
_QUERY_PREFIX = re.compile(r'^invalid parameter "query":\s*')
_SYNTAX_HINT = (
    "Check the expression, e.g. `promql up`, `promql rate(http_requests_total[5m])` or "
    "`promql sum by (job) (up)`."
)


class PrometheusMetricsSource:
    """A Prometheus server at ``url`` (``http(s)://[user:password@]host:port[/prefix]``)."""

    description = "Prometheus"
    is_demo = False

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        catalog_overrides: Mapping[str, str] | None = None,
        target_labels: Sequence[str] = ("instance", "job", "service"),
        max_bytes: int = MAX_BYTES,
        max_concurrency: int = MAX_CONCURRENCY,
        queue_seconds: float = QUEUE_SECONDS,
    ) -> None:
        parsed = URL(url)
        self._headers = _basic_auth(parsed.user, parsed.password)
        self._base = parsed.with_user(None).with_query(None).with_fragment(None)
        self._host = f"{parsed.host}:{parsed.explicit_port or parsed.port}"
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._catalog = build_catalog(PROMETHEUS_TEMPLATES, catalog_overrides)
        self._target_labels = tuple(target_labels)
        self._session: aiohttp.ClientSession | None = None
        self.limit = ConcurrencyLimit(_DEPENDENCY, max_concurrency, wait=queue_seconds)
        # Readiness pings take turns on a lane of their own: a burst of questions must not
        # make Prometheus look down, nor a slow ping take a question's slot.
        self._ping_lane = ConcurrencyLimit(_DEPENDENCY, 1, wait=timeout)

    @property
    def target_labels(self) -> tuple[str, ...]:
        return self._target_labels

    async def series(
        self,
        metric: str,
        target: TargetRef | None,
        window: Window,
        *,
        quantile: float | None = None,
    ) -> CatalogSeries:
        """The catalog template of ``metric``, narrowed to ``target``, as a range query."""
        expr = render(self._catalog[metric], target, quantile)
        found = await self.query_range(expr, window)
        return CatalogSeries(name_series(found, self._target_labels), expr)

    async def query(self, expr: str) -> list[Sample]:
        data = await self._api("POST", "api/v1/query", {"query": expr, **self._limit()})
        kind, result = data.get("resultType"), data.get("result")
        if kind in ("scalar", "string"):
            return [Sample({}, _number(result[1]), float(result[0]))]
        if kind == "matrix":
            return [
                Sample(item["metric"], _number(item["values"][-1][1]), float(item["values"][-1][0]))
                for item in result
                if item.get("values")
            ]
        return [
            Sample(item["metric"], _number(item["value"][1]), float(item["value"][0]))
            for item in result
        ]

    async def query_range(self, expr: str, window: Window) -> list[Series]:
        params = {
            "query": expr,
            "start": _num(window.start),
            "end": _num(window.end),
            "step": _num(window.step),
        }
        data = await self._api("POST", "api/v1/query_range", {**params, **self._limit()})
        return [
            Series(
                item["metric"],
                tuple(float(t) for t, _ in item["values"]),
                tuple(_number(v) for _, v in item["values"]),
            )
            for item in data.get("result", [])
        ]

    async def target_names(self) -> list[TargetRef]:
        """Every value of the target labels, in label order (``instance`` first)."""
        refs: list[TargetRef] = []
        for label in self._target_labels:
            data = await self._api("GET", f"api/v1/label/{label}/values", {})
            refs.extend(TargetRef(str(value), label) for value in sorted(data))
        return refs

    async def targets(self) -> list[TargetHealth]:
        """The active scrape targets; a down one carries when it went down (the first
        ``up == 0`` sample after its last ``up == 1`` in the last day, else unknown)."""
        data = await self._api("GET", "api/v1/targets", {"state": "active"})
        found = [_target(item) for item in data.get("activeTargets", [])]
        return [t if t.up else await self._with_down_since(t) for t in found]

    async def _with_down_since(self, target: TargetHealth) -> TargetHealth:
        now = time.time()
        matchers = ",".join(
            f'{k}="{_escape(v)}"' for k, v in (("job", target.job), ("instance", target.name))
        )
        window = Window(now - DOWN_LOOK_BACK, now, 60.0)
        try:
            found = await self.query_range(f"up{{{matchers}}}", window)
        except (DependencyError, InvalidInput) as exc:
            log.info("no down-since for %s: %s", target.name, exc.message)
            return target  # "down" is still known; only "since when" is not
        return dataclasses.replace(target, down_since=_down_since(found))

    async def alerts(self) -> list[Alert]:
        data = await self._api("GET", "api/v1/alerts", {})
        return [_alert(item) for item in data.get("alerts", [])]

    async def ping(self) -> None:
        """Raise :class:`DependencyError` unless Prometheus reports itself ready."""
        try:
            status, _ = await self._send("GET", "-/ready", {}, lane=self._ping_lane)
        except _TooLarge:
            raise self._down("answered -/ready with far too much") from None
        if status != 200:
            raise DependencyError(
                _DEPENDENCY, f"Prometheus at {self._host} is not ready (HTTP {status})."
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ----------------------------------------------------------------------- HTTP

    def _limit(self) -> dict[str, str]:
        return {"timeout": _duration(self._timeout)}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.limit.size + self._ping_lane.size),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                headers=self._headers,
            )
        return self._session

    async def _api(self, method: str, path: str, params: Mapping[str, str]) -> Any:
        try:
            status, raw = await self._send(method, path, params)
        except _TooLarge:
            raise self._too_large(path) from None
        body = await _decode(raw)
        if not isinstance(body, dict) or "status" not in body:
            raise self._down(
                f"answered HTTP {status} with something that is not its API; check PROMETHEUS_URL"
            )
        if body["status"] == "success":
            return body.get("data")
        raise self._failure(status, str(body.get("errorType", "")), str(body.get("error", "")))

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        lane: ConcurrencyLimit | None = None,
    ) -> tuple[int, bytes]:
        """Status and body, within a slot of ``lane`` (default: the questions' limit); the
        timeout starts once the slot is held."""
        async with (lane or self.limit).slot():
            return await self._request(method, self._base / path, params)

    async def _request(self, method: str, url: URL, params: Mapping[str, str]) -> tuple[int, bytes]:
        form, query = (dict(params), None) if method == "POST" else (None, dict(params))
        try:
            async with self._client().request(method, url, data=form, params=query) as response:
                return response.status, await self._read(response)
        except TimeoutError as exc:
            raise self._down(f"did not answer within {self._timeout:g}s") from exc
        except aiohttp.ClientConnectorError as exc:
            raise self._down(f"did not answer ({_reason(exc.os_error)})") from exc
        except aiohttp.ClientError as exc:
            raise self._down(f"did not answer ({type(exc).__name__})") from exc

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, or :class:`_TooLarge` as soon as it exceeds ``max_bytes`` (decoded size:
        a compressed answer is held to the same bound)."""
        if (response.content_length or 0) > self._max_bytes:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > self._max_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, path: str) -> Exception:
        megabytes = f"{self._max_bytes / (1024 * 1024):g} MB"
        if path.startswith("api/v1/query"):
            return InvalidInput(
                f"The answer is too large (more than {megabytes}); narrow the expression, "
                "e.g. add a label filter or topk."
            )
        return self._down(f"answered {path} with more than {megabytes}")

    def _down(self, what: str) -> DependencyError:
        return DependencyError(_DEPENDENCY, f"Prometheus at {self._host} {what}.")

    def _failure(self, status: int, kind: str, error: str) -> Exception:
        message = _QUERY_PREFIX.sub("", error).strip()
        if kind == "bad_data":
            return InvalidInput(f"Prometheus rejected the query: {message}", hint=_SYNTAX_HINT)
        if kind == "execution" and status == 422:
            return InvalidInput(f"Prometheus could not run the query: {message}", hint=_SYNTAX_HINT)
        if kind in ("timeout", "canceled"):
            return self._down(
                f"did not finish the query within {self._timeout:g}s; "
                "try a shorter range or a simpler expression"
            )
        return self._down(f"failed with HTTP {status} ({kind or 'error'}: {message})")


class _TooLarge(Exception):
    """A response body over the byte limit (internal: mapped to a user-facing error)."""


async def _decode(raw: bytes) -> Any:
    """The JSON in ``raw`` (``None`` when it is not JSON); large bodies in a worker thread."""
    try:
        if len(raw) > THREAD_PARSE_BYTES:
            return await asyncio.to_thread(json.loads, raw)
        return json.loads(raw)
    except ValueError:
        return None


def _reason(error: OSError) -> str:
    """ "connection refused", "name or service not known", ... from the errno, not the text
    (which may hold addresses and varies between event loops)."""
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host: {(error.strerror or 'lookup failed').lower()}"
    if error.errno:
        return os.strerror(error.errno).lower()
    return type(error).__name__


def _basic_auth(user: str | None, password: str | None) -> dict[str, str]:
    """The Authorization header for credentials embedded in the URL (none without a user)."""
    if not user:
        return {}
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _duration(seconds: float) -> str:
    """``seconds`` as a Prometheus duration: whole units only, so 2.5 s is ``2500ms``
    (``2.5s`` is refused with HTTP 400)."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{max(1, round(seconds * 1000))}ms"


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _number(raw: Any) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return math.nan


def _down_since(series: Sequence[Series]) -> float | None:
    """The first sample of the last run of zeros of an ``up`` series (None: no run seen)."""
    if not series or not series[0].values:
        return None
    pairs = list(zip(series[0].timestamps, series[0].values, strict=True))
    since = None
    for at, value in reversed(pairs):
        if value != 0:
            break
        since = at
    return since


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _target(item: Mapping[str, Any]) -> TargetHealth:
    labels = {str(k): str(v) for k, v in item.get("labels", {}).items()}
    health = str(item.get("health", "unknown"))
    error = str(item.get("lastError", "")) or ("not scraped yet" if health == "unknown" else "")
    return TargetHealth(
        name=labels.get("instance", str(item.get("scrapeUrl", "?"))),
        job=labels.get("job", ""),
        up=health == "up",
        last_error=error,
        labels=labels,
    )


def _alert(item: Mapping[str, Any]) -> Alert:
    labels = {str(k): str(v) for k, v in item.get("labels", {}).items()}
    annotations = item.get("annotations", {})
    return Alert(
        name=labels.get("alertname", "?"),
        severity=labels.get("severity", ""),
        state=str(item.get("state", "firing")),
        labels=labels,
        summary=str(annotations.get("summary") or annotations.get("description") or ""),
        starts_at=_timestamp(str(item.get("activeAt", ""))),
    )


def _timestamp(text: str) -> float:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return math.nan
