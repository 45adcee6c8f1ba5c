"""Every answer true when actions meet: two agents on two replicas of the service sharing one
store, the customer changing their subscriptions on Ordergroove's side meanwhile, answers lost
and retried. "Done" must mean done and "not applied" must mean not applied; when neither can be
told, the answer says so. Real servers: two Actions services, the Ordergroove and Gladly
sandboxes, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from services.actions_service.errors import Reason
from services.gladly_sandbox.state import DEMO_CONVERSATION_ID
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SHARED_ORDER_ID,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)
from tests.stack import (
    RpcFailure,
    ServiceHandle,
    add_fault,
    audit_rows,
    customer_timeline,
    eventually,
    fails,
    failure_of,
    journal,
    running_service,
    service_settings,
)

AGENT = pb.ActionContext(
    agent_id="agent-7", gladly_customer_id=GLADLY_CUSTOMER, conversation_id=DEMO_CONVERSATION_ID
)
DOG_FOOD = DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD]  # ships alone in its next order
COFFEE = DEMO_SUBSCRIPTION_IDS[Role.SHARED_COFFEE]  # ships with filters and oat milk
FILTERS = DEMO_SUBSCRIPTION_IDS[Role.SHARED_FILTERS]


@pytest.fixture
async def replicas(
    ordergroove_url: str, unlimited_gladly_url: str, store_url: str
) -> AsyncIterator[tuple[ServiceHandle, ServiceHandle]]:
    """Two replicas of the service on one store, as two agents would reach them."""
    settings = service_settings(ordergroove_url, unlimited_gladly_url, store_url=store_url)
    async with running_service(settings) as first, running_service(settings) as second:
        yield first, second


@pytest.fixture
async def gladly_of_replicas(unlimited_gladly_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=unlimited_gladly_url) as client:
        yield client


async def card(service: ServiceHandle, subscription_id: str) -> pb.Subscription:
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    )
    [found] = [s for s in answer.subscriptions if s.subscription_id == subscription_id]
    return found


def ids() -> dict[str, Any]:
    return {"customer_id": DEMO_CUSTOMER_ID, "request_id": str(uuid.uuid4()), "context": AGENT}


async def outcome(call: Any) -> Any:
    """The answer, or the failure it ended with."""
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        return failure_of(error)


async def patches(ordergroove: httpx.AsyncClient, fragment: str) -> list[str]:
    return [r["path"] for r in await journal(ordergroove, "PATCH") if fragment in r["path"]]


async def as_the_customer(ordergroove: httpx.AsyncClient, path: str, body: Any) -> None:
    """The customer changes their subscription on the merchant's website: straight at
    Ordergroove, past the service."""
    response = await ordergroove.patch(path, json=body)
    assert response.status_code == 200, response.text


def later(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


# --- 1. a stale skip form ------------------------------------------------------------------------


async def test_a_skip_form_whose_order_moved_does_not_skip_the_moved_delivery(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient
) -> None:
    """The order keeps its id when it moves (it ships one subscription): the form said
    "Skips the order of D", and the order is no longer of D."""
    service, _ = replicas
    shown = await card(service, DOG_FOOD)
    moved_to = later(shown.next_order.place_date, 16)
    await as_the_customer(
        ordergroove, f"/subscriptions/{DOG_FOOD}/change_next_order_date/", {"order_date": moved_to}
    )
    assert (await card(service, DOG_FOOD)).next_order.order_id == shown.next_order.order_id
    request = pb.SkipNextOrderRequest(
        subscription_id=DOG_FOOD,
        order_id=shown.next_order.order_id,
        expected_date=shown.next_order.place_date,
        **ids(),
    )
    failure = await fails(service.stub.SkipNextOrder(request))
    assert failure.reason == Reason.STATE_CHANGED
    assert shown.next_order.place_date in failure.message and moved_to in failure.message
    assert await patches(ordergroove, "skip_subscription") == []


# --- 2. different actions on one subscription at once -------------------------------------------


async def test_two_quantity_changes_at_once_one_done_the_other_refused(
    replicas: tuple[ServiceHandle, ServiceHandle],
    ordergroove: httpx.AsyncClient,
    gladly_of_replicas: httpx.AsyncClient,
) -> None:
    """Two agents, both forms opened on the same quantity, submitted together on two
    replicas: one is done, the other is judged against what its form showed — refused."""
    first, second = replicas
    done_entries = 0
    for _ in range(4):
        shown = (await card(first, DOG_FOOD)).quantity
        asks = (shown % 10 + 1, shown % 10 + 2)
        answers = await asyncio.gather(
            *(
                outcome(
                    replica.stub.ChangeQuantity(
                        pb.ChangeQuantityRequest(
                            subscription_id=DOG_FOOD, quantity=q, expected_quantity=shown, **ids()
                        )
                    )
                )
                for replica, q in zip(replicas, asks, strict=True)
            )
        )
        done = [a for a in answers if not isinstance(a, RpcFailure)]
        refused = [a for a in answers if isinstance(a, RpcFailure)]
        assert len(done) == 1 and len(refused) == 1, answers
        assert refused[0].reason == Reason.STATE_CHANGED
        held = (await card(second, DOG_FOOD)).quantity
        assert done[0].subscription.quantity == held
        assert f"Quantity: {shown} → {held}" in done[0].summary
        done_entries += 1

    async def entries() -> list[Any]:
        found = await customer_timeline(gladly_of_replicas, GLADLY_CUSTOMER)
        return found if len(found) >= done_entries else []

    await eventually(entries)
    assert (
        len(await customer_timeline(gladly_of_replicas, GLADLY_CUSTOMER)) == done_entries
    )  # one entry per change made, none for a refusal


async def test_cancel_and_send_now_at_once_never_send_a_cancelled_subscription(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient
) -> None:
    first, second = replicas
    shown = await card(first, DOG_FOOD)
    cancel, send = await asyncio.gather(
        outcome(
            first.stub.CancelSubscription(
                pb.CancelSubscriptionRequest(**ids(), subscription_id=DOG_FOOD)
            )
        ),
        outcome(
            second.stub.SendNextOrderNow(
                pb.SendNextOrderNowRequest(
                    subscription_id=DOG_FOOD,
                    expected_order_id=shown.next_order.order_id,
                    expected_date=shown.next_order.place_date,
                    expected_subscriptions=[DOG_FOOD],
                    **ids(),
                )
            )
        ),
    )
    assert not isinstance(cancel, RpcFailure), cancel  # a cancel is possible either way
    writes = [r["path"] for r in await journal(ordergroove, "PATCH")]
    if isinstance(send, RpcFailure):
        # The cancel came first: the order no longer holds the subscription; nothing was sent.
        assert send.reason in (Reason.SUBSCRIPTION_NOT_ACTIVE, Reason.NEXT_ORDER_CHANGED)
        assert not any("send_now" in path for path in writes)
    else:
        # The send came first: the order was placed with the subscription in it, then cancelled.
        assert [p.rsplit("/", 2)[-2] for p in writes] == ["send_now", "cancel"]
        items = (
            await ordergroove.get("/items/", params={"order": shown.next_order.order_id})
        ).json()
        assert DOG_FOOD in {item["subscription"] for item in items["results"]}


async def test_skip_and_change_date_at_once_one_done_the_other_refused(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient
) -> None:
    first, second = replicas
    shown = await card(first, DOG_FOOD)
    order = shown.next_order
    skip, move = await asyncio.gather(
        outcome(
            first.stub.SkipNextOrder(
                pb.SkipNextOrderRequest(
                    subscription_id=DOG_FOOD,
                    order_id=order.order_id,
                    expected_date=order.place_date,
                    **ids(),
                )
            )
        ),
        outcome(
            second.stub.ChangeNextOrderDate(
                pb.ChangeNextOrderDateRequest(
                    subscription_id=DOG_FOOD,
                    order_date=later(order.place_date, 3),
                    expected_date=order.place_date,
                    **ids(),
                )
            )
        ),
    )
    answers = (skip, move)
    done = [a for a in answers if not isinstance(a, RpcFailure)]
    assert len(done) == 1, answers
    [refused] = [a for a in answers if isinstance(a, RpcFailure)]
    assert refused.reason in (Reason.STATE_CHANGED, Reason.NEXT_ORDER_CHANGED)
    now = (await card(first, DOG_FOOD)).next_order.place_date
    assert now in done[0].summary  # the entry names the date that is true now


# --- 3. and 4. a lost answer and a state that moved on since -----------------------------------


async def skip_refused_then_moved(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, subscription_id: str, days: int
) -> pb.SkipNextOrderRequest:
    """A skip Ordergroove refused (500) before applying it; then the customer moves the next
    order `days` later. The skip's request, for its retry."""
    shown = (await card(service, subscription_id)).next_order
    request = pb.SkipNextOrderRequest(
        subscription_id=subscription_id,
        order_id=shown.order_id,
        expected_date=shown.place_date,
        **ids(),
    )
    skip_path = f"/orders/{shown.order_id}/skip_subscription/"
    await add_fault(ordergroove, method="PATCH", path=skip_path, status=500, times=1)
    await fails(service.stub.SkipNextOrder(request))
    await as_the_customer(
        ordergroove,
        f"/subscriptions/{subscription_id}/change_next_order_date/",
        {"order_date": later(shown.place_date, days)},
    )
    return request


