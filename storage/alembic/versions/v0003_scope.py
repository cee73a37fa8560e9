"""Scope remediation requests and audit events to a platform and tenant.

A request number or an audit event is only visible where it was made (``slack:T0123``,
``teams:<tenant>``, ``discord:<guild>``). Rows written before this revision get ``''``, a
scope no chat user is in: they stay in the database, out of chat (fail closed), and a request
still pending at the upgrade can no longer be approved from chat; it expires.

Revision ID: 0003_scope
Revises: 0002
Create Date: 2027-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_scope"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _scope() -> sa.Column[str]:
    return sa.Column("scope", sa.String(length=255), nullable=False, server_default="")


def upgrade() -> None:
    op.add_column("remediation_requests", _scope())
    op.add_column("audit_events", _scope())
    op.create_index("ix_audit_events_scope_at", "audit_events", ["scope", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_scope_at", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("scope")
    with op.batch_alter_table("remediation_requests") as batch:
        batch.drop_column("scope")
