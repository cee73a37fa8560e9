"""SQLAlchemy 2 tables of the alert-posting side, on the shared :class:`storage.sql.models.Base`
(migration ``v0002_alerts`` creates exactly these).

The unique constraints carry the guarantees: one subscription per channel and filter, and one
post per (key, channel) - the row is the claim that lets exactly one replica make the first
post. "No thread", "every severity" and "every target" are stored as ``''`` rather than NULL,
because NULLs never collide in a unique constraint.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.sql.models import Base, UtcDateTime


class AlertSubscriptionRow(Base):
    __tablename__ = "alert_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(String(255))
    severity: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(253))
    created_by: Mapped[str] = mapped_column(String(255))
    created_by_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint(
            "platform", "team_id", "channel_id", "thread_id", "severity", "target",
            name="uq_alert_subscriptions_filter",
        ),
    )  # fmt: skip


class AlertGroupRow(Base):
    __tablename__ = "alert_groups"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    epoch: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)
    acked_by: Mapped[str | None] = mapped_column(String(255))
    acked_by_name: Mapped[str | None] = mapped_column(String(255))
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AlertPostRow(Base):
    __tablename__ = "alert_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    post_key: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str | None] = mapped_column(String(255))
    posted_channel_id: Mapped[str | None] = mapped_column(String(255))
    posted_thread_id: Mapped[str | None] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint(
            "key_hash", "platform", "team_id", "channel_id", "thread_id",
            name="uq_alert_posts_channel",
        ),
    )  # fmt: skip