async def test_a_skip_that_never_applied_is_not_done_after_its_order_moved(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient
) -> None:
    """Refused (500) before applying; the order then moves; the retry must not answer
    "skipped", nor skip the moved delivery."""
    service, other = replicas
    request = await skip_refused_then_moved(service, ordergroove, DOG_FOOD, 9)
    failure = await fails(other.stub.SkipNextOrder(request))  # Gladly's retry, another replica
    assert failure.reason == Reason.STATE_CHANGED
    assert "not applied" in failure.message
    assert len(await patches(ordergroove, "skip_subscription")) == 1  # the refused one only


async def test_a_skip_whose_shared_order_split_since_is_not_reported_done(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient
) -> None:
    """In a shared order, a date change moves the subscription's items to an order of their
    own: they left the skipped order, but not by a skip. The retry cannot tell: it says so."""
    service, other = replicas
    assert (await card(service, COFFEE)).next_order.order_id == DEMO_SHARED_ORDER_ID
    request = await skip_refused_then_moved(service, ordergroove, COFFEE, 2)
    failure = await fails(other.stub.SkipNextOrder(request))
    assert failure.reason == Reason.ACTION_UNCONFIRMED
    assert "could not be confirmed" in failure.message
    assert len(await patches(ordergroove, "skip_subscription")) == 1


