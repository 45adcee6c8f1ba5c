"""The catalogue's buttons through the gateway, as Gladly presses them: the button on the card,
its form showing the current state, the submission answered with what changed, and a form whose
state changed meanwhile refused with a clear message. One table of cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from common.config import DEFAULT_ORDERGROOVE_TIMEZONE
from gateway import card as card_module
from gateway.action_endpoints import SPECS, routes
from gateway.openapi import _document as document
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_PRODUCT_IDS,
    DEMO_SHARED_ORDER_ID,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)
from tests.stack import Json, button, card_of, error_of, open_form


@pytest.fixture
def gladly_url(unlimited_gladly_url: str) -> str:
    return unlimited_gladly_url  # a form and a card per step exceed 10 requests/second


@pytest.fixture
def service_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """None (tests/stack.py switches discounts on, capped at 25 and 20 %), unless a test gives
    its own (`indirect` parametrization)."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return overrides


# Two years: the furthest date the service takes by default (its dates are the merchant's).
MAX_DAYS = 730


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


async def _patch(ordergroove: httpx.AsyncClient, path: str, body: Json) -> None:
    response = await ordergroove.patch(path, json=body)
    assert response.status_code == 200, response.text


async def _skip_next(ordergroove: httpx.AsyncClient, subscription_id: str) -> None:
    page = await ordergroove.get("/orders/", params={"subscription": subscription_id, "status": 1})
    [order] = page.json()["results"]
    path = f"/orders/{order['public_id']}/skip_subscription/"
    await _patch(ordergroove, path, {"subscription": subscription_id})


async def _next_item(ordergroove: httpx.AsyncClient, subscription_id: str) -> Json:
    """The subscription's item in its next (unsent) order, as Ordergroove lists it."""
    page = await ordergroove.get("/orders/", params={"subscription": subscription_id, "status": 1})
    [order] = page.json()["results"]
    items = await ordergroove.get("/items/", params={"order": order["public_id"]})
    [item] = [i for i in items.json()["results"] if i["subscription"] == subscription_id]
    return dict(item)


async def _change_item_quantity(ordergroove: httpx.AsyncClient, subscription_id: str) -> None:
    item = await _next_item(ordergroove, subscription_id)
    await _patch(ordergroove, f"/items/{item['public_id']}/change_quantity/", {"quantity": 4})


async def _change_address(ordergroove: httpx.AsyncClient, subscription_id: str) -> None:
    """Ships to another of the customer's addresses (the customer on the website)."""
    subscription = (await ordergroove.get(f"/subscriptions/{subscription_id}/")).json()
    page = await ordergroove.get("/addresses/", params={"customer": DEMO_CUSTOMER_ID})
    other = next(
        a["public_id"]
        for a in page.json()["results"]
        if a["public_id"] != subscription["shipping_address"]
    )
    path = f"/subscriptions/{subscription_id}/change_shipping/"
    await _patch(ordergroove, path, {"shipping_address": other})


def _out_of_the_shared_order(before: Json, card: Json) -> bool:
    """Still active, and its items no longer in the order it shared."""
    return card["status"] == "ACTIVE" and card.get("nextOrderId") != DEMO_SHARED_ORDER_ID


def _option(form: Json, attr: str, *, current: bool = False) -> str:
    """The value of the first option of the form's select `attr` (not the current one)."""
    [select] = [section for section in form["sections"] if section.get("attr") == attr]
    options = select["input"]["options"]
    return str(next(o["value"] for o in options if current or not o["text"].endswith("(current)")))


@dataclass(frozen=True)
class Case:
    button: str
    subject: Role
    shows: str  # what the form's text says of the current state
    submit: Callable[[Json, Json], Json]  # the form's values, from the card and the form
    holds: Callable[[Json, Json], bool]  # the card before and after the submission
    # Changes the state behind the agent's back (another agent, the customer on the website).
    meanwhile: Callable[[httpx.AsyncClient, str], Awaitable[None]] | None


