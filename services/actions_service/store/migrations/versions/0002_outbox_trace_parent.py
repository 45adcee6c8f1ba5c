"""The timeline outbox remembers the trace of the action that wrote each entry.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Nullable: entries written before tracing have no trace to link to.
    op.add_column("timeline_outbox", sa.Column("trace_parent", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("timeline_outbox") as table:
        table.drop_column("trace_parent")