async def quantity_applied_then_changed(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> tuple[pb.ChangeQuantityRequest, int]:
    """A quantity change (shown + 2) that applied but whose answer was lost; then the customer
    changes the quantity again, to what is returned with the request."""
    shown = (await card(service, DOG_FOOD)).quantity
    request = pb.ChangeQuantityRequest(
        subscription_id=DOG_FOOD, quantity=shown + 2, expected_quantity=shown, **ids()
    )
    await add_fault(ordergroove, method="PATCH", after=True, status=500, times=1)
    await fails(service.stub.ChangeQuantity(request))
    await as_the_customer(
        ordergroove, f"/subscriptions/{DOG_FOOD}/change_quantity/", {"quantity": shown + 5}
    )
    return request, shown + 5


async def test_an_applied_change_changed_again_since_is_never_reported_not_applied(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient
) -> None:
    """The quantity change applied and its answer was lost; the customer then changed the
    quantity again. The retry cannot say "not applied": it was applied."""
    service, other = replicas
    request, theirs = await quantity_applied_then_changed(service, ordergroove)
    failure = await fails(other.stub.ChangeQuantity(request))
    assert failure.reason == Reason.ACTION_UNCONFIRMED
    assert "not applied" not in failure.message
    assert f"quantity is now {theirs}" in failure.message
    assert len(await patches(ordergroove, f"{DOG_FOOD}/change_quantity")) == 2  # ours, theirs


async def test_the_settler_says_unconfirmed_not_not_applied_when_the_state_moved_on(
    ordergroove_url: str,
    unlimited_gladly_url: str,
    gladly_of_replicas: httpx.AsyncClient,
    ordergroove: httpx.AsyncClient,
    store_url: str,
) -> None:
    settings = service_settings(
        ordergroove_url, unlimited_gladly_url, store_url=store_url, settle_after_seconds=0.5
    )
    async with running_service(settings) as service:
        request, _ = await quantity_applied_then_changed(service, ordergroove)

        async def settled() -> list[str]:
            outcomes = [row.outcome.value for row in await audit_rows(store_url)]
            return outcomes if outcomes[-1:] == ["unconfirmed"] else []

        await eventually(settled)
        repeat = await fails(service.stub.ChangeQuantity(request))
        assert repeat.reason == Reason.ACTION_UNCONFIRMED
        await eventually(lambda: customer_timeline(gladly_of_replicas, GLADLY_CUSTOMER))
        [entry] = await customer_timeline(gladly_of_replicas, GLADLY_CUSTOMER)
        assert "could not be confirmed" in entry["content"]["body"]
        assert "not applied" not in entry["content"]["body"]


# --- 6. and 7. send now ships the whole order; a sent order is sent ---------------------------


async def test_send_now_names_and_checks_everything_the_order_ships(
    replicas: tuple[ServiceHandle, ServiceHandle],
    ordergroove: httpx.AsyncClient,
    gladly_of_replicas: httpx.AsyncClient,
) -> None:
    service, other = replicas
    shown = await card(service, COFFEE)
    shipped = sorted({line.subscription_id for line in shown.next_order.lines})
    assert shipped == sorted(
        DEMO_SUBSCRIPTION_IDS[r]
        for r in (Role.SHARED_COFFEE, Role.SHARED_FILTERS, Role.SHARED_OAT_MILK)
    )

    def send(request_id: str) -> Any:
        return other.stub.SendNextOrderNow(
            pb.SendNextOrderNowRequest(
                subscription_id=COFFEE,
                customer_id=DEMO_CUSTOMER_ID,
                expected_order_id=shown.next_order.order_id,
                expected_date=shown.next_order.place_date,
                expected_subscriptions=shipped,
                request_id=request_id,
                context=AGENT,
            )
        )

    # The customer takes the filters out of this delivery: the order is no longer what was shown.
    await as_the_customer(
        ordergroove,
        f"/orders/{DEMO_SHARED_ORDER_ID}/skip_subscription/",
        {"subscription": FILTERS},
    )
    changed = await fails(send(str(uuid.uuid4())))
    assert changed.reason == Reason.STATE_CHANGED and FILTERS in changed.message
    assert await patches(ordergroove, "send_now") == []
    # Shown again as it is now, it is sent; the answer and the timeline name all it shipped.
    shown = await card(service, COFFEE)
    shipped = sorted({line.subscription_id for line in shown.next_order.lines})
    assert FILTERS not in shipped
    answer = await send(str(uuid.uuid4()))
    for subscription_id in shipped:
        assert subscription_id in answer.summary
    assert "the whole order" in answer.summary
    await eventually(lambda: customer_timeline(gladly_of_replicas, GLADLY_CUSTOMER))
    [entry] = await customer_timeline(gladly_of_replicas, GLADLY_CUSTOMER)
    assert all(s in entry["content"]["body"] for s in shipped)
    # Sent (status 6): it is not the next order any more, and not offered for sending again.
    after = await card(service, COFFEE)
    assert after.next_order.order_id != DEMO_SHARED_ORDER_ID


async def test_a_sent_order_whose_answer_was_lost_is_settled_as_sent(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient
) -> None:
    """Ordergroove answers `send_now/` with the order at status 6 (SEND_NOW): a lost answer is
    proven sent by reading it, and not sent again."""
    service, other = replicas
    shown = await card(service, DOG_FOOD)
    request = pb.SendNextOrderNowRequest(
        subscription_id=DOG_FOOD,
        expected_order_id=DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD],
        expected_date=shown.next_order.place_date,
        **ids(),
    )
    await add_fault(ordergroove, method="PATCH", after=True, status=500, times=1)
    await fails(service.stub.SendNextOrderNow(request))
    answer = await other.stub.SendNextOrderNow(request)
    assert answer.summary.startswith(f"Order {DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]} placed now")
    assert len(await patches(ordergroove, "send_now")) == 1
    assert pb.ACTION_SEND_NOW not in (await card(service, DOG_FOOD)).available_actions


