"""The Ordergroove sandbox's endpoints of the newer agent actions, over real HTTP: cancel one
order, change or remove one item, a one-time discount, swap the product, change the shipping
address, read addresses, and the products a swap may offer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest

from services.ordergroove_sandbox.app import create_app
from services.ordergroove_sandbox.dates import DAYS, MONTHS, WEEKS, add_frequency, parse_timestamp
from services.ordergroove_sandbox.demo import (
    DEMO_ADDRESS_IDS,
    DEMO_CATALOGUE_PRODUCT_IDS,
    DEMO_CUSTOMER_ID,
    DEMO_MERCHANT_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_PAST_ORDER_ID,
    DEMO_PRODUCT_IDS,
    DEMO_SHARED_ORDER_ID,
    DEMO_SUBSCRIPTION_IDS,
    OTHER_CUSTOMER_ID,
    SHARED_ROLES,
    SWAPPABLE,
    AddressRole,
    Catalogue,
    Role,
)
from tests.servers import serve_asgi_built
from tests.stack import seed_customer

API_KEY = "test-key"
Json = dict[str, Any]
NOT_FOUND = {"detail": "Not found."}
ALREADY_CANCELLED = {"detail": "Order is already cancelled"}
NOT_EDITABLE = {"detail": "This subscription is not in a state which it can edited"}
# ENDPOINTS.md, changeItemQuantity: the item's fields.
ITEM_KEYS = {
    "public_id",
    "order",
    "subscription",
    "offer",
    "product",
    "quantity",
    "price",
    "total_price",
    "extra_cost",
    "one_time",
    "frozen",
    "order_updated",
    "first_placed",
}
# Recorded getShippingAddress/successful_response, key for key.
ADDRESS_KEYS = {
    "customer",
    "public_id",
    "label",
    "first_name",
    "last_name",
    "company_name",
    "address",
    "address2",
    "city",
    "state_province_code",
    "zip_postal_code",
    "phone",
    "fax",
    "country_code",
    "live",
    "created",
    "updated",
    "token_id",
    "store_public_id",
}
# 03:30 UTC on 15 January 2031: 21:30 on the 14th in Ordergroove's zone.
PINNED = datetime(2031, 1, 15, 3, 30, tzinfo=UTC)


@asynccontextmanager
async def sandbox(moments: list[datetime] | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh sandbox; given `moments`, its clock reads the last one (append to move it)."""
    build = partial(create_app, api_key=API_KEY)
    if moments is not None:
        build = partial(build, instant=lambda: moments[-1])
    async with (
        serve_asgi_built(lambda url: build(public_url=url)) as base_url,
        httpx.AsyncClient(base_url=base_url, headers={"x-api-key": API_KEY}, timeout=5) as c,
    ):
        yield c


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with sandbox() as c:
        yield c


def sub_id(role: Role) -> str:
    return DEMO_SUBSCRIPTION_IDS[role]


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> Json:
    response = await client.get(path, params=params or None)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def results(client: httpx.AsyncClient, path: str, **params: Any) -> list[Json]:
    rows: list[Json] = (await get_json(client, path, page_size=100, **params))["results"]
    return rows


async def items_of(client: httpx.AsyncClient, order: str) -> list[Json]:
    return await results(client, "/items/", order=order)


async def item_of(client: httpx.AsyncClient, order: str, role: Role) -> Json:
    [item] = [i for i in await items_of(client, order) if i["subscription"] == sub_id(role)]
    return item


async def unsent_orders(client: httpx.AsyncClient, role: Role) -> list[Json]:
    return await results(client, "/orders/", subscription=sub_id(role), status=1)


async def add_fault(client: httpx.AsyncClient, **rule: Any) -> None:
    response = await client.post("/_sandbox/faults", json=rule)
    assert response.status_code == 201, response.text


async def cancel_order(client: httpx.AsyncClient, order: str) -> Json:
    response = await client.patch(f"/orders/{order}/cancel/")
    assert response.status_code == 200, response.text
    cancelled: Json = response.json()
    return cancelled


async def an_order_cancelled(client: httpx.AsyncClient, role: Role) -> str:
    """The role's own next order, cancelled."""
    order = DEMO_NEXT_ORDER_IDS[role]
    await cancel_order(client, order)
    return order


# --- cancel one order --------------------------------------------------------------------------


