"""Alert subscriptions, alert groups and the posts made for them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _channel() -> list[sa.Column[object]]:
    return [
        _text("platform", 32),
        _text("team_id", 255),
        _text("channel_id", 255),
        _text("thread_id", 255),
    ]


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_channel(),
        _text("severity", 16),
        _text("target", 253),
        _text("created_by", 255),
        _text("created_by_name", 255),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_subscriptions"),
        sa.UniqueConstraint(
            "platform", "team_id", "channel_id", "thread_id", "severity", "target",
            name="uq_alert_subscriptions_filter",
        ),
    )  # fmt: skip

    op.create_table(
        "alert_groups",
        _text("key_hash", 64),
        sa.Column("group_key", sa.Text(), nullable=False),
        _text("status", 16),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        _text("acked_by", 255, nullable=True),
        _text("acked_by_name", 255, nullable=True),
        _when("acked_at", nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("key_hash", name="pk_alert_groups"),
    )

    op.create_table(
        "alert_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _text("key_hash", 64),
        sa.Column("post_key", sa.Text(), nullable=False),
        *_channel(),
        _text("message_id", 255, nullable=True),
        _text("posted_channel_id", 255, nullable=True),
        _text("posted_thread_id", 255, nullable=True),
        _text("digest", 64),
        _when("claimed_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_posts"),
        sa.UniqueConstraint(
            "key_hash", "platform", "team_id", "channel_id", "thread_id",
            name="uq_alert_posts_channel",
        ),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("alert_posts")
    op.drop_table("alert_groups")
    op.drop_table("alert_subscriptions")
