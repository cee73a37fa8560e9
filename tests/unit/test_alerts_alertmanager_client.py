"""How the Alertmanager client translates failures (a local stand-in answering like
Alertmanager does; the happy paths run against the real one in the integration tests):
400 is the user's fault with Alertmanager's reason, 404 unknown, anything else a dependency
failure that never shows the URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.alertmanager.client import AlertmanagerClient
from bot.core.errors import DependencyError, InvalidInput, NotFoundError
from bot.features.alerts.model import Matcher, SilenceDraft
from tests.harness.require import free_port

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DRAFT = SilenceDraft((Matcher("alertname", "X"),), NOW, NOW + timedelta(hours=1), "Ana", "c")


class StandIn:
    """Answers every request with the configured status and body; records requests."""

    def __init__(self) -> None:
        self.status = 200
        self.body = "[]"
        self.requests: list[tuple[str, str, bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.raw_path, await request.read()))
        return web.Response(status=self.status, text=self.body, content_type="application/json")


@pytest.fixture
async def stand_in() -> AsyncIterator[tuple[StandIn, AlertmanagerClient]]:
    fake = StandIn()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    server = TestServer(app)
    await server.start_server()
    client = AlertmanagerClient(str(server.make_url("/prefix")), timeout=2)
    yield fake, client
    await client.aclose()
    await server.close()


async def test_a_refused_silence_is_invalid_input_with_alertmanagers_reason(
    stand_in: tuple[StandIn, AlertmanagerClient],
) -> None:
    fake, client = stand_in
    fake.status, fake.body = 400, '"silence invalid: invalid label matcher 0: bad"'
    with pytest.raises(InvalidInput, match="silence invalid: invalid label matcher 0: bad"):
        await client.create_silence(DRAFT)
    method, path, body = fake.requests[0]
    assert (method, path) == ("POST", "/prefix/api/v2/silences")
    assert b'"createdBy":"Ana"' in body.replace(b" ", b"")


async def test_an_unknown_silence_is_not_found(
    stand_in: tuple[StandIn, AlertmanagerClient],
) -> None:
    fake, client = stand_in
    fake.status, fake.body = 404, '{"code": 404, "message": "silence not found"}'
    with pytest.raises(NotFoundError, match="silence not found"):
        await client.expire_silence("3f2a/../x")
    assert fake.requests[0][:2] == ("DELETE", "/prefix/api/v2/silence/3f2a%2F..%2Fx")


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, '"boom"'), (503, ""), (200, "not json"), (200, '[{"id": 3}]'), (200, '{"x": 1}')],
)
async def test_a_failing_or_foreign_answer_is_a_dependency_error(
    stand_in: tuple[StandIn, AlertmanagerClient], status: int, body: str
) -> None:
    fake, client = stand_in
    fake.status, fake.body = status, body
    with pytest.raises(DependencyError) as failure:
        await client.list_silences()
    assert failure.value.dependency == "alertmanager"


async def test_an_unreachable_alertmanager_is_a_dependency_error_without_the_url() -> None:
    client = AlertmanagerClient(f"http://admin:s3cret@127.0.0.1:{free_port()}", timeout=2)
    try:
        with pytest.raises(DependencyError) as failure:
            await client.alerts()
        with pytest.raises(DependencyError):
            await client.ping()
    finally:
        await client.aclose()
    assert "s3cret" not in failure.value.message
    assert "127.0.0.1" not in failure.value.message
