"""The Gladly side as Gladly is: the link travels with the card, a submission is one action, only
signed context counts, open means not closed, lookups never fail the profile, merged customers.

All over HTTP: the real gateway, the real grpc.aio service, both sandboxes.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from actions.v1 import actions_pb2 as pb
from common.config import GatewaySettings, replaced
from gateway import signing
from gateway.app import create_app as create_gateway_app
from gateway.gladly_auth import GladlySignature
from services.actions_service.domain import Action, timeline_item_id
from services.actions_service.errors import Reason
from services.gladly_sandbox.state import DEMO_CONVERSATION_ID
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.app import create_app as create_ordergroove_app
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_EMAIL,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)
from tests.conftest import GATEWAY_SIGNING_KEY
from tests.servers import serve_asgi
from tests.stack import (
    add_fault,
    audit_rows,
    button,
    customer_timeline,
    detailed,
    eventually,
    fails,
    journal,
    open_form,
    running_service,
    service_settings,
)

COFFEE = DEMO_SUBSCRIPTION_IDS[Role.SHARED_COFFEE]
VITAMINS = DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]
LINKED = f"/gladly/customers/{GLADLY_DEMO}/ordergroove/{DEMO_CUSTOMER_ID}/subscriptions"
PROFILES = "/api/v1/customer-profiles/"


@pytest.fixture
def ordergroove_app() -> Starlette:
    return create_ordergroove_app()


@pytest.fixture
async def ordergroove_url(ordergroove_app: Starlette) -> AsyncIterator[str]:
    """The Ordergroove sandbox, whose state a test may change as Ordergroove's own admin would."""
    async with serve_asgi(ordergroove_app) as url:
        yield url


@pytest.fixture
def gladly_url(unlimited_gladly_url: str) -> str:
    return unlimited_gladly_url  # several actions per test exceed Gladly's 10 requests/second


# --- 1. the link travels with the card -----------------------------------------------------------


