"""The Bot Framework's signing keys: a stalled key endpoint never stalls the server, forged
tokens cost at most one bounded fetch per interval, and real tokens still pass the SDK's
checks with keys from :class:`~adapters.teams.signing_keys.SigningKeys`."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.schema import Activity
from botframework.connector.auth import ChannelValidation
from prometheus_client import CollectorRegistry

from adapters.teams.authentication import KeyedAuthentication
from adapters.teams.config import TeamsConfig
from adapters.teams.factory import ENDPOINT_KEY, TeamsOptions
from adapters.teams.signing_keys import SigningKeys, UnknownSigningKey
from bot.app.config import Settings
from bot.app.server import build_web_app
from bot.app.wiring.teams import plugin
from bot.core.telemetry import Telemetry
from storage.dedupe import InMemoryDedupeStore
from tests.fakes.openid import FakeOpenIdEndpoint, SigningKey, channel_claims, forged_token
from tests.fakes.slack_bot import RecordingCore
from tests.fakes.teams_activities import mention, payload
from tests.fakes.teams_connector import FakeBotConnector

APP_ID = "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc"
PRODUCTION = Settings(teams_app_id=APP_ID, teams_app_password="pw", teams_tenant_id=None)
KEY_TIMEOUT = 1.0
OPTIONS = TeamsOptions(key_fetch_timeout=KEY_TIMEOUT)
#: /healthz over loopback answers in milliseconds; this is the "never blocked" bound.
HEALTHZ_BOUND = 0.5
Client = TestClient[web.Request, web.Application]


@pytest.fixture
def openid(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenIdEndpoint]:
    """The fake key endpoint, installed where the SDK looks for the channel's keys."""
    endpoint = FakeOpenIdEndpoint((SigningKey("good-kid"),))
    with endpoint.running():
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", endpoint.metadata_url)
        yield endpoint


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[tuple[Client, str]]:
    """The bot server with Teams in production mode (over a small recording core); yields
    its client and the fake connector's URL."""
    services: Any = SimpleNamespace(
        settings=PRODUCTION, redis=None, dedupe=InMemoryDedupeStore(), posters={},
        dispatcher=RecordingCore().dispatcher,
    )  # fmt: skip
    async with contextlib.AsyncExitStack() as stack:
        mount = await plugin(services, stack, options=OPTIONS)
        app = build_web_app(Telemetry(CollectorRegistry()), [], [mount])
        connector = await stack.enter_async_context(FakeBotConnector())
        client = await stack.enter_async_context(TestClient(TestServer(app)))
        yield client, connector.url
        await app[ENDPOINT_KEY].drain()


def healthz_seconds_once(started: threading.Event, url: str) -> float:
    """From another thread: wait until the key fetch is under way, then time one /healthz
    (timed here, so a blocked event loop shows in the number)."""
    if not started.wait(10):
        return float("inf")
    begun = time.monotonic()
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
        response.read()
    return time.monotonic() - begun


async def test_a_stalled_key_endpoint_blocks_neither_healthz_nor_the_401(
    openid: FakeOpenIdEndpoint,
) -> None:
    """A forged token with a Bot Framework issuer while the key endpoint hangs: /healthz on
    the same server still answers at once, and the POST is refused within the fetch bound."""
    openid.stall()
    async with serving() as (client, service_url):
        probe = asyncio.create_task(asyncio.to_thread(
            healthz_seconds_once, openid.received, str(client.make_url("/healthz"))))  # fmt: skip
        begun = time.monotonic()
        response = await client.post(
            "/api/messages", json=mention("status", service_url=service_url),
            headers={"Authorization": f"Bearer {forged_token(APP_ID, service_url)}"},
        )  # fmt: skip
        post_seconds = time.monotonic() - begun
        healthz = await probe
    assert response.status == 401
    assert healthz < HEALTHZ_BOUND, f"/healthz took {healthz:.2f}s during the key fetch"
    assert post_seconds < KEY_TIMEOUT + 2.0, f"the 401 took {post_seconds:.2f}s"