@pytest.mark.parametrize("change", ["the filters' quantity", "the filters skipped out"])
async def test_a_retried_send_now_never_sends_an_order_other_than_its_form_showed(
    replicas: tuple[ServiceHandle, ServiceHandle], ordergroove: httpx.AsyncClient, change: str
) -> None:
    """Refused (500) before applying; what the shared order holds then changes; Gladly's retry
    must not send it, nor name what it no longer holds: the timeline would say "1 of Filters"
    of an order that shipped 4, or that shipped none."""
    service, other = replicas
    shown = await card(service, COFFEE)
    shipped = sorted({line.subscription_id for line in shown.next_order.lines})
    request = pb.SendNextOrderNowRequest(
        subscription_id=COFFEE,
        expected_order_id=DEMO_SHARED_ORDER_ID,
        expected_date=shown.next_order.place_date,
        expected_subscriptions=shipped,
        **ids(),
    )
    send_path = f"/orders/{DEMO_SHARED_ORDER_ID}/send_now/"
    await add_fault(ordergroove, method="PATCH", path=send_path, status=500, times=1)
    await fails(service.stub.SendNextOrderNow(request))
    if change == "the filters' quantity":
        filters = (await card(service, FILTERS)).quantity
        await as_the_customer(
            ordergroove, f"/subscriptions/{FILTERS}/change_quantity/", {"quantity": filters + 3}
        )
    else:
        await as_the_customer(
            ordergroove,
            f"/orders/{DEMO_SHARED_ORDER_ID}/skip_subscription/",
            {"subscription": FILTERS},
        )
    failure = await fails(other.stub.SendNextOrderNow(request))
    assert failure.reason == Reason.STATE_CHANGED
    assert "not applied" in failure.message
    assert len(await patches(ordergroove, "send_now")) == 1  # the refused one only


