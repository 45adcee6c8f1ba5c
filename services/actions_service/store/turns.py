"""Turns: at most one action at a time works on an Ordergroove customer, across replicas.

A turn is a row keyed by what it guards. Taking it is a primary-key insert, or an UPDATE of a
row whose holder's time ran out (a holder that died); giving it back deletes the row if it is
still the holder's. The database decides between concurrent takers, so SQLite and PostgreSQL
keep the same contract without holding a connection or a transaction for the turn's length.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update

from services.actions_service.store.db import Database, shielded
from services.actions_service.store.schema import turns
from services.actions_service.store.sql import insert_unless_exists


class Turns:
    def __init__(self, database: Database) -> None:
        self._db = database

    @shielded
    async def take(self, key: str, owner: str, now: datetime, until: datetime) -> bool:
        """Whether `owner` now holds the turn for `key` (until `until`, or until given back)."""
        async with self._db.transaction() as connection:
            values = {"key": key, "owner": owner, "until": until}
            if await insert_unless_exists(connection, turns, "key", values):
                return True
            taken = await connection.execute(
                update(turns)
                .where(turns.c.key == key, turns.c.until < now)
                .values(owner=owner, until=until)
            )
        return taken.rowcount == 1

    @shielded
    async def give_back(self, key: str, owner: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                delete(turns).where(turns.c.key == key, turns.c.owner == owner)
            )
