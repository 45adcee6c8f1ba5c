"""The action store: action records, the timeline outbox and the audit log, in SQLite (embedded
default) or PostgreSQL (shared by replicas), behind one object.

    store = await Store.open("sqlite:///var/actions.db")   # migrations applied
    record = await store.records.claim(...)
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from datetime import UTC, datetime

from services.actions_service.store.action_records import ActionRecords
from services.actions_service.store.audit_log import AuditLog
from services.actions_service.store.db import Database, StoreUnavailable
from services.actions_service.store.migrate import migrate
from services.actions_service.store.outbox import Outbox
from services.actions_service.store.rate_budget import RateBudgets
from services.actions_service.store.turns import Turns

__all__ = ["Store", "StoreUnavailable", "lease_owner", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def lease_owner() -> str:
    """A unique name for one holder of leases; host and pid tell where a stuck lease came from."""
    return f"{_process(os.getpid())}:{uuid.uuid4().hex[:16]}"


@functools.cache
def _process(pid: int) -> str:
    # Keyed by pid, so that a forked child names itself rather than its parent.
    return f"{socket.gethostname()[:24]}:{pid}"


class Store:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.records = ActionRecords(database)
        self.outbox = Outbox(database)
        self.audit = AuditLog(database)
        self.budgets = RateBudgets(database)
        self.turns = Turns(database)

    @classmethod
    async def open(cls, store_url: str) -> Store:
        """Connect and bring the schema up to date; raises StoreUnavailable if unreachable."""
        store = cls(Database.connect(store_url))
        try:
            await store.prepare()
        except BaseException:
            await store.close()
            raise
        return store

    async def prepare(self) -> None:
        """Bring the schema up to date (the first time the database is reached); raises
        StoreUnavailable if it cannot be reached."""
        await self.database.prepare()
        await migrate(self.database)

    async def close(self) -> None:
        await self.database.dispose()
