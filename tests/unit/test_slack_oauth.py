"""Many Slack workspaces from one deployment (OAuth mode), end to end: the bot built by the
composition root (``open_services``) with its installations in SQLite, the real Bolt OAuth flow
and Slack SDK against the fake Slack, and two workspaces installed through the real redirect
flow. Each answer goes out with its own workspace's token, the workspaces never share a
conversation, and an uninstall takes the token away."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from slack_bolt.async_app import AsyncBoltContext
from sqlalchemy import create_engine, text

from adapters.slack.authorize import NOT_INSTALLED, InstallationAuthorization
from adapters.slack.factory import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, SLACK_ADAPTER_KEY
from bot.app.server import build_web_app
from bot.app.services import Services, open_services
from bot.core.errors import ConfigError, DependencyError, NotFoundError
from bot.core.model import Reply
from bot.core.ports import ChannelRef
from tests.fakes.slack_api import Call, FakeSlack, Workspace
from tests.fakes.slack_bot import SIGNING_SECRET, SlackBot
from tests.fakes.slack_oauth import (
    CLIENT_ID,
    ENCRYPTION_KEY,
    TEAM_A,
    TEAM_B,
    Browser,
    oauth_fake,
    oauth_settings,
)
from tests.fakes.slack_requests import (
    app_mention,
    app_uninstalled,
    event_callback,
    slash_command,
    tokens_revoked,
)

CHANNEL = "C0SHARED1"
USER = "U0SAMEUSER"
THREAD = "1700.000100"


class Deployment:
    """The running bot, its fake Slack, an installer's browser and the database file."""

    def __init__(self, bot: SlackBot, fake: FakeSlack, services: Services, database: Path):
        self.bot = bot
        self.fake = fake
        self.services = services
        self.database = database
        self.browser = Browser(bot.client)
        self._events = 0

    async def mention(self, team: Workspace, words: str, *, ts: str) -> tuple[int, str]:
        """``@smartcloudops <words>`` from the same user, channel and thread id in either
        workspace (ids that collide across workspaces must still keep them apart)."""
        event = app_mention(f"<@{team.bot_user_id}> {words}", user=USER, channel=CHANNEL,
                            ts=ts, thread_ts=THREAD)  # fmt: skip
        self._events += 1
        request = event_callback(event, event_id=f"Ev{self._events:08d}", team_id=team.team_id)
        answer = await self.bot.send(request)
        await self.bot.settle()
        return answer

    def rows(self, table: str, team: Workspace) -> list[dict[str, object]]:
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with engine.connect() as conn:
                result = conn.execute(
                    text(f"SELECT * FROM {table} WHERE team_id = :team"),  # noqa: S608 - fixed names
                    {"team": team.team_id},
                )
                return [dict(row) for row in result.mappings()]
        finally:
            engine.dispose()


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    database = tmp_path / "smartcloudops.db"
    async with (
        oauth_fake() as fake,
        open_services(oauth_settings(fake, f"sqlite:///{database}")) as services,
    ):
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        async with TestClient(TestServer(app)) as client:
            bot = SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET)
            yield Deployment(bot, fake, services, database)


@pytest.fixture
async def installed(deployment: Deployment) -> Deployment:
    for team in (TEAM_A, TEAM_B):
        page = await deployment.browser.install(deployment.fake, team)
        assert page.status == 200, page.text
    return deployment


def answers(fake: FakeSlack) -> list[Call]:
    """What the bot said (posts, and placeholders edited into answers), in order."""
    return [c for c in fake.calls if c.method in ("chat.postMessage", "chat.update")]


def web_calls_after_install(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls if c.method not in ("oauth.v2.access", "auth.test", "upload")]


async def test_two_workspaces_install_and_each_answer_goes_out_with_its_own_token(
    installed: Deployment,
) -> None:
    """Both workspaces installed through /slack/install -> Slack -> /slack/oauth_redirect;
    a question in each is answered in that workspace, with that workspace's bot token, for
    every call the answer makes (the post and its chart upload)."""
    fake = installed.fake
    assert [c.params["code"].split("-")[1] for c in fake.calls_to("oauth.v2.access")] == [
        TEAM_A.team_id, TEAM_B.team_id,
    ]  # fmt: skip
    await installed.mention(TEAM_A, "cpu of web-1", ts="1700.000200")
    await installed.mention(TEAM_B, "memory of web-2", ts="1700.000300")

    calls = web_calls_after_install(fake)
    assert calls, "the bot answered"
    assert {fake.team_of(c.token) for c in calls} == {TEAM_A.team_id, TEAM_B.team_id}
    by_team = {
        team: " ".join(c.displayed() for c in answers(fake) if fake.team_of(c.token) == team)
        for team in (TEAM_A.team_id, TEAM_B.team_id)
    }
    assert "web-1" in by_team[TEAM_A.team_id]
    assert "web-2" not in by_team[TEAM_A.team_id]
    assert "web-2" in by_team[TEAM_B.team_id]
    assert "web-1" not in by_team[TEAM_B.team_id]
    uploads = fake.calls_to("files.getUploadURLExternal")
    assert {fake.team_of(c.token) for c in uploads} == {TEAM_A.team_id, TEAM_B.team_id}


