"""The append-only audit log: one row per attempt at an action."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions_service.store.db import Database, shielded
from services.actions_service.store.rows import AttemptOutcome, AuditEntry
from services.actions_service.store.schema import audit_log


async def append(connection: AsyncConnection, entry: AuditEntry) -> None:
    """Within the caller's transaction, so the row commits with what it describes."""
    await connection.execute(audit_log.insert().values(asdict(entry)))


class AuditLog:
    def __init__(self, database: Database) -> None:
        self._db = database

    @shielded
    async def append(self, entry: AuditEntry) -> None:
        async with self._db.transaction() as connection:
            await append(connection, entry)

    @shielded
    async def recent(self, limit: int, failed_only: bool = False) -> list[AuditEntry]:
        """Newest first."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if failed_only:
            query = query.where(audit_log.c.outcome == AttemptOutcome.FAILED)
        async with self._db.transaction() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_entry(row) for row in rows]


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        at=row["at"],
        who=row["who"],
        action=row["action"],
        customer_id=row["customer_id"],
        subscription_id=row["subscription_id"],
        order_id=row["order_id"],
        outcome=AttemptOutcome(row["outcome"]),
        reason=row["reason"],
        ordergroove_status=row["ordergroove_status"],
        trace_id=row["trace_id"],
        request_id=row["request_id"],
        change=row["change"] or "",
    )