async def test_cancelling_an_order_cancels_it_and_generates_the_next_one() -> None:
    async with sandbox([PINNED]) as client:
        order = DEMO_NEXT_ORDER_IDS[Role.SHAMPOO]
        before = await get_json(client, f"/orders/{order}/")
        answered = await cancel_order(client, order)
        # Recorded cancelOrder/success: the order, CANCELLED (4).
        assert (answered["public_id"], answered["status"]) == (order, 4)
        assert answered["cancelled"] == answered["updated"] == "2031-01-14 21:30:00"
        assert await get_json(client, f"/orders/{order}/") == answered
        # The cancelled order keeps what it held.
        assert answered["sub_total"] == before["sub_total"]
        assert [i["subscription"] for i in await items_of(client, order)] == [sub_id(Role.SHAMPOO)]
        # "The next order is generated": one frequency (45 days) later, as a skip places it.
        [following] = await unsent_orders(client, Role.SHAMPOO)
        expected = add_frequency(parse_timestamp(before["place"]), 45, DAYS)
        assert parse_timestamp(following["place"]) == expected
        [item] = await items_of(client, following["public_id"])
        assert (item["subscription"], item["quantity"]) == (sub_id(Role.SHAMPOO), 3)


async def test_cancelling_a_shared_order_gives_each_subscription_its_next_order(
    client: httpx.AsyncClient,
) -> None:
    place = parse_timestamp((await get_json(client, f"/orders/{DEMO_SHARED_ORDER_ID}/"))["place"])
    await cancel_order(client, DEMO_SHARED_ORDER_ID)
    frequencies = {
        Role.SHARED_COFFEE: (1, MONTHS),
        Role.SHARED_FILTERS: (2, MONTHS),
        Role.SHARED_OAT_MILK: (4, WEEKS),
    }
    for role, (every, period) in frequencies.items():
        [following] = await unsent_orders(client, role)
        assert parse_timestamp(following["place"]) == add_frequency(place, every, period)
    assert len(await items_of(client, DEMO_SHARED_ORDER_ID)) == 3


async def test_cancelling_an_order_refuses_as_ordergroove_does(client: httpx.AsyncClient) -> None:
    order = await an_order_cancelled(client, Role.VITAMINS)
    again = await client.patch(f"/orders/{order}/cancel/")
    # Recorded cancelOrder/rejected.
    assert (again.status_code, again.json()) == (400, ALREADY_CANCELLED)
    # Placed, or being placed: no longer open, 500 with an empty body (ENDPOINTS.md).
    sent = DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]
    assert (await client.patch(f"/orders/{sent}/send_now/")).status_code == 200
    for closed in (DEMO_PAST_ORDER_ID, sent):
        response = await client.patch(f"/orders/{closed}/cancel/")
        assert (response.status_code, response.content) == (500, b"")
        assert (await get_json(client, f"/orders/{closed}/"))["status"] in (5, 6)
    unknown = await client.patch("/orders/does-not-exist/cancel/")
    assert unknown.status_code == 404
    assert len(await unsent_orders(client, Role.DOG_FOOD)) == 0  # nothing generated


# --- change one item's quantity ----------------------------------------------------------------


async def test_changing_an_items_quantity_changes_that_item_only(
    client: httpx.AsyncClient,
) -> None:
    coffee = await item_of(client, DEMO_SHARED_ORDER_ID, Role.SHARED_COFFEE)
    quantities = {
        i["public_id"]: i["quantity"] for i in await items_of(client, DEMO_SHARED_ORDER_ID)
    }
    response = await client.patch(
        f"/items/{coffee['public_id']}/change_quantity/", json={"quantity": 5}
    )
    assert response.status_code == 200, response.text
    answered = response.json()
    assert set(answered) >= ITEM_KEYS
    assert (answered["public_id"], answered["quantity"]) == (coffee["public_id"], 5)
    assert (answered["price"], answered["total_price"]) == ("18.50", "92.50")
    assert await get_json(client, f"/items/{coffee['public_id']}/") == answered
    # The subscription keeps its quantity; the other items are untouched.
    subscription = await get_json(client, f"/subscriptions/{sub_id(Role.SHARED_COFFEE)}/")
    assert subscription["quantity"] == 2
    after = {i["public_id"]: i["quantity"] for i in await items_of(client, DEMO_SHARED_ORDER_ID)}
    assert after == {**quantities, coffee["public_id"]: 5}
    order = await get_json(client, f"/orders/{DEMO_SHARED_ORDER_ID}/")
    assert order["sub_total"] == "120.49"  # 5 x 18.50 + 6.99 + 21.00


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"quantity": ["This field is required."]}),
        ({"quantity": 0}, {"quantity": ["Ensure this value is greater than or equal to 1."]}),
        ({"quantity": "abc"}, {"quantity": ["A valid integer is required."]}),
        ({"quantity": 1.5}, {"quantity": ["A valid integer is required."]}),
    ],
)
async def test_an_items_quantity_must_be_a_whole_number_from_one(
    client: httpx.AsyncClient, body: Json, expected: Json
) -> None:
    coffee = await item_of(client, DEMO_SHARED_ORDER_ID, Role.SHARED_COFFEE)
    response = await client.patch(f"/items/{coffee['public_id']}/change_quantity/", json=body)
    assert (response.status_code, response.json()) == (400, expected)
    assert (await get_json(client, f"/items/{coffee['public_id']}/"))["quantity"] == 2


