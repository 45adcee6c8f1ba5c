"""The database behind the store: an async SQLAlchemy engine for `STORE_URL`, and transactions.

SQLite (the embedded default) runs in WAL mode (`prepare` switches a new file over), so readers
(e.g. `actions-service audit`) never block the service; every transaction starts with BEGIN
IMMEDIATE, so a read-then-write cannot be overtaken by another process between its read and its
write. One pooled connection per process: the service's own transactions queue in asyncio
instead of spinning on SQLite's lock. PostgreSQL is reached with psycopg; replicas share it.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, ParamSpec, TypeVar

import aiosqlite
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from services.actions_service.errors import ActionError, Reason

SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
SQLITE_WAL_RETRY_SECONDS: Final = 0.02

P = ParamSpec("P")
T = TypeVar("T")


class StoreUnavailable(ActionError):
    """The database could not be reached or refused to work; retrying later is safe."""

    def __init__(self) -> None:
        super().__init__(
            Reason.UPSTREAM_UNAVAILABLE,
            "The action store is not available right now; please try again shortly.",
            system="store",
        )


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def shown_url(self) -> str:
        """The URL as STORE_URL names it (without the driver), its password hidden."""
        url = self.engine.url
        return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)

    @classmethod
    def connect(cls, store_url: str) -> Database:
        url = make_url(store_url)
        if url.get_backend_name() == "sqlite":
            return cls(_sqlite_engine(url))
        return cls(
            create_async_engine(url.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
        )

    async def prepare(self) -> None:
        """Put a SQLite file in WAL mode (a setting the file keeps); other databases need nothing.

        Raises StoreUnavailable if the file stays locked past the busy timeout.
        """
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or _in_memory(url):
            return
        try:
            async with self.engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                assert isinstance(driver, aiosqlite.Connection)  # as chosen in _sqlite_engine
                await _switch_to_wal(driver)
        except (exc.OperationalError, sqlite3.OperationalError, OSError) as error:
            raise StoreUnavailable from error

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction; a database that cannot be reached becomes StoreUnavailable."""
        try:
            async with self.engine.begin() as connection:
                yield connection
        except (exc.OperationalError, exc.InterfaceError, OSError) as error:
            raise StoreUnavailable from error

    async def dispose(self) -> None:
        await self.engine.dispose()


def why_unavailable(error: BaseException) -> str:
    """What the database driver said, in one line (SQLAlchemy's message adds lines of its own)."""
    cause = error.__cause__ if isinstance(error, StoreUnavailable) and error.__cause__ else error
    driver = getattr(cause, "orig", None) or cause  # SQLAlchemy wraps the driver's error
    lines = str(driver).strip().splitlines()
    return lines[0] if lines else type(driver).__name__


def shielded(operation: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """A store operation shielded from cancellation: a cancelled caller (a deadline, a client
    gone) does not interrupt it.

    Cancelling a database conversation midway can leave its connection inside a transaction
    that still holds locks (SQLite's writer lock, PostgreSQL row locks); operations are short,
    so the caller waits for the operation to end and only then is cancelled.
    """

    @functools.wraps(operation)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        task = asyncio.ensure_future(operation(*args, **kwargs))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_retrieve)
            await asyncio.wait([task])
            raise

    return run


def _retrieve(task: asyncio.Future[Any]) -> None:
    # Its caller is gone: take the result so that a failure is not reported as never retrieved.
    if not task.cancelled():
        task.exception()


async def _switch_to_wal(connection: aiosqlite.Connection) -> None:
    # SQLite answers SQLITE_BUSY at once, without waiting out the busy timeout, when several
    # connections switch a new file to WAL together (waiting could deadlock them), so the
    # switch is retried here until the busy timeout has passed.
    give_up = asyncio.get_running_loop().time() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            async with connection.execute("PRAGMA journal_mode=WAL"):
                return
        except sqlite3.OperationalError as error:
            busy = error.sqlite_errorcode == sqlite3.SQLITE_BUSY
            if not busy or asyncio.get_running_loop().time() > give_up:
                raise
        await asyncio.sleep(SQLITE_WAL_RETRY_SECONDS)


def _in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _sqlite_engine(url: URL) -> AsyncEngine:
    if not _in_memory(url):
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    # Also for :memory: (where the dialect would share one connection between concurrent
    # transactions): the single pooled connection is handed to one transaction at a time.
    engine = create_async_engine(
        url.set(drivername="sqlite+aiosqlite"),
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see `begin`).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
