"""Alembic's environment: migrate the connection `migrate.py` hands over (never an ini file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from services.actions_service.store.schema import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