async def test_changing_an_items_quantity_refuses_as_ordergroove_does(
    client: httpx.AsyncClient,
) -> None:
    prepaid = await item_of(client, DEMO_NEXT_ORDER_IDS[Role.PREPAID_TEA], Role.PREPAID_TEA)
    placed = await item_of(client, DEMO_PAST_ORDER_ID, Role.SHARED_COFFEE)
    cancelled = await item_of(client, await an_order_cancelled(client, Role.SHAMPOO), Role.SHAMPOO)
    cases = [
        (
            prepaid,
            400,
            {"detail": "The quantity of a prepaid subscription's item cannot be changed."},
        ),
        (cancelled, 400, ALREADY_CANCELLED),  # recorded changeItemQuantity/rejected
    ]
    for item, status, body in cases:
        response = await client.patch(
            f"/items/{item['public_id']}/change_quantity/", json={"quantity": 4}
        )
        assert (response.status_code, response.json()) == (status, body)
        assert (await get_json(client, f"/items/{item['public_id']}/")) == item
    no_longer_open = await client.patch(
        f"/items/{placed['public_id']}/change_quantity/", json={"quantity": 4}
    )
    assert (no_longer_open.status_code, no_longer_open.content) == (500, b"")
    unknown = await client.patch("/items/does-not-exist/change_quantity/", json={"quantity": 4})
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)


# --- remove an item from its order -------------------------------------------------------------


async def test_removing_an_item_answers_an_empty_200_and_leaves_the_others(
    client: httpx.AsyncClient,
) -> None:
    coffee = await item_of(client, DEMO_SHARED_ORDER_ID, Role.SHARED_COFFEE)
    response = await client.delete(f"/items/{coffee['public_id']}/delete/")
    # Recorded deleteOrderItem/success: 200, body "".
    assert (response.status_code, response.content) == (200, b"")
    assert (await client.get(f"/items/{coffee['public_id']}/")).status_code == 404
    remaining = {i["subscription"] for i in await items_of(client, DEMO_SHARED_ORDER_ID)}
    assert remaining == {sub_id(Role.SHARED_FILTERS), sub_id(Role.SHARED_OAT_MILK)}
    order = await get_json(client, f"/orders/{DEMO_SHARED_ORDER_ID}/")
    assert (order["status"], order["sub_total"]) == (1, "27.99")
    # The subscription itself runs on.
    assert (await get_json(client, f"/subscriptions/{sub_id(Role.SHARED_COFFEE)}/"))["live"]


async def test_removing_the_last_item_cancels_the_order(client: httpx.AsyncClient) -> None:
    order = DEMO_NEXT_ORDER_IDS[Role.SHAMPOO]
    item = await item_of(client, order, Role.SHAMPOO)
    assert (await client.delete(f"/items/{item['public_id']}/delete/")).status_code == 200
    emptied = await get_json(client, f"/orders/{order}/")
    assert (emptied["status"], emptied["cancelled"] is not None) == (4, True)