async def test_workspaces_never_see_each_others_conversation(installed: Deployment) -> None:
    """The same user, channel and thread ids in two workspaces are two conversations: a
    follow-up in B does not resolve against what was asked in A; in A it does."""
    fake = installed.fake
    await installed.mention(TEAM_A, "cpu of web-1", ts="1700.000200")
    await installed.mention(TEAM_B, "and memory?", ts="1700.000300")
    in_b = [c for c in answers(fake) if fake.team_of(c.token) == TEAM_B.team_id][-1]
    await installed.mention(TEAM_A, "and memory?", ts="1700.000400")
    in_a = [c for c in answers(fake) if fake.team_of(c.token) == TEAM_A.team_id][-1]
    assert in_b.displayed().startswith("Memory · all targets")
    assert in_a.displayed().startswith("Memory · web-1")


async def test_proactive_posts_go_out_as_the_channels_workspace(installed: Deployment) -> None:
    """Alert posts (and their edits) use the token of the channel's workspace; a workspace
    without the app is a NotFoundError that says what to do."""
    fake = installed.fake
    poster = installed.services.posters["slack"]
    posted = await poster.post(ChannelRef("slack", TEAM_B.team_id, CHANNEL), Reply(text="hi"))
    await poster.update(posted, Reply(text="resolved"))
    [post] = fake.calls_to("chat.postMessage")
    [edit] = fake.calls_to("chat.update")
    assert fake.team_of(post.token) == fake.team_of(edit.token) == TEAM_B.team_id

    with pytest.raises(NotFoundError) as refused:
        await poster.post(ChannelRef("slack", "T0NOTHERE", CHANNEL), Reply(text="hi"))
    assert refused.value.hint is not None
    assert "Install" in refused.value.hint


