"""The settler finds open records by state and age; replicas share Gladly's request budget.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_actions_open", "actions", ["state", "updated_at"])
    op.create_table(
        "rate_budget",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_rate_budget"),
    )


def downgrade() -> None:
    op.drop_table("rate_budget")
    op.drop_index("ix_actions_open", "actions")