async def test_removing_an_item_refuses_as_ordergroove_does(client: httpx.AsyncClient) -> None:
    prepaid = await item_of(client, DEMO_NEXT_ORDER_IDS[Role.PREPAID_PROTEIN], Role.PREPAID_PROTEIN)
    refused = await client.delete(f"/items/{prepaid['public_id']}/delete/")
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "Prepaid items cannot be removed"},
    )
    cancelled = await item_of(
        client, await an_order_cancelled(client, Role.VITAMINS), Role.VITAMINS
    )
    rejected = await client.delete(f"/items/{cancelled['public_id']}/delete/")
    assert (rejected.status_code, rejected.json()) == (400, ALREADY_CANCELLED)
    placed = await item_of(client, DEMO_PAST_ORDER_ID, Role.SHARED_FILTERS)
    closed = await client.delete(f"/items/{placed['public_id']}/delete/")
    assert (closed.status_code, closed.content) == (500, b"")
    for item in (prepaid, cancelled, placed):
        assert (await client.get(f"/items/{item['public_id']}/")).status_code == 200
    unknown = await client.delete("/items/does-not-exist/delete/")
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    wrong_method = await client.get(f"/items/{prepaid['public_id']}/delete/")
    assert wrong_method.status_code == 405


# --- one-time incentives -----------------------------------------------------------------------


def discount(**target: str) -> Json:
    """A body as Gladly's app sends it (recorded issueOneTimeDiscount/success)."""
    on_item = "item" in target
    return {
        "merchant": DEMO_MERCHANT_ID,
        "customer": DEMO_CUSTOMER_ID,
        **target,
        "incentive": {
            "name": "Late delivery goodwill",
            "discount_type": "Discount Amount",
            "value": "5",
            "field": "total_price" if on_item else "sub_total",
            "type": "Discount",
            "target": "item" if on_item else "order",
        },
    }


def with_incentive(body: Json, **changes: Any) -> Json:
    return {**body, "incentive": {**body["incentive"], **changes}}


async def issue(client: httpx.AsyncClient, body: Json) -> httpx.Response:
    return await client.post("/one_time_incentives/create/", json=body)


async def test_a_discount_on_an_item_is_created_and_listed() -> None:
    async with sandbox([PINNED]) as client:
        coffee = await item_of(client, DEMO_SHARED_ORDER_ID, Role.SHARED_COFFEE)
        body = {
            **discount(item=coffee["public_id"]),
            "description": 'Agent note: "crushed box".\nC:\\claims',
            "external_code": "GLADLY-1",
        }
        response = await issue(client, body)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created == {
            "public_id": created["public_id"],
            "external_code": "GLADLY-1",
            "description": body["description"],
            "merchant": DEMO_MERCHANT_ID,
            "customer": DEMO_CUSTOMER_ID,
            "item": coffee["public_id"],
            "order": None,
            "created": "2031-01-14 21:30:00",
            "last_updated": "2031-01-14 21:30:00",
            "incentive": {**body["incentive"], "limit_policy": None, "limit_value": None},
        }
        assert len(created["public_id"]) == 32
        assert await results(client, "/one_time_incentives/", customer=DEMO_CUSTOMER_ID) == [
            created
        ]
        for name, value in (("item", coffee["public_id"]), ("external_code", "GLADLY-1")):
            assert await results(client, "/one_time_incentives/", **{name: value}) == [created]
        assert await results(client, "/one_time_incentives/", customer=OTHER_CUSTOMER_ID) == []


async def test_a_discount_on_an_order_and_the_lists_filters(client: httpx.AsyncClient) -> None:
    percent = with_incentive(
        discount(order=DEMO_SHARED_ORDER_ID), discount_type="Discount Percent", value="7.50"
    )
    on_order = await issue(client, percent)
    assert on_order.status_code == 201, on_order.text
    assert (on_order.json()["order"], on_order.json()["item"]) == (DEMO_SHARED_ORDER_ID, None)
    assert on_order.json()["incentive"]["value"] == "7.50"
    vitamins = await item_of(client, DEMO_NEXT_ORDER_IDS[Role.VITAMINS], Role.VITAMINS)
    assert (await issue(client, discount(item=vitamins["public_id"]))).status_code == 201
    by_order = await results(client, "/one_time_incentives/", order=DEMO_SHARED_ORDER_ID)
    assert [r["public_id"] for r in by_order] == [on_order.json()["public_id"]]
    page = await get_json(client, "/one_time_incentives/", customer=DEMO_CUSTOMER_ID, page_size=1)
    assert (page["count"], len(page["results"]), page["next"] is not None) == (2, 1, True)


