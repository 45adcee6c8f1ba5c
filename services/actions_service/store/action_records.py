"""Action records: one per request id, worked on only by the holder of its lease.

Every change is an atomic conditional statement, so concurrent attempts — in one process or in
replicas sharing PostgreSQL — agree on one lease holder without any in-process lock: the primary
key admits one insert, and a takeover is an UPDATE whose WHERE re-checks that the lease is free.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, select, update

from services.actions_service.domain import RecoveryPoint
from services.actions_service.store import audit_log, outbox
from services.actions_service.store.db import Database, shielded
from services.actions_service.store.rows import (
    OPEN_STATES,
    REQUEST_ID_TTL,
    ActionRecord,
    AuditEntry,
    NewRecord,
    OutboxEntry,
    RecordState,
)
from services.actions_service.store.schema import action_records
from services.actions_service.store.sql import insert_unless_exists


class ActionRecords:
    def __init__(self, database: Database) -> None:
        self._db = database

    @shielded
    async def claim(self, new: NewRecord) -> ActionRecord:
        """Create the record leased to `new.owner`, or take it over if it is open and its lease
        is free; either way return the record as it now stands."""
        async with self._db.transaction() as connection:
            key = action_records.c.request_id == new.request_id
            await connection.execute(
                delete(action_records).where(key, action_records.c.expires_at < new.now)
            )
            created = await insert_unless_exists(
                connection, action_records, "request_id", _new_row(new)
            )
            if not created:
                await connection.execute(
                    update(action_records)
                    .where(
                        key,
                        action_records.c.fingerprint == new.fingerprint,
                        action_records.c.state.in_(OPEN_STATES),
                        (action_records.c.lease_until.is_(None))
                        | (action_records.c.lease_until < new.now),
                    )
                    .values(
                        lease_owner=new.owner,
                        lease_until=new.lease_until,
                        attempts=action_records.c.attempts + 1,
                        updated_at=new.now,
                    )
                )
            row = (await connection.execute(select(action_records).where(key))).mappings().one()
        return _record(row)

    @shielded
    async def get(self, request_id: str) -> ActionRecord | None:
        async with self._db.transaction() as connection:
            query = select(action_records).where(action_records.c.request_id == request_id)
            row = (await connection.execute(query)).mappings().one_or_none()
        return None if row is None else _record(row)

    @shielded
    async def mark_writing(
        self,
        request_id: str,
        owner: str,
        point: RecoveryPoint,
        now: datetime,
        lease_until: datetime,
    ) -> bool:
        """Record the recovery point (and renew the lease) before the write is sent; False when
        the lease was lost, and then nothing may be sent."""
        async with self._db.transaction() as connection:
            result = await connection.execute(
                _owned(request_id, owner).values(
                    state=RecordState.WRITING,
                    recovery=point.to_json(),
                    lease_until=lease_until,
                    updated_at=now,
                )
            )
        return result.rowcount == 1

    @shielded
    async def finish(
        self,
        request_id: str,
        owner: str,
        *,
        state: RecordState,
        result: dict[str, Any],
        audit: AuditEntry,
        timeline: OutboxEntry | None = None,
    ) -> bool:
        """Store the final result, its audit row and its timeline entry in one transaction."""
        now = audit.at
        async with self._db.transaction() as connection:
            updated = await connection.execute(
                _owned(request_id, owner).values(
                    state=state,
                    result=result,
                    outcome=audit.outcome,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                    expires_at=now + REQUEST_ID_TTL,
                )
            )
            finished = updated.rowcount == 1
            # A lease lost meanwhile means another attempt settles the action and queues the
            # entry; this attempt's row still says what it did.
            await audit_log.append(connection, audit)
            if finished and timeline is not None:
                await outbox.add(connection, timeline, now)
        return finished

    @shielded
    async def release(
        self, request_id: str, owner: str, audit: AuditEntry | None, now: datetime | None = None
    ) -> None:
        """Give up the lease with the action unsettled, so a retry may take over at once.
        Without an audit row (a settler that could not read Ordergroove) nothing was attempted."""
        async with self._db.transaction() as connection:
            await connection.execute(
                _owned(request_id, owner).values(
                    lease_owner=None, lease_until=None, updated_at=audit.at if audit else now
                )
            )
            if audit is not None:
                await audit_log.append(connection, audit)

    @shielded
    async def abandoned(self, now: datetime, idle_since: datetime, limit: int) -> list[str]:
        """Open records whose lease is free and that no attempt has touched since
        `idle_since`: the ones left for the settler, oldest first."""
        async with self._db.transaction() as connection:
            query = (
                select(action_records.c.request_id)
                .where(_abandoned(now, idle_since))
                .order_by(action_records.c.updated_at)
                .limit(limit)
            )
            return list((await connection.execute(query)).scalars())

    @shielded
    async def take_over_abandoned(
        self,
        request_id: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        idle_since: datetime,
    ) -> ActionRecord | None:
        """Lease an abandoned record to `owner` (the settler); None when it is no longer
        abandoned — a retry or another replica's settler got there first."""
        async with self._db.transaction() as connection:
            key = action_records.c.request_id == request_id
            taken = await connection.execute(
                update(action_records)
                .where(key, _abandoned(now, idle_since))
                .values(lease_owner=owner, lease_until=lease_until, updated_at=now)
            )
            if taken.rowcount != 1:
                return None
            row = (await connection.execute(select(action_records).where(key))).mappings().one()
        return _record(row)

    @shielded
    async def open_backlog(self) -> tuple[int, datetime | None]:
        """How many records are open, and when the oldest of them was created."""
        async with self._db.transaction() as connection:
            query = select(func.count(), func.min(action_records.c.created_at)).where(
                action_records.c.state.in_(OPEN_STATES)
            )
            count, oldest = (await connection.execute(query)).one()
        return int(count), oldest

    @shielded
    async def purge_expired(self, now: datetime) -> int:
        async with self._db.transaction() as connection:
            result = await connection.execute(
                delete(action_records).where(action_records.c.expires_at < now)
            )
        return result.rowcount


def _owned(request_id: str, owner: str) -> Any:
    """An UPDATE of an open record that only its lease holder can make."""
    return update(action_records).where(
        action_records.c.request_id == request_id,
        action_records.c.lease_owner == owner,
        action_records.c.state.in_(OPEN_STATES),
    )


def _abandoned(now: datetime, idle_since: datetime) -> Any:
    return (
        action_records.c.state.in_(OPEN_STATES)
        & (action_records.c.lease_until.is_(None) | (action_records.c.lease_until < now))
        & (action_records.c.updated_at < idle_since)
    )


def _new_row(new: NewRecord) -> dict[str, Any]:
    return {
        "request_id": new.request_id,
        "action": new.action,
        "fingerprint": new.fingerprint,
        "request": new.request,
        "state": RecordState.PENDING,
        "lease_owner": new.owner,
        "lease_until": new.lease_until,
        "attempts": 1,
        "created_at": new.now,
        "updated_at": new.now,
        "expires_at": new.expires_at,
    }


def _record(row: RowMapping) -> ActionRecord:
    recovery = row["recovery"]
    return ActionRecord(
        request_id=row["request_id"],
        fingerprint=row["fingerprint"],
        state=RecordState(row["state"]),
        lease_owner=row["lease_owner"],
        attempts=row["attempts"],
        recovery=RecoveryPoint.from_json(recovery) if recovery else None,
        result=row["result"],
        action=row["action"],
        request=row["request"],
        updated_at=row["updated_at"],
    )
