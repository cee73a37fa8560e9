"""SQLAlchemy 2 tables of the remediation flow. The Alembic scripts in ``storage/alembic``
create exactly these (a test compares them).

The unique constraints carry the guarantees: one approval per (request, approver) and one
execution per request, decided by ``remediation_executions.idempotency_key``. ``scope`` (the
platform and tenant, see :func:`bot.features.remediation.model.scope_of`) decides where a
request and an audit event can be seen; rows from before it existed have ``''``, no scope.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on PostgreSQL and SQLite alike (SQLite
    keeps no zone, so values are stored as naive UTC there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC-aware values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RequestRow(Base):
    __tablename__ = "remediation_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(253))
    replicas: Mapped[int | None] = mapped_column(Integer)
    requester: Mapped[str] = mapped_column(String(255))
    requester_name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(255), server_default="")
    approvals_required: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dry_run: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_remediation_requests_requester_action", "requester", "action"),)


class ApprovalRow(Base):
    __tablename__ = "remediation_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("remediation_requests.id"))
    approver: Mapped[str] = mapped_column(String(255))
    approver_name: Mapped[str] = mapped_column(String(255))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("request_id", "approver", name="uq_remediation_approvals_once"),
    )


class ExecutionRow(Base):
    __tablename__ = "remediation_executions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("remediation_requests.id"), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    summary: Mapped[str] = mapped_column(Text, default="")
    output: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_remediation_executions_action_target", "action", "target", "started_at"),
    )


class AuditRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    actor_name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(253))
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(255), server_default="")
    #: The turn that wrote the row (the ``ref`` in its reply, on its log lines too).
    correlation_id: Mapped[str | None] = mapped_column(String(32), index=True)

    __table_args__ = (Index("ix_audit_events_scope_at", "scope", "at"),)