async def test_the_card_names_the_link_and_the_action_reads_no_profile(
    gladly_caller: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    assert await button(gladly_caller, COFFEE, "Cancel Order") == f"{LINKED}/{COFFEE}/cancel"
    form = await open_form(gladly_caller, COFFEE, "Cancel Order")
    assert form["actionUrl"].startswith(f"{LINKED}/{COFFEE}/cancel/submissions/")
    before = len(await journal(gladly, "GET", PROFILES))
    response = await gladly_caller.post(form["actionUrl"], json={"reason": "7"})
    assert response.status_code == 200, response.text
    assert len(await journal(gladly, "GET", PROFILES)) == before  # the path said who


async def test_ids_are_percent_encoded_path_segments(
    gladly_caller: httpx.AsyncClient, gladly: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    """A Gladly id with characters that need encoding reaches the service unchanged."""
    odd = "odd:customer+1"
    await gladly.post("/_sandbox/customers", json={"id": odd, "conversation": "OPEN"})
    [result] = await detailed(gladly_caller, id=odd)
    card = next(t for t in result["transactions"] if t["subscriptionId"] == VITAMINS)
    skip = next(a["formUrl"] for a in card["actions"] if a["name"] == "Skip Next Order")
    assert skip.startswith("/gladly/customers/odd%3Acustomer%2B1/ordergroove/")
    form = (await gladly_caller.get(skip)).json()
    response = await gladly_caller.post(form["actionUrl"])
    assert response.status_code == 200, response.text
    await eventually(lambda: customer_timeline(gladly, odd))


async def test_grpc_callers_by_gladly_id_read_the_lookup_apps_link(
    ordergroove_url: str, gladly_url: str, gladly: httpx.AsyncClient
) -> None:
    """`externalCustomerIds[GLADLY_LOOKUP_APP_ID]`, else the pre-2021 `externalCustomerId`;
    anything else is CUSTOMER_NOT_LINKED saying what to configure."""
    for body in (
        {"id": "new-style", "externalCustomerId": DEMO_CUSTOMER_ID, "conversation": "OPEN"},
        {"id": "old-style", "externalCustomerId": DEMO_CUSTOMER_ID, "legacyLink": True},
    ):
        assert (await gladly.post("/_sandbox/customers", json=body)).status_code == 201
    profile = (
        await gladly.get(f"{PROFILES}new-style", auth=("sandbox@example.com", "sandbox-token"))
    ).json()
    assert "externalCustomerId" not in profile  # as a new installation sees it
    async with running_service(service_settings(ordergroove_url, gladly_url)) as service:
        for gladly_id in ("new-style", "old-style"):
            found = await service.stub.GetSubscriptions(
                pb.GetSubscriptionsRequest(gladly_customer_id=gladly_id)
            )
            assert found.linked and found.customer.customer_id == DEMO_CUSTOMER_ID
    unset = service_settings(ordergroove_url, gladly_url, gladly_lookup_app_id="")
    async with running_service(unset) as service:
        old = await service.stub.GetSubscriptions(
            pb.GetSubscriptionsRequest(gladly_customer_id="old-style")
        )
        assert old.linked
        context = pb.ActionContext(gladly_customer_id="new-style")
        failure = await fails(
            service.stub.CancelSubscription(
                pb.CancelSubscriptionRequest(
                    subscription_id=COFFEE, reason_code="7", context=context
                )
            )
        )
    assert failure.reason == Reason.CUSTOMER_NOT_LINKED
    assert "GLADLY_LOOKUP_APP_ID" in failure.message


# --- 2. a new click is a new action; a retry is not ---------------------------------------------


async def test_a_new_form_is_a_new_action_and_a_retry_is_the_same(
    gladly_caller: httpx.AsyncClient,
    gateway_url: str,
    ordergroove: httpx.AsyncClient,
    ordergroove_app: Starlette,
) -> None:
    cancels = f"/subscriptions/{COFFEE}/cancel/"
    first = await open_form(gladly_caller, COFFEE, "Cancel Order")
    body = json.dumps({"reason": "7"}).encode()
    headers = {"Content-Type": "application/json"}
    done = await gladly_caller.post(first["actionUrl"], content=body, headers=headers)
    assert done.status_code == 200, done.text
    # Gladly retries the same submission: a new signature, the same URL and body.
    async with httpx.AsyncClient(
        base_url=gateway_url, auth=GladlySignature(GATEWAY_SIGNING_KEY)
    ) as retrying:
        retry = await retrying.post(first["actionUrl"], content=body, headers=headers)
    assert (retry.status_code, retry.json()) == (200, done.json())
    assert len(await journal(ordergroove, "PATCH", cancels)) == 1
    # The merchant reactivates it in Ordergroove's own admin; the agent cancels again.
    subscription = ordergroove_app.state.sandbox.store.subscription(COFFEE)
    subscription.live, subscription.cancelled = True, None
    again = await open_form(gladly_caller, COFFEE, "Cancel Order")
    assert again["actionUrl"] != first["actionUrl"]
    second = await gladly_caller.post(again["actionUrl"], content=body, headers=headers)
    assert second.status_code == 200, second.text
    assert len(await journal(ordergroove, "PATCH", cancels)) == 2
    assert not ordergroove_app.state.sandbox.store.subscription(COFFEE).live


async def test_a_corrected_submission_is_a_new_request(gladly_caller: httpx.AsyncClient) -> None:
    """After a 400 the form stays open: the agent's corrected input is not the refused one."""
    form = await open_form(gladly_caller, COFFEE, "Cancel Order")
    refused = await gladly_caller.post(form["actionUrl"], json={"reason": "999"})
    assert refused.status_code == 400, refused.text
    corrected = await gladly_caller.post(form["actionUrl"], json={"reason": "7"})
    assert corrected.status_code == 200, corrected.text


async def test_a_submission_id_the_gateway_did_not_make_is_refused(
    gladly_caller: httpx.AsyncClient,
) -> None:
    response = await gladly_caller.post(
        f"{LINKED}/{COFFEE}/cancel/submissions/not-a-uuid", json={"reason": "7"}
    )
    assert response.status_code == 400
    assert "submission id" in response.json()["errors"][0]["detail"]


# --- 3. unsigned context headers are not trusted -------------------------------------------------


def signed_post(
    caller: httpx.AsyncClient, path: str, body: bytes, signed: list[str], extra: dict[str, str]
) -> httpx.Request:
    """A POST signed over exactly the `signed` headers (and Gladly-Time)."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Gladly-Correlation-Id": "corr-1",
    } | extra
    headers |= signing.sign(
        GATEWAY_SIGNING_KEY,
        "POST",
        path,
        headers=headers,
        body=body,
        signed_headers=signed,
        when=datetime.now(UTC),
    )
    return caller.build_request("POST", path, headers=headers, content=body)


async def test_unsigned_context_headers_are_not_trusted(
    ordergroove_url: str, gladly_url: str, gateway_settings: GatewaySettings, tmp_path: Path
) -> None:
    store_url = f"sqlite:///{tmp_path}/actions.db"
    async with running_service(
        service_settings(ordergroove_url, gladly_url, store_url=store_url)
    ) as service:
        settings = replaced(gateway_settings, grpc_target=service.target)
        async with (
            serve_asgi(create_gateway_app(settings)) as url,
            httpx.AsyncClient(base_url=url, auth=GladlySignature(GATEWAY_SIGNING_KEY)) as caller,
        ):
            body = b'{"reason":"7"}'
            usual = ["accept", "content-type", "gladly-correlation-id"]
            # A captured signed request, replayed with an added agent header.
            form = (await caller.get(f"{LINKED}/{COFFEE}/cancel")).json()
            captured = signed_post(caller, form["actionUrl"], body, usual, {})
            captured.headers["Gladly-Agent-Id"] = "mallory"
            replayed = await caller.send(captured, auth=None)  # as captured: no new signature
            assert replayed.status_code == 200, replayed.text
            # A request whose signature covers the agent header: that agent counts.
            form = (await caller.get(f"{LINKED}/{VITAMINS}/skip")).json()
            signed = signed_post(
                caller,
                form["actionUrl"],
                b"",
                [*usual, "gladly-agent-id"],
                {"Gladly-Agent-Id": "agent-5"},
            )
            assert (await caller.send(signed, auth=None)).status_code == 200
    who = {row.subscription_id: row.who for row in await audit_rows(store_url)}
    assert who[COFFEE] != "agent:mallory"
    assert who[VITAMINS] == "agent:agent-5"


# --- 4. open means not closed --------------------------------------------------------------------


async def cancel_as(
    stub: Any, gladly_id: str, subscription_id: str = COFFEE, conversation_id: str = ""
) -> Any:
    return await stub.CancelSubscription(
        pb.CancelSubscriptionRequest(
            subscription_id=subscription_id,
            customer_id=DEMO_CUSTOMER_ID,
            reason_code="7",
            context=pb.ActionContext(gladly_customer_id=gladly_id, conversation_id=conversation_id),
        )
    )


async def new_gladly_customer(gladly: httpx.AsyncClient, gladly_id: str, **body: Any) -> None:
    payload = {"id": gladly_id, "externalCustomerId": DEMO_CUSTOMER_ID} | body
    assert (await gladly.post("/_sandbox/customers", json=payload)).status_code == 201


async def conversations(gladly: httpx.AsyncClient, gladly_id: str, status: str, count: int) -> str:
    response = await gladly.post(
        f"/_sandbox/customers/{gladly_id}/conversations", json={"status": status, "count": count}
    )
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["id"]
    return conversation_id


async def test_waiting_allows_closed_refuses(service: Any, gladly: httpx.AsyncClient) -> None:
    await new_gladly_customer(gladly, "waiting", conversation="WAITING")
    await new_gladly_customer(gladly, "closed", conversation="CLOSED")
    closed = await fails(cancel_as(service.stub, "closed"))
    assert closed.reason == Reason.CONVERSATION_NOT_OPEN
    await cancel_as(service.stub, "waiting")


async def test_a_long_history_does_not_look_closed(service: Any, gladly: httpx.AsyncClient) -> None:
    """Gladly lists 100 conversations, oldest first: the open one of a customer with 150 closed
    ones is not in the list, and the capped list is no proof that all are closed."""
    await new_gladly_customer(gladly, "long-history")
    await conversations(gladly, "long-history", "CLOSED", 150)
    await conversations(gladly, "long-history", "OPEN", 1)
    listed = await gladly.get(
        "/api/v1/customers/long-history/conversations",
        auth=("sandbox@example.com", "sandbox-token"),
    )
    assert len(listed.json()) == 100 and listed.headers["Gladly-Limited-Data"]
    await cancel_as(service.stub, "long-history")


async def test_the_named_conversation_is_the_one_checked(
    service: Any, gladly: httpx.AsyncClient
) -> None:
    await new_gladly_customer(gladly, "named", conversation="OPEN")
    closed_one = await conversations(gladly, "named", "CLOSED", 1)
    refused = await fails(cancel_as(service.stub, "named", conversation_id=closed_one))
    assert refused.reason == Reason.CONVERSATION_NOT_OPEN
    # The demo customer's open conversation is not this customer's.
    theirs = await fails(cancel_as(service.stub, "named", conversation_id=DEMO_CONVERSATION_ID))
    assert theirs.reason == Reason.CONVERSATION_NOT_OPEN
    open_one = await conversations(gladly, "named", "WAITING", 1)
    await cancel_as(service.stub, "named", conversation_id=open_one)


# --- 5. a lookup never takes the profile down ---------------------------------------------------


@pytest.fixture
def gateway_settings(gateway_settings: GatewaySettings) -> GatewaySettings:
    return replaced(gateway_settings, lookup_deadline_seconds=1.0)


async def test_a_slow_ordergroove_gives_a_notice_not_a_failure(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    await add_fault(ordergroove, path="/subscriptions/", hang=True)
    started = asyncio.get_running_loop().time()
    [result] = await detailed(gladly_caller)
    elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 1.0 + 0.5  # the lookup's budget, not the action's 3 s
    assert result["externalCustomerId"] == DEMO_CUSTOMER_ID
    assert "transactions" not in result  # no card claims a state nobody read
    attributes = result["customAttributes"]
    assert attributes["activeSubscriptions"] == attributes["totalSubscriptions"] == ""
    assert re.search(r"trace [0-9a-f]{32}", attributes["subscriptionsNotice"])
    basic = await gladly_caller.post(
        "/gladly/lookup", json={"lookupLevel": "BASIC", "query": {"emails": [DEMO_EMAIL]}}
    )
    assert (basic.status_code, basic.json()) == (200, {"results": []})


async def test_a_lookup_uses_every_email(gladly_caller: httpx.AsyncClient) -> None:
    emails = [f"someone-{n}@example.com" for n in range(40)] + [DEMO_EMAIL]
    response = await gladly_caller.post(
        "/gladly/lookup", json={"lookupLevel": "BASIC", "query": {"emails": emails}}
    )
    assert response.status_code == 200, response.text
    assert [r["externalCustomerId"] for r in response.json()["results"]] == [DEMO_CUSTOMER_ID]


# --- 6. Gladly's REST API as it is --------------------------------------------------------------


async def test_a_merged_customer_is_followed(service: Any, gladly: httpx.AsyncClient) -> None:
    """Profile reads and timeline entries land on the surviving customer."""
    await new_gladly_customer(gladly, "merged-away", conversation="OPEN")
    await new_gladly_customer(gladly, "survivor")
    assert (
        await gladly.post("/_sandbox/customers/merged-away/merge", json={"into": "survivor"})
    ).status_code == 204
    found = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(gladly_customer_id="merged-away")
    )
    assert found.linked and found.customer.customer_id == DEMO_CUSTOMER_ID
    await service.stub.CancelSubscription(
        pb.CancelSubscriptionRequest(
            subscription_id=COFFEE,
            reason_code="7",
            request_id="5d0f1e4a-0000-4000-8000-000000000001",
            context=pb.ActionContext(gladly_customer_id="merged-away"),
        )
    )
    await eventually(lambda: customer_timeline(gladly, "survivor"))


async def test_only_a_taken_conflict_means_delivered(
    service: Any, gladly: httpx.AsyncClient
) -> None:
    """A 409 that is not `taken` is not "already there": the entry is sent again."""
    await add_fault(gladly, method="POST", path="/api/v1/customers/", status=409, times=1)
    await cancel_as(service.stub, GLADLY_DEMO)
    await eventually(lambda: customer_timeline(gladly, GLADLY_DEMO))


async def test_an_answer_that_is_not_json_is_an_upstream_failure(ordergroove_url: str) -> None:
    """A proxy's HTML page where Gladly's JSON should be: UPSTREAM_UNAVAILABLE, not INTERNAL."""

    async def html(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"<html>maintenance</html>"})

    async with (
        serve_asgi(html) as gladly_url,
        running_service(service_settings(ordergroove_url, gladly_url)) as service,
    ):
        failure = await fails(
            service.stub.GetSubscriptions(
                pb.GetSubscriptionsRequest(gladly_customer_id=GLADLY_DEMO)
            )
        )
    assert failure.reason == Reason.UPSTREAM_UNAVAILABLE


def test_timeline_item_ids_are_under_50_characters() -> None:
    for action in Action:
        item_id = timeline_item_id(action, "x" * 200)
        assert len(item_id) < 50 and re.fullmatch(r"[A-Za-z0-9_-]+", item_id)
