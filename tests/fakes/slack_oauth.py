"""The bot in Slack's OAuth mode against the fake Slack, and a browser that installs the app
into a workspace the way a person does: ``GET /slack/install`` (redirected to Slack with a
state, and a state cookie), consent on Slack (the fake hands out a code), then Slack's
redirect back to ``GET /slack/oauth_redirect`` with the code, the state and the cookie."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.slack.factory import INSTALL_PATH, REDIRECT_PATH
from bot.app.config import Settings
from tests.fakes.slack_api import FakeSlack, Workspace
from tests.fakes.slack_bot import SIGNING_SECRET

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "oauth-client-secret-for-tests"
#: A Fernet key (32 random bytes, url-safe base64), for the tests only.
ENCRYPTION_KEY = "JUVsY2Vfa2V5X2Zvcl90ZXN0c19vbmx5XzAxMjM0NTY="
STATE_COOKIE = "slack-app-oauth-state"

TEAM_A = Workspace("T0AAAAAAA", "xoxb-1111-2222-TEAMaTOKENvalue", name="Alpha",
                   bot_user_id="U0BOTALPHA", bot_id="B0BOTALPHA")  # fmt: skip
TEAM_B = Workspace("T0BBBBBBB", "xoxb-3333-4444-TEAMbTOKENvalue", name="Beta",
                   bot_user_id="U0BOTBETA", bot_id="B0BOTBETA")  # fmt: skip


def oauth_fake() -> FakeSlack:
    """A fake Slack that knows the app's client id and secret. Its own default workspace's
    token is never handed to the bot: in OAuth mode every token comes from an install."""
    return FakeSlack(
        bot_token="xoxb-0000-0000-NEVERused", client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )


def oauth_settings(fake: FakeSlack, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_token_encryption_key=ENCRYPTION_KEY,
    )


@dataclass(frozen=True)
class Redirect:
    """Where ``/slack/install`` sent the browser, and the state cookie it set."""

    status: int
    location: str
    state: str
    cookie: str


@dataclass(frozen=True)
class Page:
    status: int
    text: str


class Browser:
    """An installer's browser, talking to the bot's server."""

    def __init__(self, client: TestClient[web.Request, web.Application]) -> None:
        self._client = client

    async def start(self) -> Redirect:
        response = await self._client.get(INSTALL_PATH, allow_redirects=False)
        location = response.headers.get("Location", "")
        [state] = parse_qs(urlsplit(location).query).get("state", [""])
        morsel = response.cookies.get(STATE_COOKIE)
        return Redirect(response.status, location, state, morsel.value if morsel else "")

    async def come_back(self, *, code: str, state: str, cookie: str | None) -> Page:
        """Slack's redirect to the bot, with ``cookie`` as the state cookie (None: none)."""
        headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie is not None else {}
        response = await self._client.get(
            REDIRECT_PATH, params={"code": code, "state": state}, headers=headers
        )
        return Page(response.status, await response.text())

    async def install(self, fake: FakeSlack, workspace: Workspace) -> Page:
        """The whole install of the app into ``workspace``."""
        started = await self.start()
        code = fake.install(workspace)
        return await self.come_back(code=code, state=started.state, cookie=started.cookie)
