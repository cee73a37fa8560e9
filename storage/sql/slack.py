"""The tables of Slack's OAuth mode, on the shared :class:`storage.sql.models.Base` (migration
``v0005_slack_installations`` creates exactly these).

They are ``slack_sdk``'s own (``slack_installations``, ``slack_bots``, ``slack_oauth_states``,
built by its SQLAlchemy stores' table builders, so its stores' queries run on them unchanged)
with one difference: every column holding a credential is ``TEXT`` instead of
``VARCHAR(200)``, because it holds the token's Fernet ciphertext, about 2.4 times as long as
the token (a rotating ``xoxe.xoxb-...`` token would not fit in 200).

Should a ``slack_sdk`` upgrade change its tables, the test comparing the migrations with
these models fails, and a new migration follows it.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table, Text

from storage.sql.models import Base

#: The columns holding credentials: stored encrypted (see :mod:`storage.sql.slack_store`).
#: An incoming webhook's URL is one too: anyone holding it can post into its channel.
SECRET_COLUMNS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)


def _with_secret_columns_as_text(table: Table) -> Table:
    for column in table.columns:
        if column.name in SECRET_COLUMNS:
            column.type = Text()
    return table


INSTALLATIONS = _with_secret_columns_as_text(
    SQLAlchemyInstallationStore.build_installations_table(Base.metadata, "slack_installations")
)
BOTS = _with_secret_columns_as_text(
    SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
)
OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, "slack_oauth_states"
)
