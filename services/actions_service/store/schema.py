"""The store's tables, as SQLAlchemy Core metadata (the migrations create them; tests compare)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and SQLite (text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite stores text without a zone; every value in it is UTC, so it still sorts right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The table of action records (named `actions` in the database since the first migration).
action_records = Table(
    "actions",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("action", String(32), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("request", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", UtcDateTime),
    Column("attempts", Integer, nullable=False),
    Column("recovery", JSON),
    Column("result", JSON),
    Column("outcome", String(16)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Index("ix_actions_open", "state", "updated_at"),
)

timeline_outbox = Table(
    "timeline_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(50), nullable=False, unique=True),
    Column("request_id", String(64), nullable=False),
    Column("gladly_customer_id", String(64), nullable=False),
    Column("title", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Column("trace_parent", String(64)),
    Index("ix_timeline_outbox_due", "state", "next_attempt_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("who", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("subscription_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("ordergroove_status", Integer),
    Column("trace_id", String(64), nullable=False),
    Column("request_id", String(64), nullable=False),
    # What a completed action changed, before → after (as its timeline entry says).
    Column("change", String(500)),
)

# Whose turn it is to act on an Ordergroove customer: one row per customer while an action holds
# it, until its holder gives it back or `until` passes (a holder that died).
turns = Table(
    "turns",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("until", UtcDateTime, nullable=False),
)

# Gladly's request budget, shared by every replica: one row per budget (e.g. `gladly:GET`)
# counting the requests granted in the current time slot, and when Gladly last said to wait.
rate_budget = Table(
    "rate_budget",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("slot", BigInteger, nullable=False),  # the slot's number: unix time / slot length
    Column("used", Integer, nullable=False),
    Column("blocked_until", Float, nullable=False),  # unix time; 0 when not blocked
)
