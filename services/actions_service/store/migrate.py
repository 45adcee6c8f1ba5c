"""Versioned schema migrations (Alembic), applied when a process opens the store.

Several replicas may start at once against one PostgreSQL database: an advisory lock lets one
migrate while the others wait, then find nothing left to do. On SQLite, BEGIN IMMEDIATE does the
same for processes sharing the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.actions_service.store.db import Database

MIGRATIONS: Final = Path(__file__).with_name("migrations")
# Any constant shared by every replica; these are the bytes of "actions".
ADVISORY_LOCK_KEY: Final = 0x61_63_74_69_6F_6E_73


async def migrate(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Released with the transaction, which Alembic's migrations run in.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