CASES = [
    Case(
        "Reactivate",
        Role.CANCELLED_WATER_FILTER,
        "again",
        lambda card, form: {"every": "2", "period": "month", "firstOrderDate": _in_days(8)},
        lambda _, card: card["status"] == "ACTIVE" and card["nextOrderDate"] == _in_days(8),
        None,
    ),
    Case(
        "Change Next Order Date",
        Role.DOG_FOOD,
        "is placed on",
        lambda card, form: {"orderDate": _in_days(30)},
        lambda _, card: card["nextOrderDate"] == _in_days(30),
        lambda og, sid: _patch(
            og, f"/subscriptions/{sid}/change_next_order_date/", {"order_date": _in_days(20)}
        ),
    ),
    Case(
        "Change Frequency",
        Role.DOG_FOOD,
        "ships now: every 6 weeks",
        lambda card, form: {"every": "5", "period": "week"},
        lambda _, card: card["frequency"] == "Every 5 weeks",
        lambda og, sid: _patch(
            og, f"/subscriptions/{sid}/change_frequency/", {"every": 2, "every_period": 3}
        ),
    ),
    Case(
        "Change Quantity",
        Role.DOG_FOOD,
        "Each order ships 1 of",
        lambda card, form: {"quantity": "3"},
        lambda _, card: card["quantity"] == "3",
        lambda og, sid: _patch(og, f"/subscriptions/{sid}/change_quantity/", {"quantity": 2}),
    ),
    Case(
        "Send Next Order Now",
        Role.DOG_FOOD,
        "Places the whole order",
        lambda card, form: {},
        # Sent (status 6): no longer the next order.
        lambda _, card: card.get("nextOrderId") != DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD],
        lambda og, sid: _skip_next(og, sid),
    ),
    Case(
        "Change Renewal",
        Role.PREPAID_PROTEIN,
        "renew automatically",
        lambda card, form: {"renewal": "downgrade"},
        lambda _, card: card["prepaidRenewalBehavior"] == "downgrade",
        lambda og, sid: _patch(
            og, f"/subscriptions/{sid}/change_renewal_behavior/", {"renewal_behavior": "cancel"}
        ),
    ),
    Case(
        "Cancel This Order",
        Role.SHARED_COFFEE,
        "Cancels the whole order",
        lambda card, form: {},
        # Cancelled: the subscription's items are in a new next order.
        _out_of_the_shared_order,
        # The filters leave the order: it no longer holds what the form listed.
        lambda og, sid: _skip_next(og, DEMO_SUBSCRIPTION_IDS[Role.SHARED_FILTERS]),
    ),
    Case(
        "Change Item Quantity",
        Role.DOG_FOOD,
        "ships 1 of",
        lambda card, form: {"quantity": "2"},
        # That order only: the subscription keeps its own quantity and its next order.
        lambda before, card: (
            card["quantity"] == before["quantity"] and card["nextOrderId"] == before["nextOrderId"]
        ),
        _change_item_quantity,
    ),
    Case(
        "Remove From Order",
        Role.SHARED_COFFEE,
        "Takes 2 of Ethiopian",
        lambda card, form: {},
        lambda _, card: (
            card["status"] == "ACTIVE" and card.get("nextOrderId") != DEMO_SHARED_ORDER_ID
        ),
        lambda og, sid: _skip_next(og, DEMO_SUBSCRIPTION_IDS[Role.SHARED_FILTERS]),
    ),
    Case(
        "Issue Discount",
        Role.DOG_FOOD,
        "A one-time discount on the next order",
        lambda card, form: {"target": "item", "kind": "amount", "value": "5", "reason": "Late"},
        lambda before, card: card["nextOrderId"] == before["nextOrderId"],
        _skip_next,
    ),
    Case(
        "Swap Product",
        Role.DOG_FOOD,
        "Ships Grain-Free Salmon Dog Food, 24 lb now, at 64.99 USD",
        lambda card, form: {"product": _option(form, "product")},
        lambda before, card: card["productId"] not in ("", before["productId"]),
        lambda og, sid: _patch(
            og,
            f"/subscriptions/{sid}/change_product/",
            {"product": DEMO_PRODUCT_IDS[Role.VITAMINS]},
        ),
    ),
    Case(
        "Change Shipping Address",
        Role.DOG_FOOD,
        "ships to",
        lambda card, form: {"address": _option(form, "address")},
        lambda before, card: card["shipsTo"] not in ("", before["shipsTo"]),
        _change_address,
    ),
]
ids = [case.button for case in CASES]
changing = [case for case in CASES if case.meanwhile]
# Cancel and Skip have their own tests (tests/test_gateway.py): they came before the catalogue.
TESTED_ELSEWHERE = {"Cancel Order", "Skip Next Order"}


def test_every_action_has_a_button_a_spec_routes_openapi_and_a_case() -> None:
    actions = set(pb.Action.values()) - {pb.ACTION_UNSPECIFIED}
    assert [button.action for button in card_module.BUTTONS] == [spec.action for spec in SPECS]
    assert {spec.action for spec in SPECS} == actions
    paths = {route.path for route in routes()}
    described = set(document()["paths"])
    for spec in SPECS:
        form = f"{card_module.SUBSCRIPTION_ROUTE}/{spec.segment}"
        action = f"{form}{spec.state_route}{card_module.SUBMISSION_ROUTE}"
        assert {form, action} <= paths & described, spec.segment
        assert hasattr(pb, f"{spec.rpc}Request") and hasattr(pb, f"{spec.rpc}Response")
    names = {button.name for button in card_module.BUTTONS}
    assert {case.button for case in CASES} == names - TESTED_ELSEWHERE


