"""The correlation id of the turn that wrote each audit event.

Revision ID: 0004
Revises: 0003_scope
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("correlation_id", sa.String(length=32), nullable=True))
        batch.create_index("ix_audit_events_correlation_id", ["correlation_id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_correlation_id")
        batch.drop_column("correlation_id")