BAD_DISCOUNTS: list[tuple[Json, Json]] = [
    (
        discount(item="x", order=DEMO_SHARED_ORDER_ID),
        {"non_field_errors": ["Send either an item or an order."]},
    ),
    (
        {**discount(order="x"), "order": None},
        {"non_field_errors": ["Send either an item or an order."]},
    ),
    (
        with_incentive(discount(order=DEMO_SHARED_ORDER_ID), value="abc"),
        {"incentive": {"value": ["A valid number is required."]}},
    ),
    (
        with_incentive(discount(order=DEMO_SHARED_ORDER_ID), value="0"),
        {"incentive": {"value": ["Ensure this value is greater than or equal to 0.01."]}},
    ),
    (
        with_incentive(discount(order=DEMO_SHARED_ORDER_ID), value="5.005"),
        {"incentive": {"value": ["Ensure that there are no more than 2 decimal places."]}},
    ),
    (
        with_incentive(
            discount(order=DEMO_SHARED_ORDER_ID), discount_type="Discount Percent", value="120"
        ),
        {"incentive": {"value": ["Ensure this value is less than or equal to 100."]}},
    ),
    (
        with_incentive(discount(order=DEMO_SHARED_ORDER_ID), discount_type="freebie"),
        {"incentive": {"discount_type": ['"freebie" is not a valid choice.']}},
    ),
    (
        {**discount(order=DEMO_SHARED_ORDER_ID), "merchant": "another-merchant"},
        {"merchant": ['Invalid pk "another-merchant" - object does not exist.']},
    ),
    (
        {key: v for key, v in discount(order=DEMO_SHARED_ORDER_ID).items() if key != "incentive"},
        {"incentive": ["This field is required."]},
    ),
]


@pytest.mark.parametrize(("body", "expected"), BAD_DISCOUNTS)
async def test_a_bad_discount_is_refused_field_by_field(
    client: httpx.AsyncClient, body: Json, expected: Json
) -> None:
    response = await issue(client, body)
    assert (response.status_code, response.json()) == (400, expected)
    assert await results(client, "/one_time_incentives/") == []


async def test_a_discount_on_what_is_unknown_or_not_the_customers_is_404(
    client: httpx.AsyncClient,
) -> None:
    other_item = await item_of(
        client, DEMO_NEXT_ORDER_IDS[Role.OTHER_COLD_BREW], Role.OTHER_COLD_BREW
    )
    bodies = [
        {**discount(order=DEMO_SHARED_ORDER_ID), "customer": "no-such-customer"},
        discount(order="no-such-order"),
        discount(item="no-such-item"),
        discount(item=other_item["public_id"]),
        discount(order=DEMO_NEXT_ORDER_IDS[Role.OTHER_ALMONDS]),
    ]
    for body in bodies:
        response = await issue(client, body)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), body
    assert await results(client, "/one_time_incentives/") == []


async def test_a_discount_on_an_order_no_longer_open_is_refused(
    client: httpx.AsyncClient,
) -> None:
    placed = await issue(client, discount(order=DEMO_PAST_ORDER_ID))
    assert (placed.status_code, placed.json()) == (
        400,
        {"detail": "One time incentives can only be added to unsent orders."},
    )
    cancelled = await an_order_cancelled(client, Role.SHAMPOO)
    item = await item_of(client, cancelled, Role.SHAMPOO)
    for body in (discount(order=cancelled), discount(item=item["public_id"])):
        response = await issue(client, body)
        assert (response.status_code, response.json()) == (400, ALREADY_CANCELLED)


# --- swap the product --------------------------------------------------------------------------


async def test_swapping_the_product_takes_its_price_and_changes_the_unsent_items() -> None:
    moments = [PINNED]
    async with sandbox(moments) as client:
        shampoo, lavender = (
            sub_id(Role.SHAMPOO),
            DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.LAVENDER_SHAMPOO],
        )
        moments.append(PINNED + timedelta(minutes=5))
        response = await client.patch(
            f"/subscriptions/{shampoo}/change_product/", json={"product": lavender}
        )
        assert response.status_code == 200, response.text
        swapped = response.json()
        assert (swapped["product"], swapped["price"]) == (lavender, "13.50")
        assert swapped["updated"] == "2031-01-14 21:35:00"
        assert await get_json(client, f"/subscriptions/{shampoo}/") == swapped
        upcoming = await item_of(client, DEMO_NEXT_ORDER_IDS[Role.SHAMPOO], Role.SHAMPOO)
        assert (upcoming["product"], upcoming["price"], upcoming["quantity"]) == (
            lavender,
            "13.50",
            3,
        )
        history = await results(client, "/orders/", subscription=shampoo, status=5)
        [delivered] = await items_of(client, history[0]["public_id"])
        assert (delivered["product"], delivered["price"]) == (
            DEMO_PRODUCT_IDS[Role.SHAMPOO],
            "12.00",
        )


