"""The Actions gRPC service against the real Ordergroove and Gladly sandboxes over HTTP."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from services.actions_service.errors import Reason
from services.gladly_sandbox.state import CLOSED_CUSTOMER_ID, DEMO_CONVERSATION_ID
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as DEMO_GLADLY_CUSTOMER_ID
from services.ordergroove_sandbox.demo import (
    ACTIVE_ROLES,
    CANCELLED_ROLES,
    DEMO_CUSTOMER_ID,
    DEMO_EMAIL,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SHARED_ORDER_ID,
    DEMO_SUBSCRIPTION_IDS,
    PREPAID_ROLES,
    Role,
)
from tests.stack import (
    ServiceHandle,
    add_fault,
    customer_timeline,
    eventually,
    fails,
    journal,
    running_service,
    seed_customer,
    service_settings,
)

AGENT = pb.ActionContext(
    agent_id="agent-7",
    gladly_customer_id=DEMO_GLADLY_CUSTOMER_ID,
    conversation_id=DEMO_CONVERSATION_ID,  # read and checked: it must be the customer's, open
)


# --- GetSubscriptions ----------------------------------------------------------------------------


async def test_card_has_every_subscription_with_next_order_product_and_actions(
    service: ServiceHandle,
) -> None:
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    )
    assert answer.linked
    assert answer.customer.email == DEMO_EMAIL
    assert (answer.total_count, answer.active_count) == (12, 8)
    by_id = {s.subscription_id: s for s in answer.subscriptions}
    assert set(by_id) == {DEMO_SUBSCRIPTION_IDS[r] for r in Role} - {
        DEMO_SUBSCRIPTION_IDS[Role.OTHER_COLD_BREW],
        DEMO_SUBSCRIPTION_IDS[Role.OTHER_ALMONDS],
    }
    for role in ACTIVE_ROLES:
        sub = by_id[DEMO_SUBSCRIPTION_IDS[role]]
        assert sub.status == pb.SUBSCRIPTION_STATUS_ACTIVE, role
        assert sub.next_order.order_id == DEMO_NEXT_ORDER_IDS[role]
        assert sub.next_order.place_time.seconds > 0
        assert sub.product.name and sub.product.sku and sub.product.image_url
        assert list(sub.available_actions) == [pb.ACTION_CANCEL, pb.ACTION_SKIP]
    for role in CANCELLED_ROLES:
        sub = by_id[DEMO_SUBSCRIPTION_IDS[role]]
        assert sub.status == pb.SUBSCRIPTION_STATUS_CANCELLED
        assert sub.cancel_time.seconds > 0
        assert not sub.available_actions and not sub.HasField("next_order")
    inactive = by_id[DEMO_SUBSCRIPTION_IDS[Role.INACTIVE_LAUNDRY]]
    assert inactive.status == pb.SUBSCRIPTION_STATUS_INACTIVE
    assert not inactive.available_actions
    assert all(by_id[DEMO_SUBSCRIPTION_IDS[r]].prepaid for r in PREPAID_ROLES)


async def test_shared_order_is_the_next_order_of_each_of_its_subscriptions(
    service: ServiceHandle,
) -> None:
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    )
    shared = [s for s in answer.subscriptions if s.next_order.order_id == DEMO_SHARED_ORDER_ID]
    assert len(shared) == 3


async def test_lookup_by_email_and_unknown_customers(service: ServiceHandle) -> None:
    by_email = await service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(email=DEMO_EMAIL))
    assert by_email.customer.customer_id == DEMO_CUSTOMER_ID and by_email.total_count == 12
    for request in (
        pb.GetSubscriptionsRequest(customer_id="nobody-42"),
        pb.GetSubscriptionsRequest(email="nobody@example.com"),
    ):
        answer = await service.stub.GetSubscriptions(request)
        assert not answer.linked and not answer.subscriptions


async def test_basic_view_reads_no_orders_or_products(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    await ordergroove.delete("/_sandbox/requests")
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(email=DEMO_EMAIL, view=pb.SUBSCRIPTIONS_VIEW_BASIC)
    )
    assert answer.linked and (answer.total_count, answer.active_count) == (12, 8)
    assert not answer.subscriptions
    assert not await journal(ordergroove, "GET", "/orders/")
    assert not await journal(ordergroove, "GET", "/products/")


async def test_all_pages_are_followed(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    created = await seed_customer(
        ordergroove, merchant_user_id="big-1", email="big@example.com", count=230
    )
    answer = await service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="big-1"))
    ids = [s.subscription_id for s in answer.subscriptions]
    assert len(ids) == len(set(ids)) == answer.total_count == 230
    assert set(ids) == set(created["subscriptions"])
    assert all(s.next_order.order_id for s in answer.subscriptions)


async def test_fan_out_is_concurrent_not_one_round_trip_per_subscription(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """With 0.2 s per request, 40 subscriptions one after another would take over 16 s; a fan-out
    takes a few round trips (customer+page, orders+products). The bound is generous on purpose."""
    await seed_customer(ordergroove, merchant_user_id="wide-1", email="wide@example.com", count=40)
    await add_fault(ordergroove, latency_ms=200)
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="wide-1"))
    assert len(answer.subscriptions) == 40
    assert loop.time() - started < 2.0


async def test_orders_shipping_several_subscriptions_are_read_once_each(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    created = await seed_customer(
        ordergroove,
        merchant_user_id="grouped-1",
        email="grouped@example.com",
        count=40,
        next_orders=4,
    )
    subscription_ids, order_ids = created["subscriptions"], created["orders"]
    await ordergroove.delete("/_sandbox/requests")
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id="grouped-1")
    )
    next_order = {s.subscription_id: s.next_order.order_id for s in answer.subscriptions}
    # The sandbox deals subscriptions into orders round robin.
    assert next_order == {sid: order_ids[n % 4] for n, sid in enumerate(subscription_ids)}
    assert len(await journal(ordergroove, "GET", "/orders/")) == 1
    assert len(await journal(ordergroove, "GET", "/items/")) == 4


async def test_items_of_the_first_page_of_orders_are_read_while_the_next_page_loads(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """120 orders to come take two pages: the first page's items need not wait for the second."""
    created = await seed_customer(
        ordergroove, merchant_user_id="paged-1", email="paged@example.com", count=120
    )
    subscription_ids, order_ids = created["subscriptions"], created["orders"]
    await ordergroove.delete("/_sandbox/requests")
    await add_fault(ordergroove, path="/orders/", latency_ms=500)
    lookup = asyncio.ensure_future(
        service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="paged-1"))
    )

    async def second_page_and_items_asked_for() -> bool:
        pages = await journal(ordergroove, "GET", "/orders/")
        return len(pages) == 2 and bool(await journal(ordergroove, "GET", "/items/"))

    await eventually(second_page_and_items_asked_for)
    pages = await journal(ordergroove, "GET", "/orders/")
    assert [(page["query"].count("page="), page["status"]) for page in pages] == [
        (0, 200),
        (1, None),
    ]
    answer = await lookup
    next_order = {s.subscription_id: s.next_order.order_id for s in answer.subscriptions}
    assert next_order == dict(zip(subscription_ids, order_ids, strict=True))


