"""A request budget shared by every replica: how many requests each time slot has granted, and
until when the upstream asked everyone to wait — one row per budget, changed atomically.

A grant is one `INSERT … ON CONFLICT DO UPDATE … WHERE`: the row's counter goes up only while
the slot has room and no wait is in force, so concurrent replicas (PostgreSQL) or processes
(SQLite) never grant more than the slot's share between them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.dialects import postgresql, sqlite

from services.actions_service.store.db import Database, shielded
from services.actions_service.store.schema import rate_budget


class RateBudgets:
    def __init__(self, database: Database) -> None:
        self._db = database

    @shielded
    async def take(self, name: str, slot: int, share: int, now: float) -> float | None:
        """Grant one request in `slot` if it has granted fewer than `share` and no wait is in
        force at `now` (unix time). None when granted, else until when a wait is in force (unix
        time; in the past when the slot is simply full)."""
        async with self._db.transaction() as connection:
            insert = _dialect(connection.dialect.name).insert(rate_budget)
            row = rate_budget.c
            statement = insert.values(name=name, slot=slot, used=1, blocked_until=0.0)
            statement = statement.on_conflict_do_update(
                index_elements=["name"],
                set_={
                    "slot": statement.excluded.slot,
                    "used": case((row.slot == statement.excluded.slot, row.used + 1), else_=1),
                },
                where=(
                    (row.slot < statement.excluded.slot)
                    | ((row.slot == statement.excluded.slot) & (row.used < share))
                )
                & (row.blocked_until <= now),
            )
            # RETURNING, not rowcount: a row comes back only when it was inserted or updated.
            granted = await connection.execute(statement.returning(row.used))
            if granted.first() is not None:
                return None
            query = select(row.blocked_until).where(row.name == name)
            blocked_until = (await connection.execute(query)).scalar_one()
        return float(blocked_until)

    @shielded
    async def block(self, name: str, until: float) -> None:
        """Make every replica wait until `until` (unix time), unless a longer wait is in force."""
        async with self._db.transaction() as connection:
            insert = _dialect(connection.dialect.name).insert(rate_budget)
            statement = insert.values(name=name, slot=0, used=0, blocked_until=until)
            statement = statement.on_conflict_do_update(
                index_elements=["name"],
                set_={"blocked_until": statement.excluded.blocked_until},
                where=rate_budget.c.blocked_until < statement.excluded.blocked_until,
            )
            await connection.execute(statement)


def _dialect(name: str) -> Any:
    return postgresql if name == "postgresql" else sqlite
