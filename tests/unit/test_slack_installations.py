"""The Slack installation and OAuth state stores (OAuth mode) on SQLite: tokens round-trip
but are never readable in the tables, the latest install of a workspace wins, deleting a
workspace touches no other, a token sealed with another key is refused naming the key, and a
state works once. The same contract runs on PostgreSQL in ``tests/integration``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import create_engine, text

from bot.core.errors import ConfigError
from storage.sql.engine import create_engine as create_async_engine
from storage.sql.engine import sync_url
from storage.sql.slack_store import (
    SlackOAuthStores,
    TokenCipher,
    open_slack_oauth_stores,
    slack_oauth_stores,
)

CLIENT_ID = "1234567890.0987654321"
#: A Fernet key (32 bytes, url-safe base64), for these tests only.
ENCRYPTION_KEY = "c2xhY2stc3RvcmUtdGVzdHMtb25seS0wMTIzNDU2Nzg="
TEAM = "T0STORE01"
OTHER = "T0STORE02"
TOKEN = "xoxb-5555-6666-STOREtokenVALUE"
#: A rotating token is about 150 characters; its ciphertext would not fit in VARCHAR(200).
ROTATING = "xoxe.xoxb-1-" + "R" * 140
REFRESH = "xoxe-1-" + "F" * 140


def installation(team: str, token: str, *, at: float, refresh: str | None = None) -> Installation:
    return Installation(
        app_id="A0SMARTOPS", team_id=team, team_name="Example", bot_token=token,
        bot_id="B0STORE", bot_user_id="U0STOREBOT", bot_scopes="chat:write,commands",
        bot_refresh_token=refresh, user_id="U0INSTALLER", installed_at=at,
    )  # fmt: skip


@dataclass
class Opened:
    stores: SlackOAuthStores
    url: str

    def rows(self, table: str) -> list[dict[str, object]]:
        """Every row of ``table`` as the database holds it (what a dump would show)."""
        engine = create_engine(sync_url(self.url))
        try:
            with engine.connect() as conn:
                result = conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
                return [dict(row) for row in result.mappings()]
        finally:
            engine.dispose()


class SlackStoreContract:
    """What both databases must do; subclasses provide ``opened``."""

    async def test_a_saved_installation_is_found_with_its_token(self, opened: Opened) -> None:
        store = opened.stores.installations
        await store.async_save(installation(TEAM, TOKEN, at=time.time()))
        bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
        found = await store.async_find_installation(enterprise_id=None, team_id=TEAM)
        assert bot is not None
        assert found is not None
        assert (bot.bot_token, bot.bot_user_id, bot.team_id) == (TOKEN, "U0STOREBOT", TEAM)
        assert found.bot_token == TOKEN
        assert await store.async_find_bot(enterprise_id=None, team_id=OTHER) is None

    async def test_no_token_is_readable_in_the_tables(self, opened: Opened) -> None:
        """Every credential column holds Fernet ciphertext (even a long rotating token and
        its refresh token); no stored value contains a token."""
        await opened.stores.installations.async_save(
            installation(TEAM, ROTATING, at=time.time(), refresh=REFRESH)
        )
        fernet = Fernet(ENCRYPTION_KEY)
        for table in ("slack_installations", "slack_bots"):
            [row] = opened.rows(table)
            stored = " ".join(str(value) for value in row.values())
            assert ROTATING not in stored
            assert REFRESH not in stored
            # Ciphertext is random base64 and may spell "xox" by chance; every other value
            # must not hold anything token-like.
            plain = [str(v) for v in row.values() if not _is_ciphertext(fernet, v)]
            assert not [v for v in plain if "xox" in v]
            assert fernet.decrypt(str(row["bot_token"]).encode()).decode() == ROTATING
            assert fernet.decrypt(str(row["bot_refresh_token"]).encode()).decode() == REFRESH

    async def test_the_latest_install_of_a_workspace_wins(self, opened: Opened) -> None:
        store = opened.stores.installations
        now = time.time()
        await store.async_save(installation(TEAM, "xoxb-old-token", at=now - 60))
        await store.async_save(installation(TEAM, TOKEN, at=now))
        bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
        assert bot is not None
        assert bot.bot_token == TOKEN

    async def test_deleting_a_workspace_removes_its_rows_only(self, opened: Opened) -> None:
        store = opened.stores.installations
        await store.async_save(installation(TEAM, TOKEN, at=time.time()))
        await store.async_save(installation(OTHER, "xoxb-other-token", at=time.time()))
        await store.async_delete_all(enterprise_id=None, team_id=TEAM)
        assert await store.async_find_bot(enterprise_id=None, team_id=TEAM) is None
        assert await store.async_find_installation(enterprise_id=None, team_id=TEAM) is None
        assert await store.async_find_bot(enterprise_id=None, team_id=OTHER) is not None
        for table in ("slack_installations", "slack_bots"):
            assert {row["team_id"] for row in opened.rows(table)} == {OTHER}

    async def test_a_token_sealed_with_another_key_is_refused_naming_the_key(
        self, opened: Opened
    ) -> None:
        await opened.stores.installations.async_save(installation(TEAM, TOKEN, at=time.time()))
        engine = create_async_engine(opened.url)
        try:
            rekeyed = slack_oauth_stores(
                engine, client_id=CLIENT_ID, cipher=TokenCipher(Fernet.generate_key().decode())
            )
            with pytest.raises(ConfigError, match="SLACK_TOKEN_ENCRYPTION_KEY") as refused:
                await rekeyed.installations.async_find_bot(enterprise_id=None, team_id=TEAM)
        finally:
            await engine.dispose()
        assert TOKEN not in str(refused.value)

    async def test_a_state_works_once(self, opened: Opened) -> None:
        states = opened.stores.states
        state = await states.async_issue()
        assert await states.async_consume(state)
        assert not await states.async_consume(state)
        assert not await states.async_consume("never-issued")

    async def test_expired_states_are_swept_when_a_new_one_is_issued(self, opened: Opened) -> None:
        """An abandoned install leaves its state behind; the next install removes it."""
        engine = create_engine(sync_url(opened.url))
        expired = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
        try:
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO slack_oauth_states (state, expire_at) VALUES ('old', :at)"),
                    {"at": expired},
                )
        finally:
            engine.dispose()
        fresh = await opened.stores.states.async_issue()
        assert [row["state"] for row in opened.rows("slack_oauth_states")] == [fresh]


class TestSqliteSlackStores(SlackStoreContract):
    @pytest.fixture
    async def opened(self, tmp_path: Path) -> AsyncIterator[Opened]:
        url = f"sqlite+aiosqlite:///{tmp_path / 'slack.db'}"
        async with open_slack_oauth_stores(
            url, client_id=CLIENT_ID, cipher=TokenCipher(ENCRYPTION_KEY)
        ) as stores:
            yield Opened(stores, url)


@pytest.mark.parametrize("key", ["", "short", "x" * 44, Fernet.generate_key().decode()[:-2]])
def test_a_key_that_is_not_a_fernet_key_is_a_one_line_config_error(key: str) -> None:
    with pytest.raises(ConfigError) as refused:
        TokenCipher(key)
    message = str(refused.value)
    assert message.startswith("SLACK_TOKEN_ENCRYPTION_KEY is not a Fernet key")
    assert "\n" not in message


def _is_ciphertext(fernet: Fernet, value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        fernet.decrypt(value.encode())
    except InvalidToken:
        return False
    return True
