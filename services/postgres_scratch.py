"""A scratch PostgreSQL schema for a run that must start clean: each test that stores in
PostgreSQL, and the chaos run. Development only (the production package leaves it out)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg


@asynccontextmanager
async def postgres_schema(dsn: str, prefix: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards; yields a STORE_URL whose connections use
    it (libpq `options=-csearch_path=…`), so a run or a test starts clean."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            parts = urlsplit(dsn)
            query = [*parse_qsl(parts.query), ("options", f"-csearch_path={schema}")]
            yield urlunsplit(parts._replace(query=urlencode(query)))
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
