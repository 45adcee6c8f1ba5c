"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_unless_exists(
    connection: AsyncConnection, table: Table, key: str, values: dict[str, Any]
) -> bool:
    """INSERT … ON CONFLICT (key) DO NOTHING; True when the row was inserted.

    The unique key decides between concurrent inserters, in one process or across replicas.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=[key])
        # RETURNING, not rowcount: psycopg's async cursor does not count this statement's row.
        .returning(table.c[key])
    )
    result = await connection.execute(statement)
    return result.first() is not None