async def test_a_prepaid_swap_keeps_the_price(client: httpx.AsyncClient) -> None:
    decaf = DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.DECAF_COFFEE]
    tea = sub_id(Role.PREPAID_TEA)
    response = await client.patch(f"/subscriptions/{tea}/change_product/", json={"product": decaf})
    assert response.status_code == 200, response.text
    # Reference: "prepaid: same price".
    assert (response.json()["product"], response.json()["price"]) == (decaf, "9.49")
    item = await item_of(client, DEMO_NEXT_ORDER_IDS[Role.PREPAID_TEA], Role.PREPAID_TEA)
    assert (item["product"], item["price"]) == (decaf, "9.49")


@pytest.mark.parametrize(
    ("role", "body", "expected"),
    [
        (
            Role.CANCELLED_TOOTHBRUSH,
            {"product": DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.DECAF_COFFEE]},
            NOT_EDITABLE,
        ),
        (Role.SHAMPOO, {}, {"product": ["This field is required."]}),
        (
            Role.SHAMPOO,
            {"product": "no-such-product"},
            {"product": ['Invalid pk "no-such-product" - object does not exist.']},
        ),
        (
            Role.SHAMPOO,
            {"product": DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.GRINDER]},
            {"product": ["This product is not available for autoship."]},
        ),
        (
            Role.SHAMPOO,
            {"product": DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.PUMPKIN_COFFEE]},
            {"product": ["This product is discontinued."]},
        ),
    ],
)
async def test_a_swap_refuses_as_documented(
    client: httpx.AsyncClient, role: Role, body: Json, expected: Json
) -> None:
    path = f"/subscriptions/{sub_id(role)}/"
    before = await get_json(client, path)
    response = await client.patch(f"{path}change_product/", json=body)
    assert (response.status_code, response.json()) == (400, expected)
    assert await get_json(client, path) == before


# --- change the shipping address ---------------------------------------------------------------


async def test_changing_the_shipping_address_names_another_of_the_customers() -> None:
    moments = [PINNED]
    async with sandbox(moments) as client:
        vitamins, work = sub_id(Role.VITAMINS), DEMO_ADDRESS_IDS[AddressRole.WORK]
        before = await get_json(client, f"/subscriptions/{vitamins}/")
        assert before["shipping_address"] == DEMO_ADDRESS_IDS[AddressRole.HOME]
        moments.append(PINNED + timedelta(minutes=1))
        response = await client.patch(
            f"/subscriptions/{vitamins}/change_shipping/", json={"shipping_address": work}
        )
        assert response.status_code == 200, response.text
        assert response.json()["shipping_address"] == work
        assert response.json()["updated"] == "2031-01-14 21:31:00"
        assert await get_json(client, f"/subscriptions/{vitamins}/") == response.json()
        shipped_to = await get_json(client, f"/addresses/{work}/")
        assert (shipped_to["label"], shipped_to["city"]) == ("Work", "Chicago")
        # The others keep theirs.
        shampoo = await get_json(client, f"/subscriptions/{sub_id(Role.SHAMPOO)}/")
        assert shampoo["shipping_address"] == DEMO_ADDRESS_IDS[AddressRole.HOME]


@pytest.mark.parametrize(
    ("role", "address", "expected"),
    [
        (Role.CANCELLED_TOOTHBRUSH, DEMO_ADDRESS_IDS[AddressRole.WORK], NOT_EDITABLE),
        (Role.VITAMINS, "", {"shipping_address": ["This field is required."]}),
        *(
            (
                Role.VITAMINS,
                address,
                {"shipping_address": [f'Invalid pk "{address}" - object does not exist.']},
            )
            for address in (
                "no-such-address",
                DEMO_ADDRESS_IDS[AddressRole.OLD],  # no longer live
                DEMO_ADDRESS_IDS[AddressRole.OTHER_HOME],  # an address of another customer
            )
        ),
    ],
)
async def test_changing_the_shipping_address_refuses_what_is_not_the_customers(
    client: httpx.AsyncClient, role: Role, address: str, expected: Json
) -> None:
    path = f"/subscriptions/{sub_id(role)}/"
    before = await get_json(client, path)
    response = await client.patch(f"{path}change_shipping/", json={"shipping_address": address})
    assert (response.status_code, response.json()) == (400, expected)
    assert await get_json(client, path) == before