async def test_the_order_is_judged_as_it_is_when_sent_not_before_gladly_answered(
    replicas: tuple[ServiceHandle, ServiceHandle],
    ordergroove: httpx.AsyncClient,
    gladly_of_replicas: httpx.AsyncClient,
) -> None:
    """Gladly is slow to say that the conversation is open (its rate limit, a retry); the
    customer moves the order meanwhile. The form showed the order of D: it is no longer, so
    nothing is sent — not the order of D + 9 under an entry saying "order date D → today"."""
    service, _ = replicas
    shown = await card(service, DOG_FOOD)
    request = pb.SendNextOrderNowRequest(
        subscription_id=DOG_FOOD,
        expected_order_id=shown.next_order.order_id,
        expected_date=shown.next_order.place_date,
        expected_subscriptions=[DOG_FOOD],
        **ids(),
    )
    slow = {"method": "GET", "path": "/api/v1/conversations/", "latency_ms": 600, "times": 1}
    (await gladly_of_replicas.post("/_sandbox/faults", json=slow)).raise_for_status()
    sending = asyncio.create_task(outcome(service.stub.SendNextOrderNow(request)))
    await asyncio.sleep(0.3)  # the service waits for Gladly
    await as_the_customer(
        ordergroove,
        f"/subscriptions/{DOG_FOOD}/change_next_order_date/",
        {"order_date": later(shown.next_order.place_date, 9)},
    )
    sent = await sending
    assert isinstance(sent, RpcFailure) and sent.reason == Reason.STATE_CHANGED, sent
    assert await patches(ordergroove, "send_now") == []