@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_the_button_opens_a_form_showing_the_state_and_its_submission_changes_it(
    gladly_caller: httpx.AsyncClient, case: Case
) -> None:
    card = await card_of(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject])
    form = await open_form(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject], case.button)
    assert case.shows in form["sections"][0]["text"], form
    response = await gladly_caller.post(form["actionUrl"], json=case.submit(card, form))
    assert response.status_code == 200, response.text
    assert "→" in response.json()["detail"]
    after = await card_of(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject])
    assert case.holds(card, after), after


@pytest.mark.parametrize("case", changing, ids=[case.button for case in changing])
async def test_a_form_whose_state_changed_meanwhile_is_refused(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient, case: Case
) -> None:
    card = await card_of(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject])
    form = await open_form(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject], case.button)
    assert case.meanwhile is not None
    await case.meanwhile(ordergroove, DEMO_SUBSCRIPTION_IDS[case.subject])
    response = await gladly_caller.post(form["actionUrl"], json=case.submit(card, form))
    error = error_of(response, 400)
    assert error["message"] in (
        "Changed since the form was opened",
        "Order already skipped or changed",
    )
    assert "changed" in error["detail"] or "no longer" in error["detail"]


async def test_a_bad_value_points_at_its_form_field(gladly_caller: httpx.AsyncClient) -> None:
    form = await open_form(gladly_caller, DEMO_SUBSCRIPTION_IDS[CASES[3].subject], CASES[3].button)
    response = await gladly_caller.post(form["actionUrl"], json={"quantity": "500"})
    error = error_of(response, 400)
    assert error["attr"] == "quantity" and "from 1 to 12" in error["detail"]


@pytest.mark.parametrize(
    ("role", "button", "attr"),
    [
        (Role.DOG_FOOD, "Change Next Order Date", "orderDate"),
        (Role.CANCELLED_WATER_FILTER, "Reactivate", "firstOrderDate"),
    ],
)
async def test_a_date_further_than_the_merchant_sets_is_refused(
    gladly_caller: httpx.AsyncClient, role: Role, button: str, attr: str
) -> None:
    """9999-12-31 was taken, after which every skip of that order failed as "Ordergroove is
    not available". The form's hint names the limit; the refusal, the last date allowed."""
    subscription = DEMO_SUBSCRIPTION_IDS[role]
    form = await open_form(gladly_caller, subscription, button)
    [date_input] = [section for section in form["sections"] if section.get("attr") == attr]
    assert f"at most {MAX_DAYS} days ahead" in date_input["hint"]
    latest = datetime.now(ZoneInfo(DEFAULT_ORDERGROOVE_TIMEZONE)).date() + timedelta(MAX_DAYS)
    frequency = {"every": "2", "period": "month"} if button == "Reactivate" else {}
    for too_far in ("9999-12-31", (latest + timedelta(days=1)).isoformat()):
        response = await gladly_caller.post(form["actionUrl"], json=frequency | {attr: too_far})
        error = error_of(response, 400)
        assert error["attr"] == attr and latest.isoformat() in error["detail"], error
    last = frequency | {attr: latest.isoformat()}
    response = await gladly_caller.post(form["actionUrl"], json=last)
    assert response.status_code == 200, response.text
    card = await card_of(gladly_caller, subscription)
    assert card["nextOrderDate"] == latest.isoformat()


def _form_url(role: Role, segment: str) -> str:
    """A button's form URL, as the card would link it, offered or not."""
    ref = card_module.SubscriptionRef(GLADLY_DEMO, DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS[role])
    return card_module.form_url(ref, segment)


@pytest.mark.parametrize(
    ("role", "segment", "title"),
    [
        # Ordergroove refuses to change a prepaid subscription's quantity, in an order too.
        (Role.PREPAID_PROTEIN, card_module.CHANGE_ITEM_QUANTITY, "Not available"),
        (Role.CANCELLED_WATER_FILTER, card_module.CANCEL_ORDER, "Nothing to cancel"),
        # The only item of its order: removing it would leave an empty order.
        (Role.DOG_FOOD, card_module.REMOVE_FROM_ORDER, "Nothing to remove"),
    ],
)
async def test_a_form_the_card_does_not_offer_is_refused_clearly(
    gladly_caller: httpx.AsyncClient, role: Role, segment: str, title: str
) -> None:
    card = await card_of(gladly_caller, DEMO_SUBSCRIPTION_IDS[role])
    assert segment not in {action["formUrl"].rsplit("/", 1)[1] for action in card["actions"]}
    error = error_of(await gladly_caller.get(_form_url(role, segment)), 400)
    assert error["message"] == title, error
    assert DEMO_SUBSCRIPTION_IDS[role] in error["detail"]


