"""Remediation requests, approvals, executions and audit events.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _when("at"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_name", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=253), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_request_id", "audit_events", ["request_id"])

    op.create_table(
        "remediation_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=253), nullable=False),
        sa.Column("replicas", sa.Integer(), nullable=True),
        sa.Column("requester", sa.String(length=255), nullable=False),
        sa.Column("requester_name", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        sa.Column("dry_run", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_remediation_requests"),
    )
    op.create_index(
        "ix_remediation_requests_requester_action",
        "remediation_requests",
        ["requester", "action"],
    )
    op.create_index("ix_remediation_requests_status", "remediation_requests", ["status"])

    op.create_table(
        "remediation_approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("approver", sa.String(length=255), nullable=False),
        sa.Column("approver_name", sa.String(length=255), nullable=False),
        _when("approved_at"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["remediation_requests.id"],
            name="fk_remediation_approvals_request_id_remediation_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_remediation_approvals"),
        sa.UniqueConstraint("request_id", "approver", name="uq_remediation_approvals_once"),
    )

    op.create_table(
        "remediation_executions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=253), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("started_at"),
        _when("finished_at", nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["remediation_requests.id"],
            name="fk_remediation_executions_request_id_remediation_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_remediation_executions"),
        sa.UniqueConstraint("idempotency_key", name="uq_remediation_executions_idempotency_key"),
        sa.UniqueConstraint("request_id", name="uq_remediation_executions_request_id"),
    )
    op.create_index(
        "ix_remediation_executions_action_target",
        "remediation_executions",
        ["action", "target", "started_at"],
    )


def downgrade() -> None:
    op.drop_table("remediation_executions")
    op.drop_table("remediation_approvals")
    op.drop_index("ix_remediation_requests_status", table_name="remediation_requests")
    op.drop_index("ix_remediation_requests_requester_action", table_name="remediation_requests")
    op.drop_table("remediation_requests")
    op.drop_index("ix_audit_events_request_id", table_name="audit_events")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
