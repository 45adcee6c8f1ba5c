"""The REST gateway end to end: Gladly's calls, signed, over HTTP to the real gateway, the real
Actions service and both sandboxes."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date, datetime, timedelta

import grpc
import httpx
import pytest

from common.config import GatewaySettings, replaced
from gateway.app import create_app
from gateway.errors import failure_response
from gateway.gladly_auth import GladlySignature
from gateway.rpc import RpcFailure
from services.gladly_sandbox.state import CLOSED_CUSTOMER_ID
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_EMAIL,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SUBSCRIPTION_IDS,
    OTHER_CUSTOMER_ID,
    OTHER_EMAIL,
    Role,
)
from tests.servers import serve_asgi
from tests.stack import (
    action_url,
    add_fault,
    card_of,
    customer_timeline,
    detailed,
    error_of,
    eventually,
    journal,
    open_form,
    running_service,
    seed_customer,
    service_settings,
)

COFFEE = DEMO_SUBSCRIPTION_IDS[Role.SHARED_COFFEE]
VITAMINS = DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]
SHAMPOO = DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO]
CANCELLED = DEMO_SUBSCRIPTION_IDS[Role.CANCELLED_WATER_FILTER]
PREPAID = DEMO_SUBSCRIPTION_IDS[Role.PREPAID_PROTEIN]
# The URLs of cards rendered now (the linked Ordergroove customer in the path), and before.
LINKED = f"/gladly/customers/{GLADLY_DEMO}/ordergroove/{DEMO_CUSTOMER_ID}/subscriptions"
BASE = f"/gladly/customers/{GLADLY_DEMO}/subscriptions"
SUBMISSION = "/submissions/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def gladly_url(unlimited_gladly_url: str) -> str:
    return unlimited_gladly_url  # several actions per test exceed Gladly's 10 requests/second


# --- lookup --------------------------------------------------------------------------------------


async def test_basic_lookup_finds_each_customer_once(gladly_caller: httpx.AsyncClient) -> None:
    response = await gladly_caller.post(
        "/gladly/lookup",
        json={
            "lookupLevel": "BASIC",
            "query": {
                "emails": [DEMO_EMAIL, "nobody@example.com", "not-an-email", DEMO_EMAIL],
                "email": OTHER_EMAIL,
                "externalCustomerId": DEMO_CUSTOMER_ID,
                "phones": ["+15550100100"],
            },
            "uniqueMatchRequired": False,
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["externalCustomerId"] for r in results] == [DEMO_CUSTOMER_ID, OTHER_CUSTOMER_ID]
    assert results[0] == {
        "externalCustomerId": DEMO_CUSTOMER_ID,
        "name": "Dana Demo",
        "emails": [{"original": DEMO_EMAIL}],
        "phones": [{"original": "+15550100100"}],
        "customAttributes": {"activeSubscriptions": "8", "totalSubscriptions": "12"},
    }
    for query in ({}, {"emails": ["nobody@example.com"]}, {"name": "Dana Demo"}):
        response = await gladly_caller.post(
            "/gladly/lookup", json={"lookupLevel": "BASIC", "query": query}
        )
        assert response.json() == {"results": []}


async def test_detailed_lookup_is_the_subscriptions_card(
    gladly_caller: httpx.AsyncClient, ordergroove_url: str
) -> None:
    [result] = await detailed(gladly_caller)
    assert result["externalCustomerId"] == DEMO_CUSTOMER_ID
    assert result["name"] == "Dana Demo"
    assert result["customAttributes"] == {
        "activeSubscriptions": "8",
        "totalSubscriptions": "12",
        "subscriptionsNotice": "",  # clears a notice of a lookup that could not read them
    }
    cards = {card["subscriptionId"]: card for card in result["transactions"]}
    assert len(cards) == 12
    for card in cards.values():
        assert card["type"] == "SUBSCRIPTION"
        assert all(isinstance(value, str) for key, value in card.items() if key != "actions")
        for key in ("createdAt", "updatedAt", "nextOrderDate", "cancelledAt"):
            if key in card:
                datetime.fromisoformat(card[key])  # RFC 3339
        if "nextOrderDate" in card:  # the merchant's calendar date, not an instant
            date.fromisoformat(card["nextOrderDate"])
    coffee = cards[COFFEE]
    assert coffee | {"createdAt": "", "updatedAt": "", "nextOrderDate": ""} == {
        "type": "SUBSCRIPTION",
        "subscriptionId": COFFEE,
        "status": "ACTIVE",
        "createdAt": "",
        "updatedAt": "",
        "frequency": "Every month",
        "nextOrderId": DEMO_NEXT_ORDER_IDS[Role.SHARED_COFFEE],
        "nextOrderDate": "",
        "price": "18.50",
        "currency": "USD",
        "quantity": "2",
        "prepaid": "false",
        "productId": coffee["productId"],
        "productName": "Ethiopian Yirgacheffe Coffee Beans, 12 oz",
        "productSku": "COF-ETH-12",
        "productImageUrl": f"{ordergroove_url}/_sandbox/images/COF-ETH-12.svg",
        "shipsTo": coffee["shipsTo"],
        "actions": [
            {"name": "Cancel Order", "formUrl": f"{LINKED}/{COFFEE}/cancel"},
            {"name": "Skip Next Order", "formUrl": f"{LINKED}/{COFFEE}/skip"},
            {
                "name": "Change Next Order Date",
                "formUrl": f"{LINKED}/{COFFEE}/change-next-order-date",
            },
            {"name": "Change Frequency", "formUrl": f"{LINKED}/{COFFEE}/change-frequency"},
            {"name": "Change Quantity", "formUrl": f"{LINKED}/{COFFEE}/change-quantity"},
            {"name": "Send Next Order Now", "formUrl": f"{LINKED}/{COFFEE}/send-now"},
            {"name": "Cancel This Order", "formUrl": f"{LINKED}/{COFFEE}/cancel-order"},
            {
                "name": "Change Item Quantity",
                "formUrl": f"{LINKED}/{COFFEE}/change-item-quantity",
            },
            {"name": "Remove From Order", "formUrl": f"{LINKED}/{COFFEE}/remove-from-order"},
            {"name": "Issue Discount", "formUrl": f"{LINKED}/{COFFEE}/issue-discount"},
            {"name": "Swap Product", "formUrl": f"{LINKED}/{COFFEE}/swap-product"},
            {
                "name": "Change Shipping Address",
                "formUrl": f"{LINKED}/{COFFEE}/change-shipping-address",
            },
        ],
    }
    # The customer's home address, in words on one line.
    assert coffee["shipsTo"].startswith("Dana Demo, 2150 W Roscoe St, Chicago, IL 60618")
    assert cards[SHAMPOO]["frequency"] == "Every 45 days"
    cancelled = cards[CANCELLED]
    assert cancelled["status"] == "CANCELLED"
    assert (cancelled["cancellationReason"], cancelled["cancellationReasonCode"]) == (
        "Too expensive",
        "2",
    )
    assert cancelled["cancellationDetails"] == "Found a cheaper option locally"
    assert "cancelledAt" in cancelled
    assert [a["name"] for a in cancelled["actions"]] == ["Reactivate"]
    assert "nextOrderDate" not in cancelled
    offered = {sid for sid, card in cards.items() if "actions" in card}
    assert offered == {DEMO_SUBSCRIPTION_IDS[role] for role in Role} - {
        DEMO_SUBSCRIPTION_IDS[Role.OTHER_COLD_BREW],
        DEMO_SUBSCRIPTION_IDS[Role.OTHER_ALMONDS],
    }
    prepaid = cards[DEMO_SUBSCRIPTION_IDS[Role.PREPAID_TEA]]
    assert {key: value for key, value in prepaid.items() if key.startswith("prepaid")} == {
        "prepaid": "true",
        "prepaidOrdersRemaining": "1",
        "prepaidOrdersPerBilling": "4",
        "prepaidRenewalBehavior": "cancel",
    }
    # Ordergroove refuses to cancel a prepaid subscription or change its quantity.
    assert [action["name"] for action in prepaid["actions"]] == [
        "Skip Next Order",
        "Change Next Order Date",
        "Change Frequency",
        "Send Next Order Now",
        "Change Renewal",
        "Cancel This Order",
        "Issue Discount",
        "Swap Product",
        "Change Shipping Address",
    ]
    [result] = await detailed(gladly_caller, id="")  # no Gladly id: no action URLs
    assert not any("actions" in card for card in result["transactions"])
    assert await detailed(gladly_caller, externalCustomerId="nobody") == []
    assert await detailed(gladly_caller, externalCustomerId="") == []
    assert await detailed(gladly_caller, externalCustomerId="not/an id") == []


# --- forms ---------------------------------------------------------------------------------------


async def test_a_customer_without_subscriptions_gets_an_empty_card(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    """`transactions: []` is sent, not left out: a missing key would keep the cards Gladly showed
    before (transactions are only ever set by a DETAILED answer)."""
    await seed_customer(ordergroove, merchant_user_id="none-1", email="none@example.com", count=0)
    [result] = await detailed(gladly_caller, externalCustomerId="none-1")
    assert result["transactions"] == []
    assert result["customAttributes"]["totalSubscriptions"] == "0"


async def test_cancel_form_offers_the_merchants_reasons(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    form_url = f"{LINKED}/{COFFEE}/cancel"
    # Without the merchant's list there is nothing to offer: no made-up codes.
    await add_fault(ordergroove, path="/merchant/cancel_reason/", status=500)
    assert (await gladly_caller.get(form_url)).status_code == 503
    await ordergroove.delete("/_sandbox/faults")
    form = (await gladly_caller.get(form_url)).json()
    assert re.fullmatch(f"{form_url}{SUBMISSION}", form["actionUrl"])
    again = (await gladly_caller.get(form_url)).json()
    assert again["actionUrl"] != form["actionUrl"]  # every form is a submission of its own
    # A card rendered before: its form resolves the link and answers the URL of today.
    legacy = (await gladly_caller.get(f"{BASE}/{COFFEE}/cancel")).json()
    assert re.fullmatch(f"{form_url}{SUBMISSION}", legacy["actionUrl"])
    assert set(form) == {"title", "submitButton", "closeButton", "actionUrl", "sections"}
    reason, details = form["sections"][1:]
    assert reason["attr"] == "reason" and reason["input"]["type"] == "select"
    # Exactly the merchant's integer codes, in words; the reason is optional by default.
    assert [o["value"] for o in reason["input"]["options"]] == [
        *map(str, (1, 2, 3, 4, 5, 6, 7, 12))
    ]
    assert {"text": "Moving", "value": "7"} in reason["input"]["options"]
    assert reason["input"]["optional"] is True
    assert details["attr"] == "details" and details["input"]["optional"] is True


async def test_skip_form_names_the_order_or_refuses(gladly_caller: httpx.AsyncClient) -> None:
    order_id = DEMO_NEXT_ORDER_IDS[Role.VITAMINS]
    card = await card_of(gladly_caller, VITAMINS)
    form = (await gladly_caller.get(f"{LINKED}/{VITAMINS}/skip")).json()
    expected = (
        f"{LINKED}/{VITAMINS}/skip/orders/{order_id}/dates/{card['nextOrderDate']}{SUBMISSION}"
    )
    assert re.fullmatch(expected, form["actionUrl"])
    [text] = form["sections"]
    assert text["type"] == "text"
    assert card["nextOrderDate"][:10] in text["text"] and "every 2 weeks" in text["text"]
    not_linked = await gladly_caller.get(
        f"/gladly/customers/{CLOSED_CUSTOMER_ID}/subscriptions/{VITAMINS}/skip"
    )
    assert error_of(not_linked, 400)["message"] == "Customer is not linked to Ordergroove"
    nobody = f"/gladly/customers/{GLADLY_DEMO}/ordergroove/nobody/subscriptions/{VITAMINS}/skip"
    assert (
        error_of(await gladly_caller.get(nobody), 400)["detail"]
        == "No Ordergroove customer nobody."
    )
    error_of(await gladly_caller.get(f"{LINKED}/no-such-subscription/skip"), 404)
    nothing = error_of(await gladly_caller.get(f"{LINKED}/{CANCELLED}/skip"), 400)
    assert CANCELLED in nothing["detail"]


# --- actions -------------------------------------------------------------------------------------


async def test_skip_then_the_card_shows_the_new_next_order(
    gladly_caller: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    before = await card_of(gladly_caller, VITAMINS)
    form = (await gladly_caller.get(before["actions"][1]["formUrl"])).json()
    response = await gladly_caller.post(
        form["actionUrl"],
        json={"agentId": "agent-7"},
        headers={"Gladly-Conversation-Id": "conv-1"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["message"] == "Next order skipped"
    after = await card_of(gladly_caller, VITAMINS)  # Gladly's profile refresh
    assert after["nextOrderDate"] > before["nextOrderDate"]
    assert after["nextOrderId"] != before["nextOrderId"]
    assert after["nextOrderDate"][:10] in answer["detail"]
    await eventually(lambda: customer_timeline(gladly, GLADLY_DEMO))  # posted in the background
    [item] = await customer_timeline(gladly, GLADLY_DEMO)
    assert "agent-7" in item["content"]["body"]


async def test_a_retired_action_url_answers_410_and_changes_nothing(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    """Action URLs of forms served by earlier versions are retired: the legacy ones carried no
    submission id (cancel, reactivate, then the same cancel again answered the first "cancelled"
    and nothing was done), the others did not name all their form showed. Each answers 410 and
    does nothing. The form URLs of earlier cards still open today's form, which works."""
    cancel = await action_url(gladly_caller, f"{BASE}/{VITAMINS}/cancel")
    assert re.fullmatch(f"{LINKED}/{VITAMINS}/cancel{SUBMISSION}", cancel)
    done = await gladly_caller.post(cancel, json={"reason": "7"})
    assert (done.status_code, done.json()["message"]) == (200, "Subscription cancelled")
    reactivate = await open_form(gladly_caller, VITAMINS, "Reactivate")
    first_order = (date.today() + timedelta(days=8)).isoformat()
    again = {"every": "2", "period": "week", "firstOrderDate": first_order}
    reactivated = await gladly_caller.post(reactivate["actionUrl"], json=again)
    assert reactivated.status_code == 200, reactivated.text
    cancels = f"/subscriptions/{VITAMINS}/cancel/"
    assert len(await journal(ordergroove, "PATCH", cancels)) == 1
    before = await card_of(gladly_caller, VITAMINS)
    order, day = before["nextOrderId"], before["nextOrderDate"]
    submission = f"/submissions/{uuid.uuid4()}"
    retired = [
        (f"{BASE}/{VITAMINS}/cancel", {"reason": "7"}),
        (f"{BASE}/{VITAMINS}/orders/{order}/skip", {}),
        (f"{LINKED}/{VITAMINS}/skip/orders/{order}{submission}", {}),
        (f"{LINKED}/{VITAMINS}/send-now/orders/{order}/dates/{day}{submission}", {}),
    ]
    for path, body in retired:
        error = error_of(await gladly_caller.post(path, json=body), 410)
        assert error["message"] == "Form out of date", path
    after = await card_of(gladly_caller, VITAMINS)
    assert after["status"] == "ACTIVE"
    assert (after["nextOrderId"], after["nextOrderDate"]) == (order, day)
    assert len(await journal(ordergroove, "PATCH", cancels)) == 1  # no second cancel
    assert await journal(ordergroove, "PATCH", "/orders/") == []  # nothing skipped or sent