# --- addresses ---------------------------------------------------------------------------------


async def test_an_address_is_read_with_the_recorded_shape(client: httpx.AsyncClient) -> None:
    home = await get_json(client, f"/addresses/{DEMO_ADDRESS_IDS[AddressRole.HOME]}/")
    assert set(home) == ADDRESS_KEYS
    assert (home["customer"], home["label"], home["live"]) == (DEMO_CUSTOMER_ID, "Home", True)
    assert (home["first_name"], home["country_code"], home["token_id"]) == ("Dana", "US", None)
    unknown = await client.get("/addresses/does-not-exist/")
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)


async def test_every_subscription_ships_to_an_address_that_can_be_read(
    client: httpx.AsyncClient,
) -> None:
    seeded = await seed_customer(
        client, merchant_user_id="seeded", email="seeded@example.com", count=1
    )
    for customer in (DEMO_CUSTOMER_ID, OTHER_CUSTOMER_ID, "seeded"):
        for subscription in await results(client, "/subscriptions/", customer=customer):
            address = await get_json(client, f"/addresses/{subscription['shipping_address']}/")
            assert (address["customer"], address["live"]) == (customer, True)
    assert seeded["subscriptions"]


async def test_the_address_list_filters_by_customer_and_live(client: httpx.AsyncClient) -> None:
    ids = DEMO_ADDRESS_IDS

    async def listed(**params: str) -> set[str]:
        return {a["public_id"] for a in await results(client, "/addresses/", **params)}

    mine = {ids[AddressRole.HOME], ids[AddressRole.WORK], ids[AddressRole.OLD]}
    assert await listed(customer=DEMO_CUSTOMER_ID) == mine
    assert await listed(customer=DEMO_CUSTOMER_ID, live="true") == mine - {ids[AddressRole.OLD]}
    assert await listed(customer=DEMO_CUSTOMER_ID, live="False") == {ids[AddressRole.OLD]}
    assert await listed(customer=OTHER_CUSTOMER_ID) == {ids[AddressRole.OTHER_HOME]}
    assert await listed() == set(ids.values())
    page = await get_json(client, "/addresses/", customer=DEMO_CUSTOMER_ID, page_size=2)
    assert (page["count"], len(page["results"]), page["next"] is not None) == (3, 2, True)
    bad = await client.get("/addresses/", params={"live": "maybe"})
    assert bad.status_code == 400


# --- products a swap can offer -----------------------------------------------------------------


async def listed_products(client: httpx.AsyncClient, *params: tuple[str, str]) -> set[str]:
    response = await client.get("/products/", params=[("page_size", "100"), *params])
    assert response.status_code == 200, response.text
    return {p["external_product_id"] for p in response.json()["results"]}


async def test_the_product_list_holds_the_autoship_enabled_and_not_discontinued(
    client: httpx.AsyncClient,
) -> None:
    grinder = DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.GRINDER]
    pumpkin = DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.PUMPKIN_COFFEE]
    listed = await listed_products(client)
    offered = {DEMO_CATALOGUE_PRODUCT_IDS[c] for c in SWAPPABLE}
    assert listed == set(DEMO_PRODUCT_IDS.values()) | offered
    # Ordergroove docs, Products List: `autoship_enabled` "all" or "false", `allow_discontinued`.
    assert grinder in await listed_products(client, ("autoship_enabled", "all"))
    assert await listed_products(client, ("autoship_enabled", "false")) == {grinder}
    assert pumpkin in await listed_products(client, ("allow_discontinued", "true"))
    # Read by id, as the service reads the products of a card: the list's rule holds.
    by_id = await listed_products(
        client, ("external_product_ids[]", grinder), ("external_product_ids[]", pumpkin)
    )
    assert by_id == set()
    # Each product is still there to read on its own.
    for pid, autoship, discontinued in ((grinder, False, False), (pumpkin, True, True)):
        product = await get_json(client, f"/products/{pid}/")
        assert (product["autoship_enabled"], product["discontinued"]) == (autoship, discontinued)
        assert product["live"] is True