async def test_disabled_actions_are_not_offered(ordergroove_url: str, gladly_url: str) -> None:
    settings = service_settings(ordergroove_url, gladly_url, actions_enabled=frozenset({"skip"}))
    async with running_service(settings) as service:
        answer = await service.stub.GetSubscriptions(
            pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
        )
    active = [s for s in answer.subscriptions if s.status == pb.SUBSCRIPTION_STATUS_ACTIVE]
    assert active and all(list(s.available_actions) == [pb.ACTION_SKIP] for s in active)


async def test_cancel_reasons(service: ServiceHandle) -> None:
    answer = await service.stub.ListCancelReasons(pb.ListCancelReasonsRequest())
    assert len(answer.reasons) >= 3
    assert all(r.code and r.text for r in answer.reasons)


# --- CancelSubscription --------------------------------------------------------------------------


async def test_cancel_cancels_and_logs_to_the_timeline(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    sub_id = DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO]
    answer = await service.stub.CancelSubscription(
        pb.CancelSubscriptionRequest(
            subscription_id=sub_id,
            customer_id=DEMO_CUSTOMER_ID,
            reason_code="too_expensive",
            reason_details="found it cheaper",
            request_id=str(uuid.uuid4()),
            context=AGENT,
        )
    )
    sub = answer.subscription
    assert sub.status == pb.SUBSCRIPTION_STATUS_CANCELLED
    assert (sub.cancel_reason_code, sub.cancel_reason_details) == (
        "too_expensive",
        "found it cheaper",
    )
    assert sub.cancel_time.seconds > 0 and not sub.available_actions
    stored = (await ordergroove.get(f"/subscriptions/{sub_id}/")).json()
    assert stored["live"] is False and stored["cancel_reason"] == "too_expensive|found it cheaper"
    assert len(await journal(ordergroove, "PATCH")) == 1
    # Timeline entries are posted in the background.
    await eventually(lambda: customer_timeline(gladly, DEMO_GLADLY_CUSTOMER_ID))
    [entry] = await customer_timeline(gladly, DEMO_GLADLY_CUSTOMER_ID)
    content = entry["content"]
    assert content["type"] == "CUSTOMER_ACTIVITY"
    assert sub.product.name in content["title"]
    assert "agent-7" in content["body"] and sub_id in content["body"]
    assert "cheaper" in content["body"] and content["body"] == answer.summary


