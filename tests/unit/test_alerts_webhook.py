"""``POST /alertmanager`` on the bot's server: only the configured token (bearer, or basic auth
password) gets in, and a refused request runs nothing; bad bodies are 400; a storage outage
is 503 so Alertmanager retries."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.alertmanager.webhook import webhook_plugin
from bot.app.server import build_web_app
from bot.core.ports import ChannelRef
from bot.core.telemetry import Telemetry
from bot.features.alerts.alerting import Alerting
from bot.features.alerts.model import Subscription
from storage.sql.alert_store import SqlAlertStore, open_alert_store_at
from tests.fakes.alerts import WEBHOOK_TOKEN, RecordingPoster, alerting_over, recorded
from tests.unit.test_alerts_store import NOW

OPS = ChannelRef("chat", "T1", "C-OPS")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlAlertStore]:
    async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as store:
        await store.add_subscription(Subscription(OPS), NOW)
        yield store


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


async def client_for(
    alerting: Alerting, token: str | None = WEBHOOK_TOKEN
) -> TestClient[web.Request, web.Application]:
    webhook = webhook_plugin(alerting.notifier, token)
    client = TestClient(TestServer(build_web_app(Telemetry(), [], [webhook])))
    await client.start_server()
    return client


@pytest.fixture
async def client(
    store: SqlAlertStore, poster: RecordingPoster
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    client = await client_for(alerting_over(store, {"chat": poster}))
    yield client
    await client.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_a_notification_with_the_bearer_token_is_posted(
    client: TestClient[web.Request, web.Application], poster: RecordingPoster
) -> None:
    response = await client.post(
        "/alertmanager",
        data=recorded("firing.json"),
        headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status == 200
    assert await response.json() == {"status": "ok", "channels": 1}
    (post,) = poster.posts
    assert post.reply.title == "Firing: HighLatency on checkout-api-1"


async def test_the_token_as_basic_auth_password_is_accepted(
    client: TestClient[web.Request, web.Application], poster: RecordingPoster
) -> None:
    response = await client.post(
        "/alertmanager",
        data=recorded("firing.json"),
        headers={"Authorization": basic("alertmanager", WEBHOOK_TOKEN)},
    )
    assert response.status == 200
    assert len(poster.posts) == 1


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        f"Bearer {WEBHOOK_TOKEN}x",
        f"Bearer {WEBHOOK_TOKEN[:-1]}",
        f"Token {WEBHOOK_TOKEN}",
        basic(WEBHOOK_TOKEN, "wrong"),
        basic("alertmanager", ""),
        "Basic !!!not-base64!!!",
    ],
)
async def test_anything_but_the_token_is_refused_and_runs_nothing(
    client: TestClient[web.Request, web.Application],
    store: SqlAlertStore,
    poster: RecordingPoster,
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post("/alertmanager", data=recorded("firing.json"), headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert poster.posts == []
    assert await store.find_groups("") == [], "nothing was recorded either"


async def test_with_no_token_configured_every_request_is_refused(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    client = await client_for(alerting_over(store, {"chat": poster}), token=None)
    try:
        for authorization in ("Bearer ", "Bearer None", basic("x", "")):
            response = await client.post(
                "/alertmanager", data=recorded("firing.json"),
                headers={"Authorization": authorization},
            )  # fmt: skip
            assert response.status == 401
    finally:
        await client.close()
    assert poster.posts == []


@pytest.mark.parametrize("body", [b"{not json", b'{"groupKey": "k", "alerts": []}', b""])
async def test_a_body_that_is_not_a_notification_is_400(
    client: TestClient[web.Request, web.Application], poster: RecordingPoster, body: bytes
) -> None:
    response = await client.post(
        "/alertmanager", data=body, headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    )
    assert response.status == 400
    assert "not an Alertmanager notification" in (await response.json())["error"]
    assert poster.posts == []


async def test_a_database_outage_is_503_so_alertmanager_retries(
    store: SqlAlertStore, poster: RecordingPoster, tmp_path: Path
) -> None:
    client = await client_for(alerting_over(store, {"chat": poster}))
    await store.engine.dispose()
    (tmp_path / "alerts.db").unlink()
    (tmp_path / "alerts.db").mkdir()
    try:
        response = await client.post(
            "/alertmanager", data=recorded("firing.json"),
            headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
        )  # fmt: skip
        assert response.status == 503
        assert await response.json() == {"error": "database unavailable"}
    finally:
        await client.close()
    assert poster.posts == []