async def test_the_product_list_searches_the_field_named(client: httpx.AsyncClient) -> None:
    decaf = DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.DECAF_COFFEE]
    assert await listed_products(client, ("search", "decaf"), ("fields", "name")) == {decaf}
    assert await listed_products(client, ("search", "cof-dec"), ("fields", "sku")) == {decaf}
    assert await listed_products(client, ("search", "decaf"), ("fields", "sku")) == set()
    by_id = await listed_products(client, ("search", decaf), ("fields", "external_product_id"))
    assert by_id == {decaf}
    # Without `fields`, any of the three.
    coffees = await listed_products(client, ("search", "coffee"))
    assert coffees == {decaf, DEMO_PRODUCT_IDS[Role.SHARED_COFFEE]}
    assert await listed_products(client, ("id_or_name", "DOG FOOD")) == {
        DEMO_PRODUCT_IDS[Role.DOG_FOOD],
        DEMO_CATALOGUE_PRODUCT_IDS[Catalogue.DOG_FOOD_LARGE],
    }
    bad = await client.get("/products/", params={"search": "x", "fields": "colour"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"fields": ["Select a valid choice. colour is not one of the available choices."]},
    )


async def test_the_swappable_products_are_priced_apart_from_the_subscribed(
    client: httpx.AsyncClient,
) -> None:
    prices = {}
    for pid in (*DEMO_PRODUCT_IDS.values(), *DEMO_CATALOGUE_PRODUCT_IDS.values()):
        prices[pid] = (await get_json(client, f"/products/{pid}/"))["price"]
    offered = {prices[DEMO_CATALOGUE_PRODUCT_IDS[c]] for c in SWAPPABLE}
    assert len(offered) == 3
    assert not offered & {prices[p] for p in DEMO_PRODUCT_IDS.values()}
    subscribed = {s["product"] for s in await results(client, "/subscriptions/")}
    assert not subscribed & set(DEMO_CATALOGUE_PRODUCT_IDS.values())


# --- the journal and faults meet the new writes -------------------------------------------------


async def test_the_journal_records_the_posts_and_deletes(client: httpx.AsyncClient) -> None:
    coffee = await item_of(client, DEMO_SHARED_ORDER_ID, Role.SHARED_COFFEE)
    await client.delete("/_sandbox/requests")
    body = discount(item=coffee["public_id"])
    assert (await issue(client, body)).status_code == 201
    assert (await client.delete(f"/items/{coffee['public_id']}/delete/")).status_code == 200
    journal = (await client.get("/_sandbox/requests")).json()
    assert [(e["method"], e["path"], e["outcome"]) for e in journal] == [
        ("POST", "/one_time_incentives/create/", 201),
        ("DELETE", f"/items/{coffee['public_id']}/delete/", 200),
    ]
    assert "Late delivery goodwill" in journal[0]["body"]


async def test_faults_apply_to_the_new_writes(client: httpx.AsyncClient) -> None:
    coffee = await item_of(client, DEMO_SHARED_ORDER_ID, Role.SHARED_COFFEE)
    await add_fault(client, method="DELETE", path="/items/", status=503, times=1)
    refused = await client.delete(f"/items/{coffee['public_id']}/delete/")
    assert refused.status_code == 503
    assert (await client.get(f"/items/{coffee['public_id']}/")).status_code == 200
    # An answer lost after the write: the discount exists though the client saw a 502.
    await add_fault(client, method="POST", status=502, after=True, times=1)
    lost = await issue(client, discount(item=coffee["public_id"]))
    assert lost.status_code == 502
    assert len(await results(client, "/one_time_incentives/", customer=DEMO_CUSTOMER_ID)) == 1
    await client.post("/_sandbox/reset")
    assert await results(client, "/one_time_incentives/") == []


# --- the demo data the actions need ------------------------------------------------------------


async def test_the_shared_order_holds_items_of_several_subscriptions(
    client: httpx.AsyncClient,
) -> None:
    held = await items_of(client, DEMO_SHARED_ORDER_ID)
    assert {i["subscription"] for i in held} == {sub_id(r) for r in SHARED_ROLES}


def test_the_demo_ids_of_items_addresses_and_products_are_stable() -> None:
    first, second = create_app().state.sandbox.store, create_app().state.sandbox.store
    assert list(first.items) == list(second.items)
    assert list(first.addresses) == list(DEMO_ADDRESS_IDS.values())
    assert set(DEMO_CATALOGUE_PRODUCT_IDS.values()) <= set(first.products)
    assert len({DEMO_MERCHANT_ID, *DEMO_ADDRESS_IDS.values()}) == 5
