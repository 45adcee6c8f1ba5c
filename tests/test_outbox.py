"""The timeline outbox: every completed action's summary arrives in Gladly exactly once,
whatever Gladly answers and however the service stops."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from services.actions_service.domain import Action, timeline_item_id
from services.actions_service.store import Store, utcnow
from services.actions_service.store.rows import (
    AttemptOutcome,
    AuditEntry,
    DeliveryState,
    NewRecord,
    OutboxEntry,
    RecordState,
)
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS, Role
from tests.stack import (
    GLADLY_TOKEN,
    GLADLY_USER,
    ServiceProcess,
    add_fault,
    customer_timeline,
    eventually,
    journal,
    opened_store,
    running_service,
    service_environment,
    service_settings,
)
from tests.telemetry import Recorded

AGENT = pb.ActionContext(agent_id="agent-7", gladly_customer_id=GLADLY_CUSTOMER)
ROLES = (Role.DOG_FOOD, Role.SHAMPOO, Role.VITAMINS)


def skip(role: Role, request_id: str) -> pb.SkipNextOrderRequest:
    return pb.SkipNextOrderRequest(
        subscription_id=DEMO_SUBSCRIPTION_IDS[role],
        customer_id=DEMO_CUSTOMER_ID,
        request_id=request_id,
        context=AGENT,
    )


async def backlog(store_url: str, failed_only: bool = False) -> list[OutboxEntry]:
    async with opened_store(store_url) as store:
        return await store.outbox.backlog(100, failed_only)


async def timeline_ids(gladly: httpx.AsyncClient) -> list[str]:
    return sorted(item["id"] for item in await customer_timeline(gladly, GLADLY_CUSTOMER))


async def gladly_posts(gladly: httpx.AsyncClient) -> list[int]:
    return [row["status"] for row in await journal(gladly, "POST")]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_entries_arrive_once_after_gladly_fails_for_a_while(
    ordergroove_url: str,
    gladly_url: str,
    store_url: str,
    gladly: httpx.AsyncClient,
    status: int,
) -> None:
    await add_fault(gladly, method="POST", status=status, times=8)
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    request_ids = [str(uuid.uuid4()) for _ in ROLES]
    async with running_service(settings) as service:
        for role, request_id in zip(ROLES, request_ids, strict=True):
            await service.stub.SkipNextOrder(skip(role, request_id))

        async def all_delivered() -> bool:
            return len(await timeline_ids(gladly)) == len(ROLES)

        await eventually(all_delivered)
    assert await timeline_ids(gladly) == sorted(
        timeline_item_id(Action.SKIP, request_id) for request_id in request_ids
    )
    assert (await gladly_posts(gladly)).count(status) == 8
    assert await backlog(store_url) == []


async def test_an_entry_gladly_already_has_counts_as_delivered(
    ordergroove_url: str, gladly_url: str, store_url: str, gladly: httpx.AsyncClient
) -> None:
    """409 `taken`: an earlier send arrived although its answer did not."""
    request_id = str(uuid.uuid4())
    item_id = timeline_item_id(Action.SKIP, request_id)
    async with httpx.AsyncClient(base_url=gladly_url, auth=(GLADLY_USER, GLADLY_TOKEN)) as api:
        posted = await api.post(
            f"/api/v1/customers/{GLADLY_CUSTOMER}/conversation-items",
            json={
                "id": item_id,
                "content": {
                    "type": "CUSTOMER_ACTIVITY",
                    "title": "earlier",
                    "activityType": "ISSUE",
                },
            },
        )
    assert posted.status_code == 200, posted.text
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    async with running_service(settings) as service:
        await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, request_id))

        async def answered_409() -> bool:
            return 409 in await gladly_posts(gladly)

        await eventually(answered_409)
        await eventually(lambda: _empty(backlog(store_url)))
    assert await timeline_ids(gladly) == [item_id]


async def _empty(entries: Any) -> bool:
    return not await entries


async def test_an_entry_is_given_up_after_the_horizon_and_kept_visible(
    ordergroove_url: str, gladly_url: str, store_url: str, gladly: httpx.AsyncClient
) -> None:
    await add_fault(gladly, method="POST", status=503)
    settings = service_settings(
        ordergroove_url, gladly_url, store_url=store_url, outbox_give_up_seconds=0.5
    )
    async with running_service(settings) as service:
        await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, str(uuid.uuid4())))
        await eventually(lambda: backlog(store_url, failed_only=True))
    [failed] = await backlog(store_url, failed_only=True)
    assert failed.state is DeliveryState.FAILED and failed.attempts > 1
    assert "503" in failed.last_error or "Unavailable" in failed.last_error


async def test_an_entry_gladly_refuses_for_good_is_failed_at_once(
    ordergroove_url: str, gladly_url: str, store_url: str, gladly: httpx.AsyncClient
) -> None:
    await add_fault(gladly, method="POST", status=404)
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    async with running_service(settings) as service:
        await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, str(uuid.uuid4())))
        await eventually(lambda: backlog(store_url, failed_only=True))
    assert (await gladly_posts(gladly)) == [404]


async def test_deliveries_stay_within_gladlys_rate_limit(
    ordergroove_url: str, gladly_url: str, store_url: str, gladly: httpx.AsyncClient
) -> None:
    """25 entries due at once (queued directly, as a restart would find them) go out at no more
    than 10 per second: Gladly answers none of them 429."""
    async with opened_store(store_url) as store:
        for n in range(25):
            await _queue_entry(store, f"request-{n}")
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with running_service(settings):

        async def all_delivered() -> bool:
            return len(await timeline_ids(gladly)) == 25

        await eventually(all_delivered)
        elapsed = loop.time() - started
    assert set(await gladly_posts(gladly)) == {200}
    assert elapsed >= 2.0  # 25 posts at 10 per second need three windows


async def test_the_backlog_is_measured_while_it_drains_in_full_batches(
    ordergroove_url: str,
    gladly_url: str,
    store_url: str,
    gladly: httpx.AsyncClient,
    telemetry: Recorded,
) -> None:
    """25 entries go out in batches of 10, about a second apart (Gladly's rate limit): the
    backlog gauge follows them down batch by batch, not only once the outbox is idle."""
    async with opened_store(store_url) as store:
        for n in range(25):
            await _queue_entry(store, f"request-{n}")
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    seen: set[float] = set()
    async with running_service(settings):

        async def all_delivered() -> bool:
            seen.update(p.value for p in telemetry.metric_points("actions.outbox.backlog"))
            return len(await timeline_ids(gladly)) == 25

        await eventually(all_delivered)
    assert {15, 5} <= seen


async def _queue_entry(store: Store, request_id: str) -> None:
    now = utcnow()
    owner = "test"
    await store.records.claim(
        NewRecord(request_id, "skip", "f", {}, owner, now, now + timedelta(seconds=5))
    )
    audit = AuditEntry(
        now, "internal", "skip", "c", "s", "o", AttemptOutcome.DONE, "", 200, "", request_id
    )
    entry = OutboxEntry(
        timeline_item_id(Action.SKIP, request_id), request_id, GLADLY_CUSTOMER, "t", "b", now
    )
    await store.records.finish(
        request_id, owner, state=RecordState.DONE, result={}, audit=audit, timeline=entry
    )


async def test_a_graceful_stop_leaves_undelivered_entries_pending(
    ordergroove_url: str, gladly_url: str, store_url: str, gladly: httpx.AsyncClient
) -> None:
    await add_fault(gladly, method="POST", status=503)
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    async with running_service(settings) as service:
        await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, str(uuid.uuid4())))
    [pending] = await backlog(store_url)
    assert pending.state is DeliveryState.PENDING
    await gladly.delete("/_sandbox/faults")
    async with running_service(settings):
        await eventually(lambda: timeline_ids(gladly))
    assert await timeline_ids(gladly) == [pending.item_id]


async def test_entries_pending_when_the_process_is_killed_arrive_after_a_restart(
    ordergroove_url: str,
    gladly_url: str,
    store_url: str,
    gladly: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    await add_fault(gladly, method="POST", status=503)
    env = service_environment(ordergroove_url, gladly_url, store_url)
    # Retries far apart: the kill most likely finds the entries waiting, not claimed (claimed
    # ones wait for their claim to run out before another process may send them).
    env |= {"OUTBOX_BACKOFF_SECONDS": "1", "OUTBOX_BACKOFF_MAX_SECONDS": "1"}
    process = ServiceProcess(env, tmp_path / "service.log")
    request_ids = [str(uuid.uuid4()) for _ in ROLES]
    try:
        target = await process.start()
        async with grpc.aio.insecure_channel(target) as channel:
            stub = actions_pb2_grpc.ActionsServiceStub(channel)
            for role, request_id in zip(ROLES, request_ids, strict=True):
                await stub.SkipNextOrder(skip(role, request_id))

        async def each_tried_once() -> bool:
            return all(entry.attempts >= 1 for entry in await backlog(store_url))

        await eventually(each_tried_once)
        await process.kill()
        assert len(await backlog(store_url)) == len(ROLES)
        assert await timeline_ids(gladly) == []
        await gladly.delete("/_sandbox/faults")
        await process.start()

        async def all_delivered() -> bool:
            return len(await timeline_ids(gladly)) == len(ROLES)

        await eventually(all_delivered, within=45)
    finally:
        await process.stop()
    assert await timeline_ids(gladly) == sorted(
        timeline_item_id(Action.SKIP, request_id) for request_id in request_ids
    )
