"""No action stays open for ever: a record whose answer was lost and that nobody retries is
settled in the background — completed when Ordergroove shows the write applied, else closed as not
applied without ever sending it — by exactly one replica."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from typing import Any

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from services.actions_service.errors import Reason
from services.actions_service.store.rows import RecordState
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID
from tests.stack import (
    AGENT,
    DOG_FOOD,
    DOG_FOOD_ORDER,
    DOG_FOOD_SKIP_PATH,
    ServiceHandle,
    add_fault,
    audit_rows,
    customer_timeline,
    eventually,
    fails,
    journal,
    opened_store,
    running_service,
    service_settings,
)
from tests.telemetry import Recorded

SETTLE_AFTER = 0.5


@pytest.fixture
def service_overrides(store_url: str) -> dict[str, Any]:
    return {"store_url": store_url, "deadline_seconds": 1.0, "settle_after_seconds": SETTLE_AFTER}


def skip_dog_food(request_id: str) -> pb.SkipNextOrderRequest:
    return pb.SkipNextOrderRequest(
        subscription_id=DOG_FOOD, customer_id=DEMO_CUSTOMER_ID, request_id=request_id, context=AGENT
    )


async def outcomes(store_url: str) -> list[tuple[str, str, int | None]]:
    return [(r.outcome.value, r.who, r.ordergroove_status) for r in await audit_rows(store_url)]


async def settled(store_url: str, request_id: str) -> RecordState | None:
    """The record's state once it is final, else None."""
    async with opened_store(store_url) as store:
        record = await store.records.get(request_id)
    assert record is not None
    return None if record.state in (RecordState.PENDING, RecordState.WRITING) else record.state


async def test_an_applied_write_that_nobody_retries_is_reconciled_and_told(
    service: ServiceHandle,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    store_url: str,
) -> None:
    await add_fault(ordergroove, method="PATCH", after=True, status=500, times=1)
    request = skip_dog_food(str(uuid.uuid4()))
    await fails(service.stub.SkipNextOrder(request))

    await eventually(lambda: settled(store_url, request.request_id))
    assert await settled(store_url, request.request_id) is RecordState.DONE
    assert await outcomes(store_url) == [
        ("failed", "agent:agent-7", 500),
        ("reconciled", "service:settler", None),
    ]
    await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))
    [entry] = await customer_timeline(gladly, GLADLY_CUSTOMER)
    assert entry["content"]["title"].startswith("Next order skipped")
    # A late repeat gets what was settled, without another write.
    answer = await service.stub.SkipNextOrder(request)
    assert answer.skipped_order_id == DOG_FOOD_ORDER
    assert answer.summary == entry["content"]["body"]
    assert [r["path"] for r in await journal(ordergroove, "PATCH")] == [DOG_FOOD_SKIP_PATH]


async def test_a_write_that_did_not_happen_is_closed_as_not_applied_and_never_sent(
    service: ServiceHandle,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    store_url: str,
) -> None:
    await add_fault(ordergroove, method="PATCH", status=500, times=1)  # before: not applied
    request = skip_dog_food(str(uuid.uuid4()))
    await fails(service.stub.SkipNextOrder(request))

    await eventually(lambda: settled(store_url, request.request_id))
    assert await settled(store_url, request.request_id) is RecordState.NOT_APPLIED
    assert await outcomes(store_url) == [
        ("failed", "agent:agent-7", 500),
        ("not_applied", "service:settler", None),
    ]
    await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))
    [note] = await customer_timeline(gladly, GLADLY_CUSTOMER)
    assert note["content"]["title"] == f"Skip not applied: subscription {DOG_FOOD}"
    assert "agent agent-7" in note["content"]["body"]
    assert DOG_FOOD_ORDER in note["content"]["body"]
    # A late repeat is told, and still nothing is sent.
    failure = await fails(service.stub.SkipNextOrder(request))
    assert failure.code == grpc.StatusCode.ABORTED
    assert failure.reason == Reason.ACTION_NOT_APPLIED
    patches = await journal(ordergroove, "PATCH")
    assert [(r["path"], r["status"]) for r in patches] == [(DOG_FOOD_SKIP_PATH, 500)]


