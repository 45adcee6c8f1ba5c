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
    SHARED_ROLES,
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

LIVE_ACTIONS = [
    pb.ACTION_SKIP,
    pb.ACTION_CHANGE_NEXT_ORDER_DATE,
    pb.ACTION_CHANGE_FREQUENCY,
    pb.ACTION_CHANGE_QUANTITY,
    pb.ACTION_SEND_NOW,
]
PREPAID_ACTIONS = [
    pb.ACTION_SKIP,
    pb.ACTION_CHANGE_NEXT_ORDER_DATE,
    pb.ACTION_CHANGE_FREQUENCY,
    pb.ACTION_SEND_NOW,
    pb.ACTION_CHANGE_RENEWAL,
]


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
        # Ordergroove refuses to cancel a prepaid subscription, or change its quantity (its
        # own or its item's); an item leaves an order only when the order keeps others.
        prepaid = role in PREPAID_ROLES
        offered = [*PREPAID_ACTIONS] if prepaid else [pb.ACTION_CANCEL, *LIVE_ACTIONS]
        offered += [pb.ACTION_CANCEL_ORDER]
        offered += [] if prepaid else [pb.ACTION_CHANGE_ITEM_QUANTITY]
        offered += [pb.ACTION_REMOVE_FROM_ORDER] if role in SHARED_ROLES else []
        offered += [
            pb.ACTION_ISSUE_DISCOUNT,
            pb.ACTION_SWAP_PRODUCT,
            pb.ACTION_CHANGE_SHIPPING_ADDRESS,
        ]
        assert list(sub.available_actions) == offered
    for role in CANCELLED_ROLES:
        sub = by_id[DEMO_SUBSCRIPTION_IDS[role]]
        assert sub.status == pb.SUBSCRIPTION_STATUS_CANCELLED
        assert sub.cancel_time.seconds > 0
        assert list(sub.available_actions) == [pb.ACTION_REACTIVATE]
        assert not sub.HasField("next_order")
    inactive = by_id[DEMO_SUBSCRIPTION_IDS[Role.INACTIVE_LAUNDRY]]
    assert inactive.status == pb.SUBSCRIPTION_STATUS_INACTIVE
    assert list(inactive.available_actions) == [pb.ACTION_REACTIVATE]
    assert all(by_id[DEMO_SUBSCRIPTION_IDS[r]].prepaid for r in PREPAID_ROLES)
    protein = by_id[DEMO_SUBSCRIPTION_IDS[Role.PREPAID_PROTEIN]].prepaid_plan
    assert (protein.orders_remaining, protein.orders_per_billing) == (3, 3)
    assert protein.renewal_behavior == "autorenew"
    assert not by_id[DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO]].HasField("prepaid_plan")
    water = by_id[DEMO_SUBSCRIPTION_IDS[Role.CANCELLED_WATER_FILTER]]
    assert (water.cancel_reason_code, water.cancel_reason_text) == ("2", "Too expensive")


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
    takes a few round trips (customer+page, orders+products), then the 40 orders' items. The
    bound is generous."""
    await seed_customer(ordergroove, merchant_user_id="wide-1", email="wide@example.com", count=40)
    await add_fault(ordergroove, latency_ms=200)
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="wide-1"))
    assert len(answer.subscriptions) == 40
    assert loop.time() - started < 4.0


async def test_at_most_five_paginating_requests_of_a_customer_are_in_flight(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """Ordergroove asks for at most 5 concurrent paginating requests: the card of a customer with
    40 orders to come never has more than 5 of its listings (subscriptions, orders, products) in
    flight at once. Each order's items are one read, not a paginating listing: the 40 are asked
    for at once, not five at a time."""
    await seed_customer(ordergroove, merchant_user_id="busy-1", email="busy@example.com", count=40)
    await ordergroove.delete("/_sandbox/requests")
    # Long enough that the sampling below sees requests overlap on a loaded machine too.
    await add_fault(ordergroove, latency_ms=300)
    lookup = asyncio.ensure_future(
        service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="busy-1"))
    )
    most, most_items = 0, 0
    while not lookup.done():
        rows = await journal(ordergroove, "GET")
        listings = ("/subscriptions/", "/orders/", "/products/")
        in_flight = [r for r in rows if r["status"] is None and r["path"] in listings]
        items = [r for r in rows if r["status"] is None and r["path"] == "/items/"]
        most, most_items = max(most, len(in_flight)), max(most_items, len(items))
        await asyncio.sleep(0.02)
    assert len((await lookup).subscriptions) == 40
    assert 2 <= most <= 5
    assert most_items > 5


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
    """120 orders to come take two pages: the first page's items need not wait for the second.
    The second page is slow enough that the 100 items reads cannot outlast it."""
    created = await seed_customer(
        ordergroove, merchant_user_id="paged-1", email="paged@example.com", count=120
    )
    subscription_ids, order_ids = created["subscriptions"], created["orders"]
    await ordergroove.delete("/_sandbox/requests")
    await add_fault(ordergroove, path="/orders/", latency_ms=1000)
    lookup = asyncio.ensure_future(
        service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="paged-1"))
    )

    async def second_page_and_items_asked_for() -> bool:
        pages = await journal(ordergroove, "GET", "/orders/")
        return len(pages) == 2 and bool(await journal(ordergroove, "GET", "/items/"))

    await eventually(second_page_and_items_asked_for)
    pages = await journal(ordergroove, "GET", "/orders/")
    assert [(page["query"].count("cursor="), page["status"]) for page in pages] == [
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


async def test_cancel_reasons_are_the_merchants_codes_in_the_merchants_words(
    service: ServiceHandle,
) -> None:
    answer = await service.stub.ListCancelReasons(pb.ListCancelReasonsRequest())
    # The sandbox lists the merchant's integer codes; the words are the default names.
    assert [r.code for r in answer.reasons] == ["1", "2", "3", "4", "5", "6", "7", "12"]
    assert (answer.reasons[1].text, answer.reasons[-1].text) == ("Too expensive", "Other")
    assert not answer.reason_required


async def test_unnamed_codes_read_reason_n_and_a_required_reason_is_said(
    ordergroove_url: str, gladly_url: str
) -> None:
    settings = service_settings(
        ordergroove_url,
        gladly_url,
        cancel_reason_names={"12": "Moving abroad"},
        cancel_reason_required=True,
    )
    async with running_service(settings) as service:
        answer = await service.stub.ListCancelReasons(pb.ListCancelReasonsRequest())
        failure = await fails(
            service.stub.CancelSubscription(
                pb.CancelSubscriptionRequest(
                    subscription_id=DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO],
                    customer_id=DEMO_CUSTOMER_ID,
                )
            )
        )
    assert answer.reason_required
    assert [r.text for r in answer.reasons][-2:] == ["Reason 7", "Moving abroad"]
    assert (failure.code, failure.field_violations) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        ["reason_code"],
    )


# --- CancelSubscription --------------------------------------------------------------------------


async def test_cancel_cancels_and_logs_to_the_timeline(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    sub_id = DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO]
    answer = await service.stub.CancelSubscription(
        pb.CancelSubscriptionRequest(
            subscription_id=sub_id,
            customer_id=DEMO_CUSTOMER_ID,
            reason_code="2",
            reason_details="found it cheaper",
            request_id=str(uuid.uuid4()),
            context=AGENT,
        )
    )
    sub = answer.subscription
    assert sub.status == pb.SUBSCRIPTION_STATUS_CANCELLED
    assert (sub.cancel_reason_code, sub.cancel_reason_text, sub.cancel_reason_details) == (
        "2",
        "Too expensive",
        "found it cheaper",
    )
    assert sub.cancel_time.seconds > 0 and list(sub.available_actions) == [pb.ACTION_REACTIVATE]
    stored = (await ordergroove.get(f"/subscriptions/{sub_id}/")).json()
    assert stored["live"] is False and stored["cancel_reason"] == "2|found it cheaper"
    assert stored["cancel_reason_code"] == "2"
    assert len(await journal(ordergroove, "PATCH")) == 1
    # Timeline entries are posted in the background.
    await eventually(lambda: customer_timeline(gladly, DEMO_GLADLY_CUSTOMER_ID))
    [entry] = await customer_timeline(gladly, DEMO_GLADLY_CUSTOMER_ID)
    content = entry["content"]
    assert content["type"] == "CUSTOMER_ACTIVITY"
    assert sub.product.name in content["title"]
    assert "agent-7" in content["body"] and sub_id in content["body"]
    assert "cheaper" in content["body"] and content["body"] == answer.summary
    assert "Reason: Too expensive (2)." in content["body"]


async def test_cancel_without_a_reason_sends_none(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    sub_id = DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO]
    answer = await service.stub.CancelSubscription(
        pb.CancelSubscriptionRequest(subscription_id=sub_id, customer_id=DEMO_CUSTOMER_ID)
    )
    assert answer.subscription.status == pb.SUBSCRIPTION_STATUS_CANCELLED
    assert not answer.subscription.cancel_reason_code
    assert "Reason: none given." in answer.summary
    stored = (await ordergroove.get(f"/subscriptions/{sub_id}/")).json()
    assert (stored["cancel_reason"], stored["cancel_reason_code"]) == (None, None)


@pytest.mark.parametrize(
    ("code", "details", "field"),
    [
        ("99", "", "reason_code"),  # not one of the merchant's codes
        ("too_much_product", "", "reason_code"),  # not an integer code
        ("2|3", "", "reason_code"),
        ("", "no code given", "reason_details"),
    ],
)
async def test_a_reason_the_merchant_does_not_have_is_refused_before_any_write(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, code: str, details: str, field: str
) -> None:
    failure = await fails(
        service.stub.CancelSubscription(
            pb.CancelSubscriptionRequest(
                subscription_id=DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO],
                customer_id=DEMO_CUSTOMER_ID,
                reason_code=code,
                reason_details=details,
            )
        )
    )
    assert (failure.code, failure.field_violations) == (grpc.StatusCode.INVALID_ARGUMENT, [field])
    assert not await journal(ordergroove, "PATCH")


async def test_a_prepaid_cancel_is_refused_before_any_write(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    failure = await fails(
        service.stub.CancelSubscription(
            pb.CancelSubscriptionRequest(
                subscription_id=DEMO_SUBSCRIPTION_IDS[Role.PREPAID_TEA],
                customer_id=DEMO_CUSTOMER_ID,
                reason_code="7",
            )
        )
    )
    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION
    assert failure.reason == Reason.ORDERGROOVE_REJECTED
    assert "prepaid" in failure.message and "renewal" in failure.message
    assert not await journal(ordergroove, "PATCH")


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
                subscription_id=sub_id, customer_id=customer, reason_code="12"
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
                    reason_code="12",
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


async def test_dates_are_the_merchants_calendar_dates(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """Ordergroove's "2030-01-01 23:30:00" is read in the merchant's zone (America/Chicago by
    default): 05:30 UTC the next day, but the order's date stays January 1st."""
    created = await seed_customer(
        ordergroove,
        merchant_user_id="late-1",
        email="late@example.com",
        subscriptions=[{"next_order_place": "2030-01-01 23:30:00"}],
    )
    [sub_id] = created["subscriptions"]
    card = await service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="late-1"))
    [sub] = card.subscriptions
    assert sub.next_order.place_date == "2030-01-01"
    assert sub.next_order.place_time.ToJsonString() == "2030-01-02T05:30:00Z"
    skipped = await service.stub.SkipNextOrder(
        pb.SkipNextOrderRequest(subscription_id=sub_id, customer_id="late-1")
    )
    assert "Skipped the 2030-01-01 order" in skipped.summary
    assert "next order 2030-01-01 → 2030-02-01." in skipped.summary


async def test_the_merchants_zone_is_a_setting(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    await seed_customer(
        ordergroove,
        merchant_user_id="utc-1",
        email="utc@example.com",
        subscriptions=[{"next_order_place": "2030-01-01 23:30:00"}],
    )
    settings = service_settings(ordergroove_url, gladly_url, ordergroove_timezone="UTC")
    async with running_service(settings) as service:
        card = await service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="utc-1"))
    [sub] = card.subscriptions
    assert sub.next_order.place_time.ToJsonString() == "2030-01-01T23:30:00Z"
