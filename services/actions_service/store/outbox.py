"""The timeline outbox: entries to post to Gladly, claimed by one deliverer at a time.

A claim is one atomic UPDATE of due rows to this deliverer's lease: on PostgreSQL the rows are
picked with FOR UPDATE SKIP LOCKED, so replicas claiming at once take different rows instead of
queueing; on SQLite the write lock makes the UPDATE atomic. An expired lease (a deliverer that
died mid-send) makes the row claimable again; Gladly's 409 for a known item id then tells the
next deliverer it had arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions_service.store.db import Database, shielded
from services.actions_service.store.rows import DeliveryState, OutboxEntry
from services.actions_service.store.schema import timeline_outbox as outbox
from services.actions_service.store.sql import insert_unless_exists


async def add(connection: AsyncConnection, entry: OutboxEntry, now: datetime) -> None:
    """Within the transaction that completes the action; an item id already queued is kept."""
    await insert_unless_exists(
        connection,
        outbox,
        "item_id",
        {
            "item_id": entry.item_id,
            "request_id": entry.request_id,
            "gladly_customer_id": entry.gladly_customer_id,
            "title": entry.title,
            "body": entry.body,
            "occurred_at": entry.occurred_at,
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
            "trace_parent": entry.trace_parent or None,
        },
    )


@dataclass(frozen=True)
class Pending:
    count: int
    oldest: datetime | None  # when the oldest waiting entry was written
    next_due: datetime | None  # when the earliest is due (it may be claimed by someone else)


class Outbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    @shielded
    async def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxEntry]:
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.state == DeliveryState.PENDING,
                outbox.c.next_attempt_at <= now,
                or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
            )
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(outbox)
            .where(outbox.c.id.in_(due.scalar_subquery()))
            .values(lease_owner=owner, lease_until=lease_until)
            .returning(*outbox.c)
        )
        async with self._db.transaction() as connection:
            rows = (await connection.execute(statement)).mappings().all()
        return sorted((_entry(row) for row in rows), key=lambda e: e.id)

    @shielded
    async def delivered(self, entry_id: int, owner: str, now: datetime) -> None:
        await self._settle(
            entry_id, owner, state=DeliveryState.DELIVERED, delivered_at=now, last_error=""
        )

    @shielded
    async def retry_at(self, entry_id: int, owner: str, when: datetime, error: str) -> None:
        await self._settle(
            entry_id,
            owner,
            next_attempt_at=when,
            attempts=outbox.c.attempts + 1,
            last_error=error[:500],
        )

    @shielded
    async def give_up(self, entry_id: int, owner: str, error: str) -> None:
        await self._settle(
            entry_id,
            owner,
            state=DeliveryState.FAILED,
            attempts=outbox.c.attempts + 1,
            last_error=error[:500],
        )

    @shielded
    async def release(self, owner: str) -> None:
        """Hand back what this deliverer claimed but did not settle (graceful stop)."""
        async with self._db.transaction() as connection:
            await connection.execute(
                update(outbox)
                .where(outbox.c.lease_owner == owner, outbox.c.state == DeliveryState.PENDING)
                .values(lease_owner=None, lease_until=None)
            )

    @shielded
    async def pending(self) -> Pending:
        """How many entries wait, since when, and when the earliest is due (one query: the
        deliverer asks between rounds, for its sleep and for the backlog metrics)."""
        query = select(
            func.count(), func.min(outbox.c.created_at), func.min(outbox.c.next_attempt_at)
        ).where(outbox.c.state == DeliveryState.PENDING)
        async with self._db.transaction() as connection:
            count, oldest, next_due = (await connection.execute(query)).one()
        return Pending(count, oldest, next_due)

    @shielded
    async def backlog(self, limit: int, failed_only: bool = False) -> list[OutboxEntry]:
        """Entries not delivered (pending and failed, or failed only), oldest first."""
        states = [DeliveryState.FAILED]
        if not failed_only:
            states.append(DeliveryState.PENDING)
        query = select(outbox).where(outbox.c.state.in_(states)).order_by(outbox.c.id).limit(limit)
        async with self._db.transaction() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_entry(row) for row in rows]

    async def _settle(self, entry_id: int, owner: str, **values: object) -> None:
        # Only the lease holder settles: a deliverer whose lease ran out must not overwrite
        # the state another deliverer has since recorded.
        async with self._db.transaction() as connection:
            await connection.execute(
                update(outbox)
                .where(outbox.c.id == entry_id, outbox.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None, **values)
            )


def _entry(row: RowMapping) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        item_id=row["item_id"],
        request_id=row["request_id"],
        gladly_customer_id=row["gladly_customer_id"],
        title=row["title"],
        body=row["body"],
        occurred_at=row["occurred_at"],
        state=DeliveryState(row["state"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        trace_parent=row["trace_parent"] or "",
    )
