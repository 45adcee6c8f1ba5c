"""Every catalogue action over real servers (the Actions service in front of the Ordergroove and
Gladly sandboxes), one table of cases: offered or not, done with the state read back, refused in
Ordergroove's words, refused for a stale form, a lost answer settled with one write, a repeat,
switched off, and the timeline entry and audit row that say what changed."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import grpc
import httpx
import pytest
from sqlalchemy import String

from actions.v1 import actions_pb2 as pb
from common.config import KNOWN_ACTIONS
from services.actions_service.domain import Action
from services.actions_service.errors import Reason
from services.actions_service.servicer import _ACTION
from services.actions_service.store import schema
from services.gladly_sandbox.state import DEMO_CONVERSATION_ID
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.demo import (
    DEMO_ADDRESS_IDS,
    DEMO_CATALOGUE_PRODUCT_IDS,
    DEMO_CUSTOMER_ID,
    DEMO_SUBSCRIPTION_IDS,
    AddressRole,
    Catalogue,
    Role,
)
from tests.stack import (
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

AGENT = pb.ActionContext(
    agent_id="agent-7", gladly_customer_id=GLADLY_CUSTOMER, conversation_id=DEMO_CONVERSATION_ID
)
Fields = dict[str, Any]


def _later(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class Case:
    name: str  # as in ACTIONS_ENABLED
    rpc: str
    action: int
    subject: Role  # offered here
    elsewhere: Role  # not offered here
    ask: Callable[[pb.Subscription], Fields]  # the request, from the card as the agent saw it
    stale: Callable[[pb.Subscription], Fields]  # a request naming a state that is not the card's
    holds: Callable[[pb.Subscription, pb.Subscription], bool]  # (before, after): as asked
    says: str  # how the summary starts
    method: str = "PATCH"  # its one Ordergroove write's

    def request(self, card: pb.Subscription, request_id: str, fields: Fields) -> Any:
        message = getattr(pb, f"{self.rpc}Request")
        return message(
            subscription_id=card.subscription_id,
            customer_id=DEMO_CUSTOMER_ID,
            request_id=request_id,
            context=AGENT,
            **fields,
        )


# The dog food ships every 6 weeks.
FIVE_WEEKS = pb.Frequency(every=5, period=pb.FREQUENCY_PERIOD_WEEK)
DECAF = DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.DECAF_COFFEE]
WORK = DEMO_ADDRESS_IDS[AddressRole.WORK]


def _shown_order(s: pb.Subscription) -> Fields:
    """The next order as the card shows it: its id, date and subscriptions."""
    order = s.next_order
    held = sorted({line.subscription_id for line in order.lines if line.subscription_id})
    return {
        "expected_order_id": order.order_id,
        "expected_date": order.place_date,
        "expected_subscriptions": held,
    }


def _own_line(s: pb.Subscription) -> pb.OrderLine:
    [line] = [line for line in s.next_order.lines if line.subscription_id == s.subscription_id]
    return line


def _moved_on(before: pb.Subscription, after: pb.Subscription) -> bool:
    """Its next order is another than before (or it has none now)."""
    return after.next_order.order_id != before.next_order.order_id


CASES = [
    Case(
        "reactivate",
        "ReactivateSubscription",
        pb.ACTION_REACTIVATE,
        Role.CANCELLED_WATER_FILTER,
        Role.SHAMPOO,
        lambda s: {"frequency": s.frequency, "first_order_date": _in_days(7)},
        lambda s: {"frequency": s.frequency, "first_order_date": _in_days(7)},  # see below
        lambda before, after: (
            after.status == pb.SUBSCRIPTION_STATUS_ACTIVE
            and after.next_order.place_date == _in_days(7)
            and after.frequency == before.frequency
        ),
        "Status: not active → active",
    ),
    Case(
        "change_date",
        "ChangeNextOrderDate",
        pb.ACTION_CHANGE_NEXT_ORDER_DATE,
        Role.DOG_FOOD,
        Role.CANCELLED_TOOTHBRUSH,
        lambda s: {
            "order_date": _later(s.next_order.place_date, 7),
            "expected_date": s.next_order.place_date,
        },
        lambda s: {
            "order_date": _later(s.next_order.place_date, 7),
            "expected_date": _later(s.next_order.place_date, 1),
        },
        lambda before, after: (
            after.next_order.place_date == _later(before.next_order.place_date, 7)
        ),
        "Next order: ",
    ),
    Case(
        "change_frequency",
        "ChangeFrequency",
        pb.ACTION_CHANGE_FREQUENCY,
        Role.DOG_FOOD,
        Role.CANCELLED_TOOTHBRUSH,
        lambda s: {"frequency": FIVE_WEEKS, "expected_frequency": s.frequency},
        lambda s: {
            "frequency": FIVE_WEEKS,
            "expected_frequency": pb.Frequency(every=9, period=pb.FREQUENCY_PERIOD_DAY),
        },
        lambda before, after: after.frequency == FIVE_WEEKS,
        "Frequency: every ",
    ),
    Case(
        "change_quantity",
        "ChangeQuantity",
        pb.ACTION_CHANGE_QUANTITY,
        Role.DOG_FOOD,
        Role.PREPAID_TEA,
        lambda s: {"quantity": s.quantity + 2, "expected_quantity": s.quantity},
        lambda s: {"quantity": s.quantity + 2, "expected_quantity": s.quantity + 1},
        lambda before, after: after.quantity == before.quantity + 2,
        "Quantity: ",
    ),
    Case(
        "send_now",
        "SendNextOrderNow",
        pb.ACTION_SEND_NOW,
        Role.DOG_FOOD,
        Role.INACTIVE_LAUNDRY,
        lambda s: {
            "expected_order_id": s.next_order.order_id,
            "expected_date": s.next_order.place_date,
        },
        lambda s: {"expected_order_id": "some-other-order"},
        # Ordergroove answers the order with status 6, SEND_NOW (recorded
        # `sendOrderNow/live_response`): it is no longer the next order, nor sent again.
        lambda before, after: (
            after.next_order.order_id != before.next_order.order_id
            and (pb.ACTION_SEND_NOW not in after.available_actions or after.HasField("next_order"))
        ),
        "Order ",
    ),
    Case(
        "change_renewal",
        "ChangeRenewal",
        pb.ACTION_CHANGE_RENEWAL,
        Role.PREPAID_PROTEIN,
        Role.SHAMPOO,
        lambda s: {
            "renewal_behavior": "cancel",
            "expected_renewal_behavior": s.prepaid_plan.renewal_behavior,
        },
        lambda s: {"renewal_behavior": "cancel", "expected_renewal_behavior": "downgrade"},
        lambda before, after: after.prepaid_plan.renewal_behavior == "cancel",
        "Renewal: renew automatically → stop after the prepaid orders",
    ),
    Case(
        "cancel_order",
        "CancelOrder",
        pb.ACTION_CANCEL_ORDER,
        Role.DOG_FOOD,
        Role.CANCELLED_TOOTHBRUSH,
        _shown_order,
        lambda s: {**_shown_order(s), "expected_order_id": "some-other-order"},
        # Ordergroove generates the next order of each subscription the cancelled one held.
        lambda before, after: _moved_on(before, after) and after.HasField("next_order"),
        "Order ",
    ),
    Case(
        "change_item_quantity",
        "ChangeItemQuantity",
        pb.ACTION_CHANGE_ITEM_QUANTITY,
        Role.DOG_FOOD,
        Role.PREPAID_TEA,
        lambda s: {
            "quantity": _own_line(s).quantity + 1,
            "expected_order_id": s.next_order.order_id,
            "expected_quantity": _own_line(s).quantity,
        },
        lambda s: {
            "quantity": _own_line(s).quantity + 1,
            "expected_order_id": s.next_order.order_id,
            "expected_quantity": _own_line(s).quantity + 5,
        },
        # That order only: the subscription keeps its own quantity.
        lambda before, after: (
            _own_line(after).quantity == _own_line(before).quantity + 1
            and after.quantity == before.quantity
        ),
        "Quantity in order ",
    ),
    Case(
        "remove_from_order",
        "RemoveFromOrder",
        pb.ACTION_REMOVE_FROM_ORDER,
        Role.SHARED_FILTERS,
        Role.DOG_FOOD,  # its order holds nothing else
        lambda s: {k: v for k, v in _shown_order(s).items() if k != "expected_date"},
        lambda s: {
            "expected_order_id": s.next_order.order_id,
            "expected_subscriptions": [s.subscription_id],
        },
        lambda before, after: (
            _moved_on(before, after) and after.status == pb.SUBSCRIPTION_STATUS_ACTIVE
        ),
        "Order ",
        method="DELETE",
    ),
    Case(
        "issue_discount",
        "IssueDiscount",
        pb.ACTION_ISSUE_DISCOUNT,
        Role.DOG_FOOD,
        Role.CANCELLED_TOOTHBRUSH,
        lambda s: {
            "expected_order_id": s.next_order.order_id,
            "target": pb.DISCOUNT_TARGET_ORDER,
            "kind": pb.DISCOUNT_KIND_AMOUNT,
            "value": "5",
            "reason": "Late delivery",
        },
        lambda s: {
            "expected_order_id": "some-other-order",
            "target": pb.DISCOUNT_TARGET_ORDER,
            "kind": pb.DISCOUNT_KIND_AMOUNT,
            "value": "5",
            "reason": "Late delivery",
        },
        # Nothing of the subscription changes; the discount is checked by its own tests.
        lambda before, after: after.next_order.order_id == before.next_order.order_id,
        "Discounts on order ",
        method="POST",
    ),
    Case(
        "swap_product",
        "SwapProduct",
        pb.ACTION_SWAP_PRODUCT,
        Role.DOG_FOOD,
        Role.CANCELLED_TOOTHBRUSH,
        lambda s: {"product_id": DECAF, "expected_product_id": s.product.product_id},
        lambda s: {"product_id": DECAF, "expected_product_id": "some-other-product"},
        lambda before, after: after.product.product_id == DECAF and after.price != before.price,
        "Product: ",
    ),
    Case(
        "change_shipping_address",
        "ChangeShippingAddress",
        pb.ACTION_CHANGE_SHIPPING_ADDRESS,
        Role.DOG_FOOD,
        Role.CANCELLED_TOOTHBRUSH,
        lambda s: {"address_id": WORK, "expected_address_id": s.shipping_address.address_id},
        lambda s: {"address_id": WORK, "expected_address_id": DEMO_ADDRESS_IDS[AddressRole.OLD]},
        lambda before, after: after.shipping_address.address_id == WORK,
        "Ships to: ",
    ),
]
BY_NAME = {case.name: case for case in CASES}
STALE_CASES = [c for c in CASES if c.name != "reactivate"]  # reactivate's state: see its test


@pytest.fixture
def service_overrides(store_url: str) -> dict[str, Any]:
    return {"store_url": store_url}


async def card_of(service: ServiceHandle, role: Role) -> pb.Subscription:
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    )
    [card] = [s for s in answer.subscriptions if s.subscription_id == DEMO_SUBSCRIPTION_IDS[role]]
    return card


def call(service: ServiceHandle, case: Case, request: Any) -> Any:
    method: Callable[[Any], Any] = getattr(service.stub, case.rpc)
    return method(request)


WRITE_METHODS = ("PATCH", "POST", "DELETE")


async def writes(ordergroove: httpx.AsyncClient) -> list[str]:
    """Every write Ordergroove received, whatever its method."""
    return [row["path"] for m in WRITE_METHODS for row in await journal(ordergroove, m)]


ids = [case.name for case in CASES]


def test_every_known_action_has_a_case_a_proto_action_and_fits_the_store() -> None:
    assert set(KNOWN_ACTIONS) - {"cancel", "skip"} == set(BY_NAME)
    assert {Action(name) for name in KNOWN_ACTIONS} == set(Action)
    assert {case.action for case in CASES} <= set(_ACTION.values())
    for table in (schema.action_records, schema.audit_log):
        column = table.c.action.type
        assert isinstance(column, String) and column.length is not None
        assert all(len(action.value) <= column.length for action in Action), table.name


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_offered_only_when_it_applies(service: ServiceHandle, case: Case) -> None:
    assert case.action in (await card_of(service, case.subject)).available_actions
    assert case.action not in (await card_of(service, case.elsewhere)).available_actions


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_not_applicable_is_refused_without_a_write(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, case: Case
) -> None:
    elsewhere = await card_of(service, case.elsewhere)
    subject = await card_of(service, case.subject)
    # The subject's request, aimed at a subscription it does not apply to.
    request = case.request(elsewhere, str(uuid.uuid4()), case.ask(subject))
    failure = await fails(call(service, case, request))
    assert failure.code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT)
    assert await writes(ordergroove) == []


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_done_answers_the_state_read_back_with_timeline_and_audit(
    service: ServiceHandle,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    store_url: str,
    case: Case,
) -> None:
    before = await card_of(service, case.subject)
    answer = await call(service, case, case.request(before, str(uuid.uuid4()), case.ask(before)))
    assert case.holds(before, answer.subscription), answer.subscription
    assert case.holds(before, await card_of(service, case.subject))  # Ordergroove holds it
    assert answer.summary.startswith(case.says), answer.summary
    assert "→" in answer.summary and "agent-7" in answer.summary
    assert DEMO_CONVERSATION_ID in answer.summary
    assert len(await writes(ordergroove)) == 1
    await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))
    [entry] = await customer_timeline(gladly, GLADLY_CUSTOMER)
    assert entry["content"]["body"] == answer.summary
    [row] = await audit_rows(store_url)
    assert (row.action, row.outcome.value, row.who) == (case.name, "done", "agent:agent-7")
    assert row.subscription_id == before.subscription_id
    assert row.ordergroove_status == (201 if case.method == "POST" else 200)
    assert row.change and answer.summary.startswith(row.change)  # the same before → after


@pytest.mark.parametrize("case", STALE_CASES, ids=[c.name for c in STALE_CASES])
async def test_a_stale_form_is_refused_without_a_write(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, case: Case
) -> None:
    before = await card_of(service, case.subject)
    request = case.request(before, str(uuid.uuid4()), case.stale(before))
    failure = await fails(call(service, case, request))
    assert failure.reason in (Reason.STATE_CHANGED, Reason.NEXT_ORDER_CHANGED)
    assert "changed" in failure.message or "no longer" in failure.message
    assert await writes(ordergroove) == []
    assert await card_of(service, case.subject) == before


async def test_sending_now_an_order_that_moved_to_another_date_is_refused(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """The same order, no longer on the date the form showed (another agent, the customer):
    nothing is sent."""
    case = BY_NAME["send_now"]
    before = await card_of(service, case.subject)
    shown = {"expected_order_id": before.next_order.order_id, "expected_date": "2020-01-01"}
    failure = await fails(call(service, case, case.request(before, str(uuid.uuid4()), shown)))
    assert failure.reason == Reason.STATE_CHANGED
    assert before.next_order.place_date in failure.message
    assert await writes(ordergroove) == []


async def test_reactivating_a_subscription_reactivated_meanwhile_is_refused(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    case = BY_NAME["reactivate"]
    shown = await card_of(service, case.subject)
    await call(service, case, case.request(shown, str(uuid.uuid4()), case.ask(shown)))
    failure = await fails(
        call(service, case, case.request(shown, str(uuid.uuid4()), case.ask(shown)))
    )
    assert failure.reason == Reason.STATE_CHANGED and "already" not in failure.message
    assert len(await writes(ordergroove)) == 1


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_ordergroove_refusal_is_answered_in_its_words_and_kept(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, store_url: str, case: Case
) -> None:
    await add_fault(ordergroove, method=case.method, status=400, times=1)
    before = await card_of(service, case.subject)
    request = case.request(before, str(uuid.uuid4()), case.ask(before))
    failure = await fails(call(service, case, request))
    assert (failure.reason, failure.message) == (Reason.ORDERGROOVE_REJECTED, "Bad Request.")
    again = await fails(call(service, case, request))  # the refusal is the request's answer
    assert again.reason == Reason.ORDERGROOVE_REJECTED
    assert len(await writes(ordergroove)) == 1
    assert [(r.outcome.value, r.ordergroove_status) for r in await audit_rows(store_url)] == [
        ("refused", 400)
    ]


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_a_lost_answer_is_settled_by_reading_with_exactly_one_write(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, store_url: str, case: Case
) -> None:
    await add_fault(ordergroove, method=case.method, after=True, status=500, times=1)
    before = await card_of(service, case.subject)
    request = case.request(before, str(uuid.uuid4()), case.ask(before))
    failure = await fails(call(service, case, request))
    assert failure.reason == Reason.UPSTREAM_UNAVAILABLE
    answer = await call(service, case, request)
    assert case.holds(before, answer.subscription)
    assert answer.summary.startswith(case.says)
    assert len(await writes(ordergroove)) == 1
    rows = await audit_rows(store_url)
    assert [(r.outcome.value, r.ordergroove_status) for r in rows] == [
        ("failed", 500),
        ("reconciled", None),
    ]
    assert rows[1].change and answer.summary.startswith(rows[1].change)


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_a_write_that_did_not_happen_is_sent_once_more(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, case: Case
) -> None:
    await add_fault(ordergroove, method=case.method, status=500, times=1)  # before: not applied
    before = await card_of(service, case.subject)
    request = case.request(before, str(uuid.uuid4()), case.ask(before))
    await fails(call(service, case, request))
    answer = await call(service, case, request)
    assert case.holds(before, answer.subscription)
    assert len(await writes(ordergroove)) == 2


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_a_repeat_of_the_request_id_answers_the_first_outcome(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, case: Case
) -> None:
    before = await card_of(service, case.subject)
    request = case.request(before, str(uuid.uuid4()), case.ask(before))
    first = await call(service, case, request)
    repeat = await call(service, case, request)
    assert repeat == first
    assert len(await writes(ordergroove)) == 1


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_switched_off_is_neither_offered_nor_run(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient, case: Case
) -> None:
    others = frozenset(KNOWN_ACTIONS) - {case.name}
    settings = service_settings(ordergroove_url, gladly_url, actions_enabled=others)
    async with running_service(settings) as service:
        card = await card_of(service, case.subject)
        assert case.action not in card.available_actions
        request = case.request(card, str(uuid.uuid4()), case.ask(card))
        failure = await fails(call(service, case, request))
        assert failure.reason == Reason.ACTION_DISABLED
    assert await writes(ordergroove) == []


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_the_settler_settles_a_lost_answer_no_retry_came_for(
    ordergroove_url: str,
    gladly_url: str,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
    store_url: str,
    case: Case,
) -> None:
    settings = service_settings(
        ordergroove_url, gladly_url, store_url=store_url, settle_after_seconds=0.3
    )
    async with running_service(settings) as service:
        await add_fault(ordergroove, method=case.method, after=True, status=500, times=1)
        before = await card_of(service, case.subject)
        await fails(call(service, case, case.request(before, str(uuid.uuid4()), case.ask(before))))

        async def settled() -> list[str]:
            outcomes = [row.outcome.value for row in await audit_rows(store_url)]
            return outcomes if "reconciled" in outcomes else []

        await eventually(settled)
        await eventually(lambda: customer_timeline(gladly, GLADLY_CUSTOMER))
        [entry] = await customer_timeline(gladly, GLADLY_CUSTOMER)
        assert entry["content"]["body"].startswith(case.says)
    assert len(await writes(ordergroove)) == 1


def test_cases_are_distinct() -> None:
    assert len({dataclasses.astuple(c)[:3] for c in CASES}) == len(CASES)