async def test_prepaid_cancel_refusal_reaches_the_caller_in_ordergrooves_words(
    service: ServiceHandle,
) -> None:
    failure = await fails(
        service.stub.CancelSubscription(
            pb.CancelSubscriptionRequest(
                subscription_id=DEMO_SUBSCRIPTION_IDS[Role.PREPAID_TEA],
                customer_id=DEMO_CUSTOMER_ID,
                reason_code="moving",
            )
        )
    )
    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION
    assert failure.reason == Reason.ORDERGROOVE_REJECTED
    assert failure.message == "Prepaid subscriptions cannot be cancelled."


NOT_ACTIVE = Reason.SUBSCRIPTION_NOT_ACTIVE


@pytest.mark.parametrize(
    ("subscription", "customer", "code", "reason"),
    [
        (
            Role.CANCELLED_TOOTHBRUSH,
            DEMO_CUSTOMER_ID,
            "FAILED_PRECONDITION",
            "SUBSCRIPTION_NOT_ACTIVE",
        ),
        (Role.INACTIVE_LAUNDRY, DEMO_CUSTOMER_ID, "FAILED_PRECONDITION", "SUBSCRIPTION_NOT_ACTIVE"),
        (Role.OTHER_ALMONDS, DEMO_CUSTOMER_ID, "NOT_FOUND", "SUBSCRIPTION_NOT_FOUND"),
        ("0" * 32, DEMO_CUSTOMER_ID, "NOT_FOUND", "SUBSCRIPTION_NOT_FOUND"),
        (Role.SHAMPOO, "nobody-42", "NOT_FOUND", "CUSTOMER_NOT_LINKED"),
    ],
)
async def test_refusals_before_any_write(
    service: ServiceHandle,
    ordergroove: httpx.AsyncClient,
    subscription: Role | str,
    customer: str,
    code: str,
    reason: str,
) -> None:
    sub_id = DEMO_SUBSCRIPTION_IDS[subscription] if isinstance(subscription, Role) else subscription
    for call in (
        service.stub.CancelSubscription(
            pb.CancelSubscriptionRequest(
                subscription_id=sub_id, customer_id=customer, reason_code="other"
            )
        ),
        service.stub.SkipNextOrder(
            pb.SkipNextOrderRequest(subscription_id=sub_id, customer_id=customer)
        ),
    ):
        failure = await fails(call)
        assert (failure.code.name, failure.reason) == (code, reason)
    assert not await journal(ordergroove, "PATCH")


async def test_disabled_action_is_refused_without_calling_ordergroove(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    settings = service_settings(ordergroove_url, gladly_url, actions_enabled=frozenset())
    async with running_service(settings) as service:
        failure = await fails(
            service.stub.CancelSubscription(
                pb.CancelSubscriptionRequest(
                    subscription_id=DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO],
                    customer_id=DEMO_CUSTOMER_ID,
                    reason_code="other",
                )
            )
        )
    assert (failure.code, failure.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "ACTION_DISABLED",
    )
    assert not (await ordergroove.get("/_sandbox/requests")).json()