async def test_uninstall_deletes_the_token_and_the_next_event_is_refused(
    installed: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    """``app_uninstalled`` deletes the workspace's installation (both tables); its next
    event is refused with a clear line in the log, and reaches neither the core nor Slack;
    its next slash command is told the app is not installed. The other workspace goes on."""
    fake = installed.fake
    status, _ = await installed.bot.send(
        app_uninstalled(team_id=TEAM_A.team_id, event_id="Ev0UNINST1")
    )
    assert status == 200
    fake.revoke(TEAM_A.bot_token)
    assert installed.rows("slack_bots", TEAM_A) == []
    assert installed.rows("slack_installations", TEAM_A) == []
    assert installed.rows("slack_bots", TEAM_B) != []

    before = len(fake.calls)
    with caplog.at_level(logging.WARNING):
        status, body = await installed.mention(TEAM_A, "cpu of web-1", ts="1700.000500")
    assert (status, body) == (200, NOT_INSTALLED)
    assert fake.calls[before:] == []
    assert f"refused a request from team {TEAM_A.team_id}: no installation" in caplog.text

    url = fake.response_url("gone", TEAM_A.team_id)
    await installed.bot.send(slash_command("cpu of web-1", response_url=url,
                                           team_id=TEAM_A.team_id))  # fmt: skip
    [told] = await fake.wait_for("response_url")
    assert told.params["text"] == NOT_INSTALLED

    await installed.mention(TEAM_B, "cpu of web-1", ts="1700.000600")
    assert {fake.team_of(c.token) for c in answers(fake)} == {TEAM_B.team_id}


async def test_tokens_revoked_deletes_the_workspaces_bot(installed: Deployment) -> None:
    """``tokens_revoked`` for the bot removes the bot token, so the workspace is refused."""
    status, _ = await installed.bot.send(
        tokens_revoked(
            team_id=TEAM_B.team_id, bot_user_ids=[TEAM_B.bot_user_id], event_id="Ev0REVOKE1"
        )
    )
    assert status == 200
    assert installed.rows("slack_bots", TEAM_B) == []
    assert await installed.mention(TEAM_B, "cpu of web-1", ts="1700.000700") == (
        200, NOT_INSTALLED,
    )  # fmt: skip


async def test_tokens_are_encrypted_at_rest(installed: Deployment) -> None:
    """No column of any stored row holds a token; the stored value is its Fernet ciphertext
    under SLACK_TOKEN_ENCRYPTION_KEY."""
    for table in ("slack_installations", "slack_bots"):
        for team in (TEAM_A, TEAM_B):
            [row] = installed.rows(table, team)
            assert not any(team.bot_token in str(value) for value in row.values())
            assert not str(row["bot_token"]).startswith("xox")
            sealed = str(row["bot_token"]).encode()
            assert Fernet(ENCRYPTION_KEY).decrypt(sealed).decode() == team.bot_token
            assert row["client_id"] == CLIENT_ID


async def test_install_redirects_to_slack_with_the_scopes_and_a_state_cookie(
    deployment: Deployment,
) -> None:
    started = await deployment.browser.start()
    assert started.status == 302
    assert started.location.startswith("https://slack.com/oauth/v2/authorize?")
    assert f"client_id={CLIENT_ID}" in started.location
    assert "chat%3Awrite" in started.location or "chat:write" in started.location
    assert started.state
    assert started.cookie == started.state


async def test_a_redirect_without_the_installers_cookie_installs_nothing(
    deployment: Deployment,
) -> None:
    """The OAuth state guards the unsigned redirect: without the state cookie of the browser
    that started the install (a forged or stolen link), the code is never exchanged."""
    started = await deployment.browser.start()
    code = deployment.fake.install(TEAM_A)
    page = await deployment.browser.come_back(code=code, state=started.state, cookie=None)
    assert page.status == 400
    other = await deployment.browser.start()
    page = await deployment.browser.come_back(code=code, state=started.state, cookie=other.state)
    assert page.status == 400
    assert deployment.fake.calls_to("oauth.v2.access") == []
    assert deployment.rows("slack_bots", TEAM_A) == []


async def test_a_state_works_once(deployment: Deployment) -> None:
    """A replayed redirect (same state and cookie) is refused: the state was consumed."""
    started = await deployment.browser.start()
    code = deployment.fake.install(TEAM_A)
    first = await deployment.browser.come_back(code=code, state=started.state,
                                                cookie=started.cookie)  # fmt: skip
    again = await deployment.browser.come_back(code=code, state=started.state,
                                                cookie=started.cookie)  # fmt: skip
    assert (first.status, again.status) == (200, 401)
    assert len(deployment.fake.calls_to("oauth.v2.access")) == 1


async def test_a_code_slack_does_not_accept_installs_nothing(deployment: Deployment) -> None:
    started = await deployment.browser.start()
    page = await deployment.browser.come_back(code="made-up", state=started.state,
                                              cookie=started.cookie)  # fmt: skip
    assert page.status == 401
    assert deployment.rows("slack_bots", TEAM_A) == []


async def test_signatures_still_guard_everything_but_the_install_gets(
    deployment: Deployment,
) -> None:
    """Unsigned POSTs to /slack/events are 401 in OAuth mode too; the install routes answer
    GET only."""
    client = deployment.bot.client
    unsigned = await client.post(
        EVENTS_PATH, data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert unsigned.status == 401
    for path in (INSTALL_PATH, REDIRECT_PATH):
        assert (await client.post(path, data=b"code=x&state=y")).status == 405
    assert deployment.fake.calls == []


async def test_a_workspace_that_never_installed_is_refused(deployment: Deployment) -> None:
    assert await deployment.mention(TEAM_A, "cpu of web-1", ts="1700.000800") == (
        200, NOT_INSTALLED,
    )  # fmt: skip
    assert deployment.fake.calls == []


async def test_oauth_mode_refuses_to_start_with_a_key_that_is_not_a_fernet_key(
    tmp_path: Path,
) -> None:
    async with oauth_fake() as fake:
        settings = oauth_settings(fake, f"sqlite:///{tmp_path / 'db.sqlite'}")
        broken = type(settings)(**{**settings.__dict__, "slack_token_encryption_key": "short"})
        with pytest.raises(ConfigError) as refused:
            async with open_services(broken):
                pass
    message = str(refused.value)
    assert message.startswith("SLACK_TOKEN_ENCRYPTION_KEY is not a Fernet key")
    assert "\n" not in message


class _StoreThat:
    """An installation store whose lookups fail with ``error`` (the database behind it)."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    async def async_find_bot(self, **_: object) -> None:
        raise self._error


async def test_a_store_that_is_down_fails_the_request_rather_than_refusing_the_workspace() -> None:
    """Database down: authorization raises, Bolt answers 500 and Slack delivers the event
    again later; the workspace is not told the app is gone."""
    store = _StoreThat(DependencyError("database", "down"))
    down = InstallationAuthorization(store)  # type: ignore[arg-type]
    with pytest.raises(DependencyError):
        await down(context=AsyncBoltContext(), enterprise_id=None, team_id="T1", user_id="U1")


async def test_a_token_under_another_key_refuses_the_workspace_with_a_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token the key cannot open is refused (reinstalling fixes it), logged with why."""
    rekeyed = ConfigError(
        "A stored Slack token cannot be decrypted with SLACK_TOKEN_ENCRYPTION_KEY"
    )
    authorize = InstallationAuthorization(_StoreThat(rekeyed))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        result = await authorize(context=AsyncBoltContext(), enterprise_id=None, team_id="T1",
                                 user_id="U1")  # fmt: skip
    assert result is None
    assert "refused a request from team T1: A stored Slack token" in caplog.text


async def test_workspaces_never_see_each_others_audit_log(installed: Deployment) -> None:
    """A refused command in A is in A's audit history and not in B's."""
    fake = installed.fake
    await installed.mention(TEAM_A, "restart payments; rm -rf /", ts="1700.000900")
    await installed.mention(TEAM_A, "history", ts="1700.001000")
    in_a = [c for c in answers(fake) if fake.team_of(c.token) == TEAM_A.team_id][-1]
    await installed.mention(TEAM_B, "history", ts="1700.001100")
    in_b = [c for c in answers(fake) if fake.team_of(c.token) == TEAM_B.team_id][-1]
    assert "payments" in in_a.displayed()
    assert "payments" not in in_b.displayed()
