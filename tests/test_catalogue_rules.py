"""The rules the order, item, goodwill, swap and address actions add to the shared table of
tests/test_catalogue.py, over real servers: the merchant's discount switch and caps, a discount
issued once and settled by listing, the products a swap may offer, the customer's addresses,
and the card's "Ships to"."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from services.actions_service.catalogue.issue_discount import issued_for
from services.actions_service.errors import Reason
from services.ordergroove_sandbox.demo import (
    DEMO_ADDRESS_IDS,
    DEMO_CATALOGUE_PRODUCT_IDS,
    DEMO_CUSTOMER_ID,
    SWAPPABLE,
    AddressRole,
    Catalogue,
    Role,
)
from tests.stack import (
    DISCOUNT_MAX_AMOUNT,
    DISCOUNT_MAX_PERCENT,
    ServiceHandle,
    add_fault,
    audit_rows,
    fails,
    running_service,
    seed_customer,
    service_settings,
)
from tests.test_catalogue import AGENT, BY_NAME, card_of, writes

DISCOUNT = BY_NAME["issue_discount"]


@pytest.fixture
def service_overrides(store_url: str) -> dict[str, Any]:
    return {"store_url": store_url}


def _discount(card: pb.Subscription, request_id: str, **fields: Any) -> pb.IssueDiscountRequest:
    request: pb.IssueDiscountRequest = DISCOUNT.request(
        card, request_id, {**DISCOUNT.ask(card), **fields}
    )
    return request


async def _discounts(ordergroove: httpx.AsyncClient) -> list[dict[str, Any]]:
    page = await ordergroove.get("/one_time_incentives/", params={"customer": DEMO_CUSTOMER_ID})
    rows: list[dict[str, Any]] = page.json()["results"]
    return rows


# --- discounts ---------------------------------------------------------------------------------


async def test_a_discount_names_its_request_and_is_issued_once(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    card = await card_of(service, Role.DOG_FOOD)
    request_id = str(uuid.uuid4())
    request = _discount(card, request_id, target=pb.DISCOUNT_TARGET_ITEM, value="7.50")
    answer = await service.stub.IssueDiscount(request)
    assert "7.50 USD off the item" in answer.summary
    [issued] = await _discounts(ordergroove)
    assert issued_for(request_id) in issued["description"]
    assert issued["incentive"]["value"] == "7.50"  # a string, as recorded
    assert issued["incentive"]["target"] == "item" and issued["item"]
    assert await service.stub.IssueDiscount(request) == answer  # a repeat issues nothing
    assert len(await _discounts(ordergroove)) == 1


async def test_a_lost_discount_answer_is_settled_by_listing_never_by_a_second_discount(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, store_url: str
) -> None:
    await add_fault(ordergroove, method="POST", after=True, status=500, times=1)
    card = await card_of(service, Role.DOG_FOOD)
    request = _discount(card, str(uuid.uuid4()))
    assert (await fails(service.stub.IssueDiscount(request))).reason == Reason.UPSTREAM_UNAVAILABLE
    await service.stub.IssueDiscount(request)
    assert len(await _discounts(ordergroove)) == 1
    assert [r.outcome.value for r in await audit_rows(store_url)] == ["failed", "reconciled"]


async def test_a_discount_says_what_the_order_held_when_it_was_given(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """The first discount's answer is lost; a second is given meanwhile; the first is then
    settled by listing. Each entry counts the discounts the order held right before its own
    write — not those given since."""
    await add_fault(ordergroove, method="POST", after=True, status=500, times=1)
    card = await card_of(service, Role.DOG_FOOD)
    first = _discount(card, str(uuid.uuid4()))
    await fails(service.stub.IssueDiscount(first))
    second = await service.stub.IssueDiscount(
        _discount(card, str(uuid.uuid4()), target=pb.DISCOUNT_TARGET_ITEM, value="10")
    )
    assert ": 1 discount → 1 discount and 10 USD off the item (Late delivery)" in second.summary
    settled = await service.stub.IssueDiscount(first)
    assert ": none → 5 USD off the whole order (Late delivery)" in settled.summary
    assert len(await _discounts(ordergroove)) == 2


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        # Just above the stack's caps (tests/stack.py).
        (pb.DISCOUNT_KIND_AMOUNT, str(DISCOUNT_MAX_AMOUNT + Decimal("0.01")), "value"),
        (pb.DISCOUNT_KIND_PERCENT, str(DISCOUNT_MAX_PERCENT + 1), "value"),
        (pb.DISCOUNT_KIND_AMOUNT, "abc", "value"),
        (pb.DISCOUNT_KIND_AMOUNT, "0", "value"),
        (pb.DISCOUNT_KIND_AMOUNT, "5.123", "value"),
        (pb.DISCOUNT_KIND_UNSPECIFIED, "5", "kind"),
    ],
)
async def test_a_discount_beyond_the_merchants_caps_is_refused_before_any_request(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, kind: int, value: str, field: str
) -> None:
    card = await card_of(service, Role.DOG_FOOD)
    request = _discount(card, str(uuid.uuid4()), kind=kind, value=value)
    failure = await fails(service.stub.IssueDiscount(request))
    assert failure.field_violations == [field], failure
    assert await writes(ordergroove) == []


async def test_no_cap_means_no_discount_of_that_kind(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    settings = service_settings(ordergroove_url, gladly_url, discount_max_percent=None)
    async with running_service(settings) as service:
        card = await card_of(service, Role.DOG_FOOD)
        request = _discount(card, str(uuid.uuid4()), kind=pb.DISCOUNT_KIND_PERCENT, value="5")
        failure = await fails(service.stub.IssueDiscount(request))
        assert failure.field_violations == ["kind"]
        assert "no maximum discount percentage" in failure.message
        # An amount within its cap is still given.
        within = str(DISCOUNT_MAX_AMOUNT)
        await service.stub.IssueDiscount(_discount(card, str(uuid.uuid4()), value=within))
    assert len(await writes(ordergroove)) == 1


async def test_discounts_switched_off_by_the_merchant_are_neither_offered_nor_run(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    settings = service_settings(ordergroove_url, gladly_url, discounts_enabled=False)
    async with running_service(settings) as service:
        card = await card_of(service, Role.DOG_FOOD)
        assert pb.ACTION_ISSUE_DISCOUNT not in card.available_actions
        failure = await fails(service.stub.IssueDiscount(_discount(card, str(uuid.uuid4()))))
        assert failure.reason == Reason.ACTION_DISABLED
    assert await writes(ordergroove) == []


# --- swaps -------------------------------------------------------------------------------------


async def test_a_swap_offers_the_live_autoship_products_with_their_prices(
    service: ServiceHandle,
) -> None:
    card = await card_of(service, Role.DOG_FOOD)
    answer = await service.stub.ListSwapProducts(
        pb.ListSwapProductsRequest(
            subscription_id=card.subscription_id, customer_id=DEMO_CUSTOMER_ID
        )
    )
    offered = {p.product.product_id for p in answer.products}
    assert {DEMO_CATALOGUE_PRODUCT_IDS[c] for c in SWAPPABLE} <= offered
    assert DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.GRINDER] not in offered  # not autoship-enabled
    assert DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.PUMPKIN_COFFEE] not in offered  # discontinued
    assert card.product.product_id not in offered
    assert all(p.price for p in answer.products)


async def test_a_swap_is_limited_to_the_merchants_swap_products(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    decaf = DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.DECAF_COFFEE]
    lavender = DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.LAVENDER_SHAMPOO]
    settings = service_settings(ordergroove_url, gladly_url, swap_products=frozenset({decaf}))
    async with running_service(settings) as service:
        card = await card_of(service, Role.DOG_FOOD)
        answer = await service.stub.ListSwapProducts(
            pb.ListSwapProductsRequest(
                subscription_id=card.subscription_id, customer_id=DEMO_CUSTOMER_ID
            )
        )
        assert [p.product.product_id for p in answer.products] == [decaf]
        request = BY_NAME["swap_product"].request(
            card,
            str(uuid.uuid4()),
            {"product_id": lavender, "expected_product_id": card.product.product_id},
        )
        failure = await fails(service.stub.SwapProduct(request))
        assert failure.field_violations == ["product_id"]
    assert await writes(ordergroove) == []


@pytest.mark.parametrize("product", [Catalogue.GRINDER, Catalogue.PUMPKIN_COFFEE])
async def test_a_product_not_offered_for_subscriptions_is_refused_without_a_write(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, product: Catalogue
) -> None:
    card = await card_of(service, Role.DOG_FOOD)
    ask = {
        "product_id": DEMO_CATALOGUE_PRODUCT_IDS[product],
        "expected_product_id": card.product.product_id,
    }
    request = BY_NAME["swap_product"].request(card, str(uuid.uuid4()), ask)
    failure = await fails(service.stub.SwapProduct(request))
    assert failure.reason == Reason.ORDERGROOVE_REJECTED
    assert await writes(ordergroove) == []


# --- addresses ---------------------------------------------------------------------------------


async def test_the_card_names_where_each_subscription_ships_and_the_customers_addresses(
    service: ServiceHandle,
) -> None:
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    )
    home, work = DEMO_ADDRESS_IDS[AddressRole.HOME], DEMO_ADDRESS_IDS[AddressRole.WORK]
    assert {a.address_id for a in answer.addresses} == {home, work}  # live ones only
    live = [s for s in answer.subscriptions if s.status == pb.SUBSCRIPTION_STATUS_ACTIVE]
    assert live and all(s.shipping_address.address_id == home for s in live)
    assert all(s.shipping_address.text for s in live)


@pytest.mark.parametrize("address", [AddressRole.OTHER_HOME, AddressRole.OLD])
async def test_an_address_not_the_customers_live_one_is_refused_without_a_write(
    service: ServiceHandle, ordergroove: httpx.AsyncClient, address: AddressRole
) -> None:
    card = await card_of(service, Role.DOG_FOOD)
    ask = {
        "address_id": DEMO_ADDRESS_IDS[address],
        "expected_address_id": card.shipping_address.address_id,
    }
    request = BY_NAME["change_shipping_address"].request(card, str(uuid.uuid4()), ask)
    failure = await fails(service.stub.ChangeShippingAddress(request))
    assert failure.reason == Reason.STATE_CHANGED
    assert await writes(ordergroove) == []


# --- item actions ------------------------------------------------------------------------------


async def test_removing_the_only_item_of_an_order_is_refused(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    card = await card_of(service, Role.DOG_FOOD)  # its next order holds nothing else
    assert pb.ACTION_REMOVE_FROM_ORDER not in card.available_actions
    request = pb.RemoveFromOrderRequest(
        subscription_id=card.subscription_id,
        customer_id=DEMO_CUSTOMER_ID,
        expected_order_id=card.next_order.order_id,
        request_id=str(uuid.uuid4()),
        context=AGENT,
    )
    failure = await fails(service.stub.RemoveFromOrder(request))
    assert failure.reason == Reason.STATE_CHANGED and "Skip" in failure.message
    assert await writes(ordergroove) == []


async def test_a_subscription_shipping_to_a_retired_address_is_named_by_its_id_and_moved(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    """The customer retired the address a subscription still ships to: the card names it by its
    id (no words: Ordergroove lists live addresses only), and the agent moves it to a live one."""
    seeded = await seed_customer(
        ordergroove,
        merchant_user_id="retired-home",
        email="retired-home@example.com",
        count=1,
        other_addresses=1,
        home_address_live=False,
    )
    home, other = seeded["addresses"]
    answer = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id="retired-home")
    )
    [card] = answer.subscriptions
    assert [a.address_id for a in answer.addresses] == [other]
    assert (card.shipping_address.address_id, card.shipping_address.text) == (home, "")
    assert pb.ACTION_CHANGE_SHIPPING_ADDRESS in card.available_actions
    moved = await service.stub.ChangeShippingAddress(
        pb.ChangeShippingAddressRequest(
            subscription_id=card.subscription_id,
            customer_id="retired-home",
            address_id=other,
            expected_address_id=home,
            request_id=str(uuid.uuid4()),
            context=AGENT,
        )
    )
    assert moved.subscription.shipping_address.address_id == other
    assert moved.summary.startswith(f"Ships to: address {home} → Address 2: ")
