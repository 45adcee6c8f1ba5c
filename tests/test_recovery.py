"""Lost answers are reconciled, not replayed: a retry reads Ordergroove's state first, and a skip
is only ever sent to the order recorded before the first write."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from services.actions_service.errors import Reason
from services.actions_service.store.rows import AttemptOutcome
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID
from tests.stack import (
    AGENT,
    DOG_FOOD,
    DOG_FOOD_ORDER,
    DOG_FOOD_SKIP_PATH,
    ServiceHandle,
    ServiceProcess,
    add_fault,
    audit_rows,
    customer_timeline,
    eventually,
    fails,
    journal,
    service_environment,
)


@pytest.fixture
def service_overrides(store_url: str) -> dict[str, Any]:
    return {"store_url": store_url, "deadline_seconds": 1.0}


def skip_dog_food(request_id: str, **fields: Any) -> pb.SkipNextOrderRequest:
    return pb.SkipNextOrderRequest(
        subscription_id=DOG_FOOD,
        customer_id=DEMO_CUSTOMER_ID,
        request_id=request_id,
        context=AGENT,
        **fields,
    )


async def outcomes(store_url: str) -> list[tuple[str, int | None]]:
    """The audit log's (outcome, Ordergroove status), oldest first."""
    return [(row.outcome.value, row.ordergroove_status) for row in await audit_rows(store_url)]


async def unsent_orders(ordergroove: httpx.AsyncClient, subscription_id: str) -> list[str]:
    page = await ordergroove.get("/orders/", params={"subscription": subscription_id, "status": 1})
    return [order["public_id"] for order in page.json()["results"]]


@pytest.mark.parametrize("fault", [{"status": 500}, {"hang": True}], ids=["500", "hang"])
async def test_a_lost_skip_answer_is_reconciled_on_retry(
    service: ServiceHandle,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    store_url: str,
    fault: dict[str, Any],
) -> None:
    await add_fault(ordergroove, method="PATCH", after=True, times=1, **fault)
    request = skip_dog_food(str(uuid.uuid4()))
    failure = await fails(service.stub.SkipNextOrder(request))
    assert failure.reason in (Reason.UPSTREAM_UNAVAILABLE, Reason.DEADLINE_EXCEEDED)
    after_first = await unsent_orders(ordergroove, DOG_FOOD)
    assert DOG_FOOD_ORDER not in after_first  # it did happen

    answer = await service.stub.SkipNextOrder(request)
    assert answer.skipped_order_id == DOG_FOOD_ORDER
    assert answer.subscription.next_order.order_id == after_first[0]
    assert await unsent_orders(ordergroove, DOG_FOOD) == after_first  # nothing more skipped
    assert [r["path"] for r in await journal(ordergroove, "PATCH")] == [DOG_FOOD_SKIP_PATH]
    assert await outcomes(store_url) == [
        ("failed", 500 if "status" in fault else None),
        ("reconciled", None),
    ]
    await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))
    [entry] = await customer_timeline(gladly, GLADLY_CUSTOMER)
    assert entry["content"]["body"] == answer.summary


async def test_a_lost_cancel_answer_is_reconciled_on_retry(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, store_url: str
) -> None:
    await add_fault(ordergroove, method="PATCH", after=True, status=502, times=1)
    request = pb.CancelSubscriptionRequest(
        subscription_id=DOG_FOOD,
        customer_id=DEMO_CUSTOMER_ID,
        reason_code="2",
        request_id=str(uuid.uuid4()),
        context=AGENT,
    )
    failure = await fails(service.stub.CancelSubscription(request))
    assert failure.reason == Reason.UPSTREAM_UNAVAILABLE
    answer = await service.stub.CancelSubscription(request)
    assert answer.subscription.status == pb.SUBSCRIPTION_STATUS_CANCELLED
    assert len(await journal(ordergroove, "PATCH")) == 1
    assert await outcomes(store_url) == [("failed", 502), ("reconciled", None)]


async def test_a_write_that_did_not_happen_is_sent_again_to_the_same_order(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, store_url: str
) -> None:
    await add_fault(ordergroove, method="PATCH", status=500, times=1)  # before: not applied
    request = skip_dog_food(str(uuid.uuid4()))
    await fails(service.stub.SkipNextOrder(request))
    answer = await service.stub.SkipNextOrder(request)
    assert answer.skipped_order_id == DOG_FOOD_ORDER
    patches = await journal(ordergroove, "PATCH")
    assert [(r["path"], r["status"]) for r in patches] == [
        (DOG_FOOD_SKIP_PATH, 500),
        (DOG_FOOD_SKIP_PATH, 200),
    ]
    assert await outcomes(store_url) == [("failed", 500), ("done", 200)]