async def test_cancel_then_the_card_shows_the_cancellation(
    gladly_caller: httpx.AsyncClient,
) -> None:
    response = await gladly_caller.post(
        await action_url(gladly_caller, f"{LINKED}/{COFFEE}/cancel"),
        json={"reason": "7", "details": "Moving abroad"},
        headers={"Gladly-Agent-Id": "agent-9"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Subscription cancelled"
    assert "Reason: Moving (7)." in response.json()["detail"]
    card = await card_of(gladly_caller, COFFEE)
    assert card["status"] == "CANCELLED"
    assert (card["cancellationReason"], card["cancellationReasonCode"]) == ("Moving", "7")
    assert card["cancellationDetails"] == "Moving abroad"
    assert "cancelledAt" in card
    assert [action["name"] for action in card["actions"]] == ["Reactivate"]


# --- every refusal, through the whole stack -------------------------------------------------------


async def test_refusals_through_the_whole_stack(
    gladly_caller: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    async def cancel(subscription_id: str, reason: str = "7") -> httpx.Response:
        url = await action_url(gladly_caller, f"{LINKED}/{subscription_id}/cancel")
        return await gladly_caller.post(url, json={"reason": reason})

    not_active = await cancel(CANCELLED)
    assert error_of(not_active, 400)["message"] == "Subscription is not active"
    rejected = error_of(await cancel(PREPAID), 400)
    assert rejected["message"] == "Ordergroove refused the change"
    assert "prepaid" in rejected["detail"].lower()
    # A skip form opened before another agent skipped the order it names.
    stale = await action_url(gladly_caller, f"{LINKED}/{VITAMINS}/skip")
    skipped = await gladly_caller.post(await action_url(gladly_caller, f"{LINKED}/{VITAMINS}/skip"))
    assert skipped.status_code == 200, skipped.text
    changed = await gladly_caller.post(stale)
    assert error_of(changed, 400)["message"] == "Order already skipped or changed"
    not_linked = await gladly_caller.get(
        f"/gladly/customers/{CLOSED_CUSTOMER_ID}/subscriptions/{COFFEE}/cancel"
    )
    assert error_of(not_linked, 400)["message"] == "Customer is not linked to Ordergroove"
    invalid = error_of(await cancel(COFFEE, reason="99"), 400)  # not one of the merchant's codes
    assert invalid == invalid | {"message": "Invalid input", "attr": "reason"}
    assert invalid["detail"] == "reason 99 is not one of the merchant's reason codes."
    other = DEMO_SUBSCRIPTION_IDS[Role.OTHER_COLD_BREW]  # another customer's: not found (404)
    assert error_of(await cancel(other), 404)["message"] == "Subscription not found"
    await gladly.post(f"/_sandbox/customers/{GLADLY_DEMO}/close-conversations")
    assert error_of(await cancel(COFFEE), 400)["message"] == "No open conversation"


async def test_a_switched_off_action_is_refused(
    ordergroove_url: str, gladly_url: str, gateway_settings: GatewaySettings
) -> None:
    only_skip = service_settings(ordergroove_url, gladly_url, actions_enabled=frozenset({"skip"}))
    async with running_service(only_skip) as service:
        settings = replaced(gateway_settings, grpc_target=service.target)
        async with (
            serve_asgi(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, auth=signer(settings)) as caller,
        ):
            url = await action_url(caller, f"{LINKED}/{COFFEE}/cancel")
            response = await caller.post(url, json={"reason": "7"})
            assert error_of(response, 400)["message"] == "Action is switched off"
            card = await card_of(caller, COFFEE)
            assert [a["name"] for a in card["actions"]] == ["Skip Next Order"]


async def test_a_merchant_that_requires_a_reason_gets_a_required_picker(
    ordergroove_url: str, gladly_url: str, gateway_settings: GatewaySettings
) -> None:
    required = service_settings(
        ordergroove_url,
        gladly_url,
        cancel_reason_required=True,
        cancel_reason_names={"7": "Relocating"},
    )
    async with running_service(required) as service:
        settings = replaced(gateway_settings, grpc_target=service.target)
        async with (
            serve_asgi(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, auth=signer(settings)) as caller,
        ):
            form = (await caller.get(f"{BASE}/{COFFEE}/cancel")).json()
            picker = form["sections"][1]["input"]
            assert "optional" not in picker
            assert {"text": "Relocating", "value": "7"} in picker["options"]
            assert {"text": "Reason 12", "value": "12"} in picker["options"]
            response = await caller.post(form["actionUrl"], json={})
            assert error_of(response, 400)["attr"] == "reason"


async def test_ordergroove_down_is_503(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    url = await action_url(gladly_caller, f"{LINKED}/{COFFEE}/cancel")
    await add_fault(ordergroove, path="/subscriptions/", status=503)
    response = await gladly_caller.post(url, json={"reason": "7"})
    item = error_of(response, 503)
    assert "Ordergroove" in item["detail"]
    lookup = await gladly_caller.post(
        "/gladly/lookup",
        json={"lookupLevel": "DETAILED", "query": {"externalCustomerId": DEMO_CUSTOMER_ID}},
    )
    [result] = lookup.json()["results"]  # the profile still opens: a notice, not a card
    assert result["externalCustomerId"] == DEMO_CUSTOMER_ID and "transactions" not in result


async def test_a_hanging_ordergroove_is_504_within_the_deadline(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    deadline = 0.6
    async with running_service(
        service_settings(ordergroove_url, gladly_url, deadline_seconds=deadline)
    ) as service:
        settings = GatewaySettings(
            grpc_target=service.target,
            gladly_signing_keys=("k",),
            deadline_seconds=deadline,
        )
        async with (
            serve_asgi(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, auth=signer(settings)) as caller,
        ):
            cancel = await action_url(caller, f"{LINKED}/{COFFEE}/cancel")
            await add_fault(ordergroove, path="/subscriptions/", hang=True)
            started = asyncio.get_running_loop().time()
            response = await caller.post(cancel, json={"reason": "7"})
            elapsed = asyncio.get_running_loop().time() - started
    assert "deadline" in error_of(response, 504)["detail"]
    assert deadline <= elapsed < deadline + 0.5


async def test_the_service_token_is_presented(
    ordergroove_url: str, gladly_url: str, gateway_settings: GatewaySettings
) -> None:
    guarded = service_settings(ordergroove_url, gladly_url, api_tokens=("secret-token",))
    async with running_service(guarded) as service:
        # A refused token is the gateway's fault, never a 401 (Gladly's "bad signature").
        for token, status in (("secret-token", 200), ("", 500), ("wrong", 500)):
            settings = replaced(gateway_settings, grpc_target=service.target, api_token=token)
            async with (
                serve_asgi(create_app(settings)) as url,
                httpx.AsyncClient(base_url=url, auth=signer(settings)) as caller,
            ):
                # (A lookup would answer 200 either way: it never fails the agent's profile.)
                response = await caller.get(f"{LINKED}/{COFFEE}/skip")
                assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("code", "reason", "status"),
    [
        (grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED", 409),
        (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_LINKED", 400),
        (grpc.StatusCode.FAILED_PRECONDITION, "ACTION_DISABLED", 400),
        (grpc.StatusCode.CANCELLED, "", 499),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "", 429),
        (grpc.StatusCode.PERMISSION_DENIED, "", 403),
        (grpc.StatusCode.ABORTED, "", 409),
        (grpc.StatusCode.UNIMPLEMENTED, "", 501),
        (grpc.StatusCode.DATA_LOSS, "", 500),
        (grpc.StatusCode.UNKNOWN, "", 500),
    ],
)
def test_the_rest_of_the_status_table(code: grpc.StatusCode, reason: str, status: int) -> None:
    """The statuses the stack cannot be made to produce; a bare status never shows its text."""
    response = failure_response(RpcFailure(code, "internal detail: stack trace", reason))
    assert response.status_code == status
    body = bytes(response.body)
    assert (b"internal detail" in body) == bool(reason)


def signer(settings: GatewaySettings) -> GladlySignature:
    return GladlySignature(settings.gladly_signing_keys[0])