@pytest.mark.parametrize("service_overrides", [{"discounts_enabled": False}], indirect=True)
async def test_no_discount_is_offered_unless_the_merchant_switched_them_on(
    gladly_caller: httpx.AsyncClient,
) -> None:
    card = await card_of(gladly_caller, DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD])
    assert "Issue Discount" not in {action["name"] for action in card["actions"]}
    response = await gladly_caller.get(_form_url(Role.DOG_FOOD, card_module.ISSUE_DISCOUNT))
    assert error_of(response, 400)["message"] == "Not available"


@pytest.mark.parametrize(
    ("values", "attr", "says"),
    [
        ({"target": "order", "kind": "amount", "value": "5", "reason": ""}, "reason", "reason"),
        ({"target": "order", "kind": "amount", "value": "26", "reason": "Late"}, "value", "25"),
        ({"target": "item", "kind": "percent", "value": "21", "reason": "Late"}, "value", "20"),
        ({"target": "order", "kind": "amount", "value": "5.555", "reason": "Late"}, "value", ""),
        ({"target": "all", "kind": "amount", "value": "5", "reason": "Late"}, "target", ""),
        ({"target": "order", "kind": "gift", "value": "5", "reason": "Late"}, "kind", ""),
    ],
)
async def test_a_bad_discount_points_at_its_form_field(
    gladly_caller: httpx.AsyncClient, values: Json, attr: str, says: str
) -> None:
    form = await open_form(gladly_caller, DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD], "Issue Discount")
    attrs = {section.get("attr") for section in form["sections"]}
    assert {"target", "kind", "value", "reason"} <= attrs
    error = error_of(await gladly_caller.post(form["actionUrl"], json=values), 400)
    assert error["attr"] == attr and says in error["detail"], error


async def test_the_swap_form_prices_each_product_and_searches(
    gladly_caller: httpx.AsyncClient,
) -> None:
    dog_food = DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD]
    form = await open_form(gladly_caller, dog_food, "Swap Product")
    [select] = [section for section in form["sections"] if section.get("attr") == "product"]
    options = select["input"]["options"]
    assert options and all(" USD → " in o["text"] and o["text"].endswith(" USD") for o in options)
    assert all(o["text"].split(": ")[-1].startswith("64.99 USD → ") for o in options)
    assert DEMO_PRODUCT_IDS[Role.DOG_FOOD] not in {o["value"] for o in options}

    # The search is in the form URL, signed with it: only the products it names are offered.
    word = options[0]["text"].split()[0]
    url = await button(gladly_caller, dog_food, "Swap Product")
    response = await gladly_caller.get(f"{url}?{urlencode({'search': word})}")
    assert response.status_code == 200, response.text
    searched = response.json()
    assert f"“{word}”" in searched["sections"][0]["text"]
    [found] = [s for s in searched["sections"] if s.get("attr") == "product"]
    assert found["input"]["options"] and all(
        word.lower() in o["text"].lower() for o in found["input"]["options"]
    )
    unchosen = await gladly_caller.post(form["actionUrl"], json={"product": ""})
    assert error_of(unchosen, 400)["attr"] == "product"
    nothing = await gladly_caller.get(f"{url}?{urlencode({'search': 'Xylophone Zebra'})}")
    error = error_of(nothing, 400)
    assert error["message"] == "No product to swap to" and "Xylophone Zebra" in error["detail"]


async def test_the_card_and_the_address_form_name_where_it_ships(
    gladly_caller: httpx.AsyncClient,
) -> None:
    dog_food = DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD]
    card = await card_of(gladly_caller, dog_food)
    form = await open_form(gladly_caller, dog_food, "Change Shipping Address")
    assert f"ships to {card['shipsTo']}" in form["sections"][0]["text"] or (
        card["shipsTo"] in form["sections"][0]["text"]
    )
    [select] = [section for section in form["sections"] if section.get("attr") == "address"]
    options = select["input"]["options"]
    [current] = [o for o in options if o["text"].endswith("(current)")]
    assert card["shipsTo"] in current["text"] and len(options) >= 2
    # The address it has already: nothing to change, and the agent is shown where.
    refused = await gladly_caller.post(form["actionUrl"], json={"address": current["value"]})
    error = error_of(refused, 400)
    assert error["attr"] == "address" and "already" in error["detail"], error