async def test_forged_tokens_cost_one_fetch_per_interval(
    openid: FakeOpenIdEndpoint,
) -> None:
    """Fifty forged tokens with made-up key ids, concurrently and then one by one: one key
    refresh in all, and every one of them is 401."""
    async with serving() as (client, service_url):
        body = mention("status", service_url=service_url)

        async def post(i: int) -> int:
            token = forged_token(APP_ID, service_url, kid=f"made-up-{i}")
            headers = {"Authorization": f"Bearer {token}"}
            return (await client.post("/api/messages", json=body, headers=headers)).status

        statuses = await asyncio.gather(*(post(i) for i in range(25)))
        statuses += [await post(i) for i in range(25, 50)]
    assert set(statuses) == {401}
    assert openid.fetches() == 1


def activity(service_url: str) -> Any:
    return Activity().deserialize(payload("bot_added_to_team", service_url=service_url))


async def test_a_token_signed_with_a_published_key_passes_the_sdk_checks(
    openid: FakeOpenIdEndpoint,
) -> None:
    """The keys reach the SDK in the shape it checks: a token signed by a published key is
    authenticated, and cached (no second fetch); the same claims signed by another key with
    the published key id are refused."""
    config = TeamsConfig(app_id=APP_ID, app_password="pw").sdk_configuration()
    auth = KeyedAuthentication(config, SigningKeys(timeout=KEY_TIMEOUT))
    service_url = "https://smba.trafficmanager.net/emea/"
    claims = channel_claims(APP_ID, service_url)
    (published,) = openid.keys
    for _ in range(2):
        result = await auth.authenticate_request(
            activity(service_url), f"Bearer {published.token(claims)}"
        )
        assert result.claims_identity.is_authenticated
        assert result.claims_identity.get_claim_value("aud") == APP_ID
    impostor = SigningKey("other").token(claims, kid=published.kid)
    with pytest.raises(Exception, match="Signature verification failed"):
        await auth.authenticate_request(activity(service_url), f"Bearer {impostor}")
    assert openid.fetches() == 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_keys_refresh_after_the_interval_and_survive_a_failed_refresh(
    openid: FakeOpenIdEndpoint,
) -> None:
    """An unknown key id refetches only once the interval has passed; a refresh that fails
    (stalled endpoint) keeps the keys already known."""
    clock = Clock()
    keys = SigningKeys(timeout=0.5, min_interval=60, max_age=3600, clock=clock)
    url = openid.metadata_url
    assert (await keys.key(url, "good-kid")).endorsements == ["msteams"]
    with pytest.raises(UnknownSigningKey):
        await keys.key(url, "new-kid")
    assert openid.fetches() == 1
    clock.now += 61
    with pytest.raises(UnknownSigningKey):
        await keys.key(url, "new-kid")
    assert openid.fetches() == 2
    openid.stall()
    clock.now += 3601
    assert (await keys.key(url, "good-kid")).endorsements == ["msteams"]
    assert openid.fetches() == 3


async def test_without_an_active_key_source_the_sdk_gets_no_keys(
    openid: FakeOpenIdEndpoint,
) -> None:
    """Outside an authentication by this adapter the SDK's lookups fail closed instead of
    falling back to its blocking fetch."""
    from botframework.connector.auth import JwtTokenExtractor

    KeyedAuthentication(TeamsConfig(APP_ID, "pw").sdk_configuration(), SigningKeys())
    with pytest.raises(UnknownSigningKey):
        await JwtTokenExtractor.get_open_id_metadata(openid.metadata_url).get("good-kid")
    assert openid.fetches() == 0


async def test_a_known_key_is_not_held_up_by_a_refresh_in_flight(
    openid: FakeOpenIdEndpoint,
) -> None:
    """While a forged key id has a refresh waiting on a hung endpoint, a token signed with a
    key already known is checked at once."""
    keys = SigningKeys(timeout=30, min_interval=0)
    url = openid.metadata_url
    await keys.key(url, "good-kid")
    openid.stall()
    openid.received.clear()
    refreshing = asyncio.create_task(keys.key(url, "made-up"))
    await asyncio.to_thread(openid.received.wait, 10)
    async with asyncio.timeout(1):
        assert (await keys.key(url, "good-kid")).endorsements == ["msteams"]
    openid.release()
    with pytest.raises(UnknownSigningKey):
        await refreshing
