"""The action store on SQLite and PostgreSQL: migrations, and the atomic claims that guard it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.actions_service.domain import RecoveryPoint
from services.actions_service.store import Store
from services.actions_service.store.rows import (
    AttemptOutcome,
    AuditEntry,
    DeliveryState,
    NewRecord,
    OutboxEntry,
    RecordState,
)
from services.actions_service.store.schema import metadata

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=5)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    store = await Store.open(store_url)
    yield store
    await store.close()


def claim(request_id: str, owner: str, now: datetime = NOW, fingerprint: str = "f") -> NewRecord:
    return NewRecord(
        request_id=request_id,
        action="skip",
        fingerprint=fingerprint,
        request={"subscription_id": "s"},
        owner=owner,
        now=now,
        lease_until=now + LEASE,
    )


def audit(request_id: str, outcome: AttemptOutcome = AttemptOutcome.DONE) -> AuditEntry:
    return AuditEntry(
        at=NOW,
        who="internal",
        action="skip",
        customer_id="c",
        subscription_id="s",
        order_id="o",
        outcome=outcome,
        reason="",
        ordergroove_status=200,
        trace_id="",
        request_id=request_id,
    )


def entry(item_id: str) -> OutboxEntry:
    return OutboxEntry(item_id, "r", "gladly-1", "title", "body", NOW)


# --- migrations -----------------------------------------------------------------------------------


async def test_migrations_build_the_schema_the_code_describes(store: Store) -> None:
    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async with store.database.transaction() as connection:
        assert await connection.run_sync(differences) == []
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == "0006"


async def test_replicas_starting_at_once_migrate_once(store_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(store_url) for _ in range(4)))
    for store in stores:
        assert (await store.outbox.pending()).next_due is None
        await store.close()


async def test_sqlite_store_creates_its_folder_and_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "actions.db"
    store = await Store.open(f"sqlite:///{path}")
    try:
        async with store.database.transaction() as connection:
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        await store.close()
    assert path.exists()


# --- action records -----------------------------------------------------------------------------


async def test_concurrent_claims_give_the_record_to_exactly_one(store: Store) -> None:
    records = await asyncio.gather(
        *(store.records.claim(claim("r-1", f"owner-{n}")) for n in range(10))
    )
    owners = {record.lease_owner for record in records}
    assert len(owners) == 1
    assert all(record.state is RecordState.PENDING for record in records)


async def test_an_expired_lease_is_taken_over_and_fences_the_old_holder(store: Store) -> None:
    await store.records.claim(claim("r-1", "first"))
    held = await store.records.claim(claim("r-1", "second", NOW + timedelta(seconds=1)))
    assert held.lease_owner == "first"
    later = NOW + LEASE + timedelta(seconds=1)
    taken = await store.records.claim(claim("r-1", "second", later))
    assert (taken.lease_owner, taken.attempts) == ("second", 2)
    point = RecoveryPoint("s", "c", "o", NOW)
    assert not await store.records.mark_writing("r-1", "first", point, later, later + LEASE)
    assert not await store.records.finish(
        "r-1", "first", state=RecordState.DONE, result={}, audit=audit("r-1")
    )
    assert await store.records.mark_writing("r-1", "second", point, later, later + LEASE)
    record = await store.records.get("r-1")
    assert record is not None and record.recovery == point


async def test_a_finished_record_is_kept_for_a_day_then_replaced(store: Store) -> None:
    await store.records.claim(claim("r-1", "first"))
    done = await store.records.finish(
        "r-1",
        "first",
        state=RecordState.DONE,
        result={"answer": 42},
        audit=audit("r-1"),
        timeline=entry("item-1"),
    )
    assert done
    replay = await store.records.claim(claim("r-1", "second", NOW + timedelta(hours=23)))
    assert (replay.state, replay.result, replay.lease_owner) == (
        RecordState.DONE,
        {"answer": 42},
        None,
    )
    fresh = await store.records.claim(claim("r-1", "third", NOW + timedelta(hours=25)))
    assert (fresh.state, fresh.lease_owner) == (RecordState.PENDING, "third")
    assert [row.request_id for row in await store.audit.recent(10)] == ["r-1"]
    [queued] = await store.outbox.backlog(10)
    assert (queued.item_id, queued.state) == ("item-1", DeliveryState.PENDING)


# --- the outbox ---------------------------------------------------------------------------------


async def _queue(store: Store, count: int) -> None:
    for n in range(count):
        request_id = f"r-{n}"
        await store.records.claim(claim(request_id, "writer"))
        await store.records.finish(
            request_id,
            "writer",
            state=RecordState.DONE,
            result={},
            audit=audit(request_id),
            timeline=entry(f"item-{n}"),
        )


async def test_concurrent_deliverers_claim_disjoint_entries(store: Store) -> None:
    await _queue(store, 30)
    now = NOW
    batches = await asyncio.gather(
        *(store.outbox.claim(f"deliverer-{n}", now, now + LEASE, 10) for n in range(5))
    )
    claimed = [e.item_id for batch in batches for e in batch]
    assert len(claimed) == len(set(claimed)) == 30


async def test_entries_are_settled_only_by_their_claimer(store: Store) -> None:
    await _queue(store, 2)
    now = NOW
    first, second = await store.outbox.claim("a", now, now + LEASE, 10)
    assert await store.outbox.claim("b", now, now + LEASE, 10) == []
    await store.outbox.delivered(first.id, "b", now)  # not b's: ignored
    await store.outbox.delivered(first.id, "a", now)
    await store.outbox.retry_at(second.id, "a", now + timedelta(hours=1), "503")
    [waiting] = await store.outbox.backlog(10)
    assert (waiting.item_id, waiting.attempts, waiting.last_error) == (second.item_id, 1, "503")
    pending = await store.outbox.pending()
    assert (pending.count, pending.next_due) == (1, now + timedelta(hours=1))
    assert pending.oldest == waiting.created_at
    await store.outbox.claim("a", now + timedelta(hours=2), now + timedelta(hours=3), 10)
    await store.outbox.give_up(second.id, "a", "404")
    [failed] = await store.outbox.backlog(10, failed_only=True)
    assert failed.state is DeliveryState.FAILED