async def test_a_retry_never_skips_whatever_is_next_now(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, store_url: str
) -> None:
    """Between a lost answer and its retry, someone else skips the recorded order: the retry
    finds the subscription gone from that order and reports it skipped — it does not skip the
    order that is next now."""
    await add_fault(ordergroove, method="PATCH", status=500, times=1)
    request = skip_dog_food(str(uuid.uuid4()))
    await fails(service.stub.SkipNextOrder(request))
    other = await service.stub.SkipNextOrder(skip_dog_food(str(uuid.uuid4())))
    assert other.skipped_order_id == DOG_FOOD_ORDER
    following = await unsent_orders(ordergroove, DOG_FOOD)

    answer = await service.stub.SkipNextOrder(request)
    assert answer.skipped_order_id == DOG_FOOD_ORDER
    assert await unsent_orders(ordergroove, DOG_FOOD) == following
    assert [r["path"] for r in await journal(ordergroove, "PATCH")] == [DOG_FOOD_SKIP_PATH] * 2
    assert await outcomes(store_url) == [("failed", 500), ("done", 200), ("reconciled", None)]


async def test_a_subscription_cancelled_meanwhile_is_refused_not_skipped_elsewhere(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """A cancel empties the recorded order as a skip would: the retry must not take that for
    its skip, nor skip anything else, nor claim it did not happen — it says what it found."""
    await add_fault(ordergroove, method="PATCH", status=500, times=1)
    request = skip_dog_food(str(uuid.uuid4()))
    await fails(service.stub.SkipNextOrder(request))
    cancelled = await ordergroove.patch(
        f"/subscriptions/{DOG_FOOD}/cancel/", json={"cancel_reason": "other|"}
    )
    assert cancelled.status_code == 200
    failure = await fails(service.stub.SkipNextOrder(request))
    assert failure.reason == Reason.ACTION_UNCONFIRMED
    assert "cancelled" in failure.message
    assert [r["path"] for r in await journal(ordergroove, "PATCH")] == [
        DOG_FOOD_SKIP_PATH,
        f"/subscriptions/{DOG_FOOD}/cancel/",
    ]


async def test_a_crashed_attempts_lease_expires_and_its_retry_reconciles(
    ordergroove_url: str,
    gladly_url: str,
    store_url: str,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    """The process dies (SIGKILL) while its write is in flight; the write went through. After a
    restart, the retry waits for the dead attempt's lease, then reconciles."""
    await add_fault(ordergroove, method="PATCH", after=True, hang=True, times=1)
    process = ServiceProcess(
        service_environment(ordergroove_url, gladly_url, store_url), tmp_path / "service.log"
    )
    request = skip_dog_food(str(uuid.uuid4()))
    try:
        target = await process.start()
        async with grpc.aio.insecure_channel(target) as channel:
            call = actions_pb2_grpc.ActionsServiceStub(channel).SkipNextOrder(request)

            async def hanging() -> bool:
                return bool(await journal(ordergroove, "PATCH"))

            await eventually(hanging)
            await process.kill()
            await fails(call)
        target = await process.start()
        async with grpc.aio.insecure_channel(target) as channel:
            stub = actions_pb2_grpc.ActionsServiceStub(channel)
            answer = await _retry_until_answered(stub, request)
    finally:
        await process.stop()
    assert answer.skipped_order_id == DOG_FOOD_ORDER
    assert len(await journal(ordergroove, "PATCH")) == 1
    assert (await outcomes(store_url))[-1] == ("reconciled", None)
    assert AttemptOutcome.DONE.value not in [o for o, _ in await outcomes(store_url)]


async def _retry_until_answered(
    stub: actions_pb2_grpc.ActionsServiceAsyncStub, request: pb.SkipNextOrderRequest
) -> pb.SkipNextOrderResponse:
    """As a client would: retry while the answer is 'still in progress' (the dead lease)."""
    for _ in range(20):
        try:
            return await stub.SkipNextOrder(request)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise
    pytest.fail("the dead attempt's lease never expired")
