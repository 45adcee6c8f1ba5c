"""Longer action names: the catalogue's order, item and address actions
(`change_shipping_address` is 23 characters).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_TABLES = ("actions", "audit_log")


def upgrade() -> None:
    for table in _TABLES:
        # Batch mode: SQLite cannot alter a column in place (alembic copies the table).
        with op.batch_alter_table(table) as batch:
            batch.alter_column("action", type_=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("action", type_=sa.String(16), existing_nullable=False)
