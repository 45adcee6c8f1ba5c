"""The catalogue's buttons through the gateway, as Gladly presses them: the button on the card,
its form showing the current state, the submission answered with what changed, and a form whose
state changed meanwhile refused with a clear message. One table of cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from common.config import DEFAULT_ORDERGROOVE_TIMEZONE
from gateway import card as card_module
from gateway.action_endpoints import SPECS, routes
from gateway.openapi import _document as document
from services.ordergroove_sandbox.demo import DEMO_NEXT_ORDER_IDS, DEMO_SUBSCRIPTION_IDS, Role
from tests.stack import Json, card_of, error_of, open_form


@pytest.fixture
def gladly_url(unlimited_gladly_url: str) -> str:
    return unlimited_gladly_url  # a form and a card per step exceed 10 requests/second


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


@dataclass(frozen=True)
class Case:
    button: str
    subject: Role
    shows: str  # what the form's text says of the current state
    submit: Callable[[Json], Json]  # the form's values, from the card
    holds: Callable[[Json], bool]  # the card after the submission
    # Changes the state behind the agent's back (another agent, the customer on the website).
    meanwhile: Callable[[httpx.AsyncClient, str], Awaitable[None]] | None


CASES = [
    Case(
        "Reactivate",
        Role.CANCELLED_WATER_FILTER,
        "again",
        lambda card: {"every": "2", "period": "month", "firstOrderDate": _in_days(8)},
        lambda card: card["status"] == "ACTIVE" and card["nextOrderDate"] == _in_days(8),
        None,
    ),
    Case(
        "Change Next Order Date",
        Role.DOG_FOOD,
        "is placed on",
        lambda card: {"orderDate": _in_days(30)},
        lambda card: card["nextOrderDate"] == _in_days(30),
        lambda og, sid: _patch(
            og, f"/subscriptions/{sid}/change_next_order_date/", {"order_date": _in_days(20)}
        ),
    ),
    Case(
        "Change Frequency",
        Role.DOG_FOOD,
        "ships now: every 6 weeks",
        lambda card: {"every": "5", "period": "week"},
        lambda card: card["frequency"] == "Every 5 weeks",
        lambda og, sid: _patch(
            og, f"/subscriptions/{sid}/change_frequency/", {"every": 2, "every_period": 3}
        ),
    ),
    Case(
        "Change Quantity",
        Role.DOG_FOOD,
        "Each order ships 1 of",
        lambda card: {"quantity": "3"},
        lambda card: card["quantity"] == "3",
        lambda og, sid: _patch(og, f"/subscriptions/{sid}/change_quantity/", {"quantity": 2}),
    ),
    Case(
        "Send Next Order Now",
        Role.DOG_FOOD,
        "Places the whole order",
        lambda card: {},
        # Sent (status 6): no longer the next order.
        lambda card: card.get("nextOrderId") != DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD],
        lambda og, sid: _skip_next(og, sid),
    ),
    Case(
        "Change Renewal",
        Role.PREPAID_PROTEIN,
        "renew automatically",
        lambda card: {"renewal": "downgrade"},
        lambda card: card["prepaidRenewalBehavior"] == "downgrade",
        lambda og, sid: _patch(
            og, f"/subscriptions/{sid}/change_renewal_behavior/", {"renewal_behavior": "cancel"}
        ),
    ),
]
ids = [case.button for case in CASES]
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
    response = await gladly_caller.post(form["actionUrl"], json=case.submit(card))
    assert response.status_code == 200, response.text
    assert "→" in response.json()["detail"]
    assert case.holds(await card_of(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject]))


@pytest.mark.parametrize("case", [c for c in CASES if c.meanwhile], ids=ids[1:])
async def test_a_form_whose_state_changed_meanwhile_is_refused(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient, case: Case
) -> None:
    card = await card_of(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject])
    form = await open_form(gladly_caller, DEMO_SUBSCRIPTION_IDS[case.subject], case.button)
    assert case.meanwhile is not None
    await case.meanwhile(ordergroove, DEMO_SUBSCRIPTION_IDS[case.subject])
    response = await gladly_caller.post(form["actionUrl"], json=case.submit(card))
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
