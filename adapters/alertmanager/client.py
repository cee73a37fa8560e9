"""An aiohttp client for Alertmanager's API v2: silences (create, list, expire) and alerts.
Implements :class:`bot.features.alerts.ports.SilenceBackend`.

Failures are translated here: Alertmanager refusing a request (400) is
:class:`~bot.core.errors.InvalidInput` with its reason, an unknown silence (404)
:class:`~bot.core.errors.NotFoundError`, and anything else (unreachable, timeout, 5xx, a body
that is not the API's) :class:`~bot.core.errors.DependencyError`. Messages never carry the URL,
which may hold credentials.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.core.errors import DependencyError, InvalidInput, NotFoundError
from bot.features.alerts.model import Matcher, Silence, SilenceDraft
from bot.features.metrics.ports import Alert

DEPENDENCY = "alertmanager"
DEFAULT_TIMEOUT_SECONDS = 10.0
_STATES = {"active": "firing", "suppressed": "suppressed", "unprocessed": "pending"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class _Matcher(_Model):
    name: str
    value: str
    is_regex: bool = Field(alias="isRegex")
    is_equal: bool = Field(default=True, alias="isEqual")


class _State(_Model):
    state: str


class _Silence(_Model):
    id: str
    status: _State
    matchers: tuple[_Matcher, ...]
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime = Field(alias="endsAt")
    created_by: str = Field(default="", alias="createdBy")
    comment: str = ""


class _Alert(_Model):
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    status: _State


class _Created(_Model):
    silence_id: str = Field(alias="silenceID")


_SILENCES = TypeAdapter(list[_Silence])
_ALERTS = TypeAdapter(list[_Alert])

Method = Literal["GET", "POST", "DELETE"]


class AlertmanagerClient:
    """Alertmanager at ``base_url`` (any route prefix included, e.g. ``http://am:9093``)."""

    description = "Alertmanager"

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def create_silence(self, draft: SilenceDraft) -> str:
        body = {
            "matchers": [
                {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal}
                for m in draft.matchers
            ],
            "startsAt": _rfc3339(draft.starts_at),
            "endsAt": _rfc3339(draft.ends_at),
            "createdBy": draft.created_by,
            "comment": draft.comment,
        }
        created = await self._call("POST", "/api/v2/silences", body)
        silence_id: str = _parsed(_Created.model_validate, created).silence_id
        return silence_id

    async def list_silences(self) -> list[Silence]:
        raw = await self._call("GET", "/api/v2/silences")
        return [_silence(s) for s in _parsed(_SILENCES.validate_python, raw)]

    async def expire_silence(self, silence_id: str) -> None:
        await self._call("DELETE", f"/api/v2/silence/{quote(silence_id, safe='')}")

    async def alerts(self) -> list[Alert]:
        raw = await self._call("GET", "/api/v2/alerts")
        return [_alert(a) for a in _parsed(_ALERTS.validate_python, raw)]

    async def ping(self) -> None:
        """Raises :class:`DependencyError` unless Alertmanager says it is ready."""
        await self._call("GET", "/-/ready", parse=False)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _call(
        self, method: Method, path: str, body: object = None, *, parse: bool = True
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(method, self._base + path, json=body) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DependencyError(
                DEPENDENCY, f"Alertmanager is unreachable ({type(exc).__name__})."
            ) from exc
        _check(status, text)
        if not parse or not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise DependencyError(DEPENDENCY, "Alertmanager answered with invalid JSON.") from exc


def _check(status: int, text: str) -> None:
    if status < 300:
        return
    reason = _reason(text)
    if status == 400:
        raise InvalidInput(f"Alertmanager refused it: {reason}")
    if status == 404:
        raise NotFoundError(f"Alertmanager does not know it: {reason}")
    raise DependencyError(DEPENDENCY, f"Alertmanager answered HTTP {status}.")


def _reason(text: str) -> str:
    """Alertmanager's error: a JSON string, an object with ``message``, or plain text."""
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, dict):
        value = value.get("message") or value.get("error") or ""
    return " ".join(str(value).split())[:300] or "no reason given"


def _parsed(validate: Any, raw: Any) -> Any:
    try:
        return validate(raw)
    except ValidationError as exc:
        raise DependencyError(DEPENDENCY, "Alertmanager's answer is not API v2.") from exc


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _silence(raw: _Silence) -> Silence:
    return Silence(
        id=raw.id,
        matchers=tuple(Matcher(m.name, m.value, m.is_regex, m.is_equal) for m in raw.matchers),
        starts_at=raw.starts_at,
        ends_at=raw.ends_at,
        created_by=raw.created_by,
        comment=raw.comment,
        state=raw.status.state,
    )


def _alert(raw: _Alert) -> Alert:
    return Alert(
        name=raw.labels.get("alertname", ""),
        severity=raw.labels.get("severity", ""),
        state=_STATES.get(raw.status.state, raw.status.state),
        labels=raw.labels,
        summary=raw.annotations.get("summary") or raw.annotations.get("description", ""),
        starts_at=raw.starts_at.timestamp(),
    )