async def test_actions_need_an_open_conversation(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    context = pb.ActionContext(agent_id="agent-7", gladly_customer_id=CLOSED_CUSTOMER_ID)
    failure = await fails(
        service.stub.SkipNextOrder(
            pb.SkipNextOrderRequest(
                subscription_id=DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO],
                customer_id=DEMO_CUSTOMER_ID,
                context=context,
            )
        )
    )
    assert (failure.code, failure.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "CONVERSATION_NOT_OPEN",
    )
    assert not await journal(ordergroove, "PATCH")


# --- SkipNextOrder -------------------------------------------------------------------------------


async def test_skip_in_a_shared_order_removes_only_this_subscriptions_items(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    sub_id = DEMO_SUBSCRIPTION_IDS[Role.SHARED_COFFEE]
    before = (await ordergroove.get(f"/orders/{DEMO_SHARED_ORDER_ID}/")).json()
    answer = await service.stub.SkipNextOrder(
        pb.SkipNextOrderRequest(
            subscription_id=sub_id,
            customer_id=DEMO_CUSTOMER_ID,
            order_id=DEMO_SHARED_ORDER_ID,
            context=AGENT,
        )
    )
    assert answer.skipped_order_id == DEMO_SHARED_ORDER_ID
    items = (await ordergroove.get("/items/", params={"order": DEMO_SHARED_ORDER_ID})).json()
    remaining = {item["subscription"] for item in items["results"]}
    assert sub_id not in remaining
    assert remaining == {
        DEMO_SUBSCRIPTION_IDS[Role.SHARED_FILTERS],
        DEMO_SUBSCRIPTION_IDS[Role.SHARED_OAT_MILK],
    }
    # Coffee ships monthly: the generated order is one calendar month after the skipped one.
    old = answer.previous_next_order_time.ToDatetime()
    new = answer.next_order_time.ToDatetime()
    assert before["place"].startswith(old.strftime("%Y-%m-%d"))
    assert (new.year * 12 + new.month) - (old.year * 12 + old.month) == 1
    assert answer.subscription.next_order.order_id not in ("", DEMO_SHARED_ORDER_ID)
    assert answer.subscription.next_order.place_time == answer.next_order_time
    # Timeline entries are posted in the background.
    await eventually(lambda: customer_timeline(gladly, DEMO_GLADLY_CUSTOMER_ID))
    [entry] = await customer_timeline(gladly, DEMO_GLADLY_CUSTOMER_ID)
    assert old.strftime("%Y-%m-%d") in entry["content"]["body"]
    assert new.strftime("%Y-%m-%d") in entry["content"]["body"]


async def test_skip_of_an_order_that_is_no_longer_next_is_refused(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request = pb.SkipNextOrderRequest(
        subscription_id=DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD],
        customer_id=DEMO_CUSTOMER_ID,
        order_id=DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD],
    )
    await service.stub.SkipNextOrder(request)
    failure = await fails(service.stub.SkipNextOrder(request))
    assert (failure.code, failure.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "NEXT_ORDER_CHANGED",
    )
    assert len(await journal(ordergroove, "PATCH")) == 1


# --- upstream failures, retries, deadlines -------------------------------------------------------


def _skip_dog_food() -> pb.SkipNextOrderRequest:
    return pb.SkipNextOrderRequest(
        subscription_id=DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD], customer_id=DEMO_CUSTOMER_ID
    )


