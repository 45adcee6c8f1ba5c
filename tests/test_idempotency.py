"""Idempotent actions (AIP-155 request ids) on SQLite and PostgreSQL, over real gRPC and HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from services.actions_service.domain import Action, timeline_item_id
from services.actions_service.errors import Reason
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)
from tests.stack import (
    AGENT,
    ServiceHandle,
    add_fault,
    audit_rows,
    customer_timeline,
    eventually,
    fails,
    journal,
    running_service,
    service_settings,
)


@pytest.fixture
def service_overrides(store_url: str) -> dict[str, Any]:
    return {"store_url": store_url}


def skip(role: Role, request_id: str, **fields: Any) -> pb.SkipNextOrderRequest:
    return pb.SkipNextOrderRequest(
        subscription_id=DEMO_SUBSCRIPTION_IDS[role],
        customer_id=DEMO_CUSTOMER_ID,
        request_id=request_id,
        context=AGENT,
        **fields,
    )


async def timeline_ids(gladly: httpx.AsyncClient) -> list[str]:
    return [item["id"] for item in await customer_timeline(gladly, GLADLY_CUSTOMER)]


async def test_parallel_duplicates_write_once_and_answer_alike(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    request_id = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(service.stub.SkipNextOrder(skip(Role.DOG_FOOD, request_id)) for _ in range(10))
    )
    assert len({answer.SerializeToString(deterministic=True) for answer in answers}) == 1
    assert answers[0].skipped_order_id == DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]
    assert len(await journal(ordergroove, "PATCH")) == 1
    await eventually(lambda: timeline_ids(gladly))
    assert await timeline_ids(gladly) == [timeline_item_id(Action.SKIP, request_id)]


async def test_a_repeat_later_gets_the_first_answer_without_calling_ordergroove(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request_id = str(uuid.uuid4())
    first = await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, request_id))
    await ordergroove.delete("/_sandbox/requests")
    again = await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, request_id))
    assert again == first
    assert (await ordergroove.get("/_sandbox/requests")).json() == []


async def test_a_refusal_is_stored_and_answered_again(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request = pb.CancelSubscriptionRequest(
        subscription_id=DEMO_SUBSCRIPTION_IDS[Role.PREPAID_TEA],
        customer_id=DEMO_CUSTOMER_ID,
        reason_code="7",
        request_id=str(uuid.uuid4()),
    )
    first = await fails(service.stub.CancelSubscription(request))
    await ordergroove.delete("/_sandbox/requests")
    again = await fails(service.stub.CancelSubscription(request))
    assert first == again
    assert first.reason == Reason.ORDERGROOVE_REJECTED
    assert (await ordergroove.get("/_sandbox/requests")).json() == []


async def test_a_reused_request_id_with_another_payload_is_refused(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request_id = str(uuid.uuid4())
    await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, request_id))
    for other in (
        skip(Role.SHAMPOO, request_id),
        skip(Role.DOG_FOOD, request_id, order_id=DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]),
        pb.CancelSubscriptionRequest(
            subscription_id=DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD],
            customer_id=DEMO_CUSTOMER_ID,
            reason_code="12",
            request_id=request_id,
            context=AGENT,
        ),
    ):
        call = (
            service.stub.SkipNextOrder(other)
            if isinstance(other, pb.SkipNextOrderRequest)
            else service.stub.CancelSubscription(other)
        )
        failure = await fails(call)
        assert (failure.code, failure.reason) == (
            grpc.StatusCode.ALREADY_EXISTS,
            Reason.REQUEST_ID_REUSED,
        )
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_a_failure_before_the_write_does_not_poison_the_request_id(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """Ordergroove unreachable while reading: nothing was written, so a retry runs again."""
    await add_fault(ordergroove, method="GET", path="/subscriptions/", status=502, times=3)
    request = skip(Role.DOG_FOOD, str(uuid.uuid4()))
    failure = await fails(service.stub.SkipNextOrder(request))
    assert failure.reason == Reason.UPSTREAM_UNAVAILABLE
    assert not await journal(ordergroove, "PATCH")
    answer = await service.stub.SkipNextOrder(request)
    assert answer.skipped_order_id == DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_a_repeat_waits_for_the_attempt_in_progress(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(ordergroove, method="PATCH", latency_ms=600)
    request = skip(Role.DOG_FOOD, str(uuid.uuid4()))
    first = asyncio.ensure_future(service.stub.SkipNextOrder(request))
    await asyncio.sleep(0.2)
    second = await service.stub.SkipNextOrder(request)
    assert second == await first
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_a_repeat_that_cannot_wait_long_enough_gets_a_clear_retryable_error(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(ordergroove, method="PATCH", latency_ms=1200)
    request = skip(Role.DOG_FOOD, str(uuid.uuid4()))
    first = asyncio.ensure_future(service.stub.SkipNextOrder(request))
    await asyncio.sleep(0.2)
    failure = await fails(service.stub.SkipNextOrder(request, timeout=0.5))
    assert (failure.code, failure.reason) == (
        grpc.StatusCode.DEADLINE_EXCEEDED,
        Reason.DEADLINE_EXCEEDED,
    )
    assert "still in progress" in failure.message
    assert (await first).skipped_order_id == DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_replicas_sharing_a_store_write_once(
    ordergroove_url: str,
    gladly_url: str,
    store_url: str,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
) -> None:
    """Two servers, each with its own connections to one database, get the same request at once:
    the database alone decides which of them writes."""
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    request_id = str(uuid.uuid4())
    # Each running_service opens its own store (its own connections): the two servers share
    # nothing but the database.
    async with running_service(settings) as one, running_service(settings) as two:
        answers = await asyncio.gather(
            *(
                replica.stub.SkipNextOrder(skip(Role.DOG_FOOD, request_id))
                for _ in range(5)
                for replica in (one, two)
            )
        )
        await eventually(lambda: timeline_ids(gladly))
    assert len({answer.SerializeToString(deterministic=True) for answer in answers}) == 1
    assert len(await journal(ordergroove, "PATCH")) == 1
    assert await timeline_ids(gladly) == [timeline_item_id(Action.SKIP, request_id)]
    assert [row.outcome for row in await audit_rows(store_url)] == ["done"]
