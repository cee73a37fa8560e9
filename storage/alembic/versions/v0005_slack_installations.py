"""Slack OAuth mode: installations, their bots, and OAuth states (slack_sdk's tables, with
every credential column TEXT, holding ciphertext).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _text(name: str, length: int, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _secret(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=True)


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def _bot_columns() -> list[sa.Column[object]]:
    return [
        _secret("bot_token"),
        _text("bot_id", 32),
        _text("bot_user_id", 32),
        _text("bot_scopes", 1000),
        _secret("bot_refresh_token"),
        _when("bot_token_expires_at"),
    ]


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        _id(),
        _text("client_id", 32, nullable=False),
        _text("app_id", 32, nullable=False),
        _text("enterprise_id", 32),
        _text("enterprise_name", 200),
        _text("enterprise_url", 200),
        _text("team_id", 32),
        _text("team_name", 200),
        *_bot_columns(),
        _text("user_id", 32, nullable=False),
        _secret("user_token"),
        _text("user_scopes", 1000),
        _secret("user_refresh_token"),
        _when("user_token_expires_at"),
        _secret("incoming_webhook_url"),
        _text("incoming_webhook_channel", 200),
        _text("incoming_webhook_channel_id", 200),
        _text("incoming_webhook_configuration_url", 200),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        _text("token_type", 32),
        _when("installed_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_installations"),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )

    op.create_table(
        "slack_bots",
        _id(),
        _text("client_id", 32, nullable=False),
        _text("app_id", 32, nullable=False),
        _text("enterprise_id", 32),
        _text("enterprise_name", 200),
        _text("team_id", 32),
        _text("team_name", 200),
        *_bot_columns(),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        _when("installed_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_bots"),
    )
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )

    op.create_table(
        "slack_oauth_states",
        _id(),
        _text("state", 200, nullable=False),
        _when("expire_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_oauth_states"),
    )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