async def test_server_errors_become_upstream_unavailable_without_internals(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(ordergroove, method="PATCH", status=500)
    failure = await fails(service.stub.SkipNextOrder(_skip_dog_food()))
    assert (failure.code, failure.reason) == (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
    assert "server error" not in failure.message.lower()
    # A write whose failure may have been applied is never repeated blindly.
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_not_applied_answers_are_retried_for_writes_too(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(ordergroove, method="PATCH", status=423, times=1)
    await add_fault(ordergroove, method="GET", path="/subscriptions/", status=503, times=1)
    answer = await service.stub.SkipNextOrder(_skip_dog_food())
    assert answer.skipped_order_id == DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]
    assert [r["status"] for r in await journal(ordergroove, "PATCH")] == [423, 200]


async def test_retries_give_up_after_three_attempts(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(ordergroove, method="GET", path="/merchant/", status=429)
    failure = await fails(service.stub.ListCancelReasons(pb.ListCancelReasonsRequest()))
    assert failure.reason == "UPSTREAM_UNAVAILABLE"
    assert len(await journal(ordergroove, "GET", "/merchant/")) == 3


async def test_retries_stop_at_the_deadline(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    settings = service_settings(ordergroove_url, gladly_url, deadline_seconds=0.6)
    await add_fault(ordergroove, method="GET", path="/merchant/", status=503, latency_ms=250)
    async with running_service(settings) as service:
        loop = asyncio.get_running_loop()
        started = loop.time()
        failure = await fails(service.stub.ListCancelReasons(pb.ListCancelReasonsRequest()))
        elapsed = loop.time() - started
    assert failure.reason in ("DEADLINE_EXCEEDED", "UPSTREAM_UNAVAILABLE")
    assert elapsed < 0.6 + 0.3
    assert len(await journal(ordergroove, "GET", "/merchant/")) <= 3


async def test_deadline_is_capped_by_configuration_with_a_hanging_upstream(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    settings = service_settings(ordergroove_url, gladly_url, deadline_seconds=0.5)
    await add_fault(ordergroove, method="PATCH", hang=True)
    async with running_service(settings) as service:
        loop = asyncio.get_running_loop()
        started = loop.time()
        failure = await fails(service.stub.SkipNextOrder(_skip_dog_food(), timeout=30))
        elapsed = loop.time() - started

        async def write_answered() -> bool:
            [write] = await journal(ordergroove, "PATCH")
            return write["status"] is not None

        # The hung write was cancelled with the call: Ordergroove saw its client go away
        # (499), while the service was still running.
        await eventually(write_answered)
        [write] = await journal(ordergroove, "PATCH")
    assert (failure.code, failure.reason) == (
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "DEADLINE_EXCEEDED",
    )
    assert 0.5 <= elapsed < 0.5 + 0.3
    assert write["status"] == 499


async def test_callers_shorter_deadline_wins(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(ordergroove, method="GET", hang=True)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.GetSubscriptions(
            pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID), timeout=0.4
        )
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert loop.time() - started < 0.4 + 0.3


async def test_a_timeline_failure_does_not_fail_the_action(
    service: ServiceHandle, gladly: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(gladly, method="POST", status=500)
    answer = await service.stub.SkipNextOrder(
        pb.SkipNextOrderRequest(
            subscription_id=DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO],
            customer_id=DEMO_CUSTOMER_ID,
            context=AGENT,
        )
    )
    assert answer.summary
    assert len(await journal(ordergroove, "PATCH")) == 1


# --- the Gladly link -----------------------------------------------------------------------------


async def test_card_by_linked_gladly_customer(service: ServiceHandle) -> None:
    linked = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(gladly_customer_id=DEMO_GLADLY_CUSTOMER_ID)
    )
    assert linked.customer.customer_id == DEMO_CUSTOMER_ID
    assert linked.total_count == 12
    unlinked = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(gladly_customer_id=CLOSED_CUSTOMER_ID)
    )
    assert not unlinked.linked


async def test_action_for_a_gladly_customer_uses_its_linked_ordergroove_customer(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    answer = await service.stub.SkipNextOrder(
        pb.SkipNextOrderRequest(subscription_id=DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO], context=AGENT)
    )
    assert answer.skipped_order_id == DEMO_NEXT_ORDER_IDS[Role.SHAMPOO]
    # The linked customer does not own demo-customer-2's subscriptions.
    failure = await fails(
        service.stub.SkipNextOrder(
            pb.SkipNextOrderRequest(
                subscription_id=DEMO_SUBSCRIPTION_IDS[Role.OTHER_ALMONDS], context=AGENT
            )
        )
    )
    assert failure.reason == Reason.SUBSCRIPTION_NOT_FOUND
    assert len(await journal(ordergroove, "PATCH")) == 1


async def test_action_for_an_unlinked_gladly_customer_is_refused(
    service: ServiceHandle, gladly: httpx.AsyncClient
) -> None:
    created = await gladly.post(
        "/_sandbox/customers", json={"id": "gladly-unlinked", "conversation": "OPEN"}
    )
    assert created.status_code == 201, created.text
    failure = await fails(
        service.stub.SkipNextOrder(
            pb.SkipNextOrderRequest(
                subscription_id=DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO],
                context=pb.ActionContext(gladly_customer_id="gladly-unlinked"),
            )
        )
    )
    assert (failure.code, failure.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_LINKED")