async def test_an_action_that_never_reached_its_write_is_not_applied_without_reading(
    service: ServiceHandle,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    store_url: str,
) -> None:
    """Gladly fails the conversation check before anything is sent: nothing to reconcile."""
    await add_fault(gladly, method="GET", status=500, times=3)
    request = skip_dog_food(str(uuid.uuid4()))
    await fails(service.stub.SkipNextOrder(request))
    reads_before = len(await journal(ordergroove, "GET"))

    await eventually(lambda: settled(store_url, request.request_id))
    assert await settled(store_url, request.request_id) is RecordState.NOT_APPLIED
    assert len(await journal(ordergroove, "GET")) == reads_before
    assert await journal(ordergroove, "PATCH") == []
    await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))


async def test_a_lost_cancel_is_reconciled_by_the_settler(
    service: ServiceHandle,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    store_url: str,
) -> None:
    await add_fault(ordergroove, method="PATCH", after=True, status=502, times=1)
    request = pb.CancelSubscriptionRequest(
        subscription_id=DOG_FOOD,
        customer_id=DEMO_CUSTOMER_ID,
        reason_code="2",
        request_id=str(uuid.uuid4()),
        context=AGENT,
    )
    await fails(service.stub.CancelSubscription(request))
    await eventually(lambda: settled(store_url, request.request_id))
    assert [o for o, _, _ in await outcomes(store_url)] == ["failed", "reconciled"]
    await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))
    [entry] = await customer_timeline(gladly, GLADLY_CUSTOMER)
    assert entry["content"]["title"].startswith("Subscription cancelled")
    answer = await service.stub.CancelSubscription(request)
    assert answer.subscription.status == pb.SUBSCRIPTION_STATUS_CANCELLED
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_replicas_settle_a_record_once(
    ordergroove_url: str,
    gladly_url: str,
    store_url: str,
    service_overrides: dict[str, Any],
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
) -> None:
    if store_url.startswith("sqlite:///:memory:"):
        pytest.skip("replicas share a store")
    settings = service_settings(ordergroove_url, gladly_url, **service_overrides)
    async with AsyncExitStack() as replicas:
        handles = [await replicas.enter_async_context(running_service(settings)) for _ in "ab"]
        await add_fault(ordergroove, method="PATCH", status=500, times=1)
        request = skip_dog_food(str(uuid.uuid4()))
        await fails(handles[0].stub.SkipNextOrder(request))
        await eventually(lambda: settled(store_url, request.request_id))
        # Both keep looking for a while: neither settles it again.
        for handle in handles:
            assert await handle.running.settler.settle_due() == 0
        await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))
    assert [o for o, _, _ in await outcomes(store_url)] == ["failed", "not_applied"]
    assert len(await customer_timeline(gladly, GLADLY_CUSTOMER)) == 1
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_open_records_are_measured_until_settled(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, store_url: str, telemetry: Recorded
) -> None:
    await add_fault(ordergroove, method="PATCH", status=500, times=1)
    request = skip_dog_food(str(uuid.uuid4()))
    await fails(service.stub.SkipNextOrder(request))
    seen: set[float] = set()
    ages: list[float] = []

    async def open_then_none() -> bool:
        seen.update(p.value for p in telemetry.metric_points("actions.records.open"))
        ages.extend(p.value for p in telemetry.metric_points("actions.records.oldest_open_age"))
        return 1 in seen and await settled(store_url, request.request_id) is not None

    await eventually(open_then_none, within=30)  # a bound for a loaded machine, not a timing
    assert max(ages) > 0

    async def none_open() -> bool:
        [point] = telemetry.metric_points("actions.records.open")
        return bool(point.value == 0)

    await eventually(none_open)
