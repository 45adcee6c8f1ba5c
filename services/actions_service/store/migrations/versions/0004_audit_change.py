"""The audit log says what an action changed, before → after, as the timeline does.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Nullable: rows written before, and attempts that changed nothing, have no change to tell.
    op.add_column("audit_log", sa.Column("change", sa.String(500)))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.drop_column("change")
