"""The Ordergroove client against Ordergroove's recorded answers, over HTTP.

`fixtures/ordergroove_recorded.json` holds answer bodies field for field as they were recorded
from the real API (the test data of Gladly's own Ordergroove app); a tiny server on port 0 answers
with them, and records what the client sent (raw path, query, headers, body).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.actions_service.domain import PrepaidPlan, Product
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient
from services.actions_service.upstream import RetryPolicy
from tests.servers import serve_asgi

RECORDED: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "ordergroove_recorded.json").read_text()
)
API_KEY = "contract-key"
CHICAGO = ZoneInfo("America/Chicago")
SUBSCRIPTION_ID = "f9cb2f93e1c845eb9de9eff46ddb3cbf"


@dataclass
class Received:
    method: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Recorded:
    """Answers by (method, path) and what was received, in order."""

    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def on(self, method: str, path: str, status: int, body: Any) -> None:
        """Answer `method` on `path` with `status` and `body` (or `body(request)`)."""
        self.answers[method, path] = (status, body)

    async def __call__(self, request: Request) -> Response:
        raw = await request.body()
        self.received.append(
            Received(
                request.method,
                request.scope["raw_path"].decode(),
                parse_qsl(request.url.query),
                dict(request.headers),
                json.loads(raw) if raw else None,
            )
        )
        key = (request.method, request.scope["raw_path"].decode())
        status, body = self.answers.get(key, (404, {"detail": "Not found."}))
        if callable(body):
            body = body(request)
        return JSONResponse(body, status_code=status)


@pytest.fixture
def answers() -> Recorded:
    return Recorded()


@pytest.fixture
async def client(answers: Recorded) -> AsyncIterator[OrdergrooveClient]:
    async def endpoint(request: Request) -> Response:
        return await answers(request)

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "PATCH"])])
    async with serve_asgi(app) as base_url:
        client = OrdergrooveClient.create(
            base_url, API_KEY, policy=RetryPolicy(attempts=1), timezone=CHICAGO
        )
        try:
            yield client
        finally:
            await client.aclose()


async def test_cancel_reasons_are_integer_codes_without_words(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    answers.on("GET", "/merchant/cancel_reason/", 200, RECORDED["get_cancellation_reasons"])
    assert await client.list_cancel_reason_codes() == ["12"]
    [sent] = answers.received
    assert sent.headers["x-api-key"] == API_KEY
    assert sent.headers["x-og-api-version"] == "2"  # cursor pages


async def test_a_prepaid_subscription_as_recorded(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    path = f"/subscriptions/{SUBSCRIPTION_ID}/"
    answers.on("GET", path, 200, RECORDED["subscription_prepaid"])
    subscription = await client.get_subscription(SUBSCRIPTION_ID)
    assert subscription is not None
    assert subscription.prepaid_plan == PrepaidPlan(0, 3, "autorenew")
    assert (subscription.product_id, subscription.quantity, subscription.price) == (
        "0070000693",
        21,
        "12.99",
    )
    assert subscription.cancel_reason_code == ""
    # "2019-07-21 12:00:00" carries no zone: read in the merchant's.
    assert subscription.created_at == datetime(2019, 7, 21, 12, tzinfo=CHICAGO)


async def test_a_missing_subscription_answers_error_not_detail(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    answers.on("GET", "/subscriptions/does-not-exist/", 404, RECORDED["subscription_not_found"])
    assert await client.get_subscription("does-not-exist") is None


async def test_listed_subscriptions_with_a_string_reason_code(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    answers.on("GET", "/subscriptions/", 200, RECORDED["subscriptions_cancelled"])
    [cancelled] = await client.list_subscriptions("00026001")
    # Recorded as the string "4" though documented as an integer.
    assert (cancelled.cancel_reason_code, cancelled.cancel_reason_details) == ("4", "Overstocked")
    assert not cancelled.live and cancelled.prepaid_plan is None
    [sent] = answers.received
    assert ("customer", "00026001") in sent.query


async def test_cursor_pages_are_followed_one_after_another(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    first, second = RECORDED["subscriptions_success"]["results"]

    def page(request: Request) -> dict[str, Any]:
        if request.query_params.get("cursor") == "cD0x":
            return {"next": None, "previous": None, "results": [second]}
        return {"next": f"{request.url}&cursor=cD0x", "previous": None, "results": [first]}

    answers.on("GET", "/subscriptions/", 200, page)
    listed = await client.list_subscriptions("cust_12345")
    assert [s.subscription_id for s in listed] == ["sub_67890", "sub_67891"]
    assert [dict(r.query).get("cursor") for r in answers.received] == [None, "cD0x"]
    assert all(r.headers["x-og-api-version"] == "2" for r in answers.received)


async def test_products_are_read_by_external_id_in_one_request(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    answers.on("GET", "/products/", 200, RECORDED["products_success_list"])
    wanted = ["HDPH-001", "SHIRT-002", "HDPH-002"]  # the recorded request's ids
    products = await client.get_products(wanted, "cust_12345")
    assert products["HDPH-001"].name == "Premium Headphones"
    assert products["SHIRT-002"].sku == "987654321"
    assert products["HDPH-002"] == Product("HDPH-002")  # not answered: still shown
    [sent] = answers.received
    assert [value for key, value in sent.query if key == "external_product_ids[]"] == wanted
    # Cached: a second card asks for nothing.
    await client.get_products(wanted, "cust_12345")
    assert len(answers.received) == 1


@pytest.mark.parametrize(
    ("reason", "body"),
    [
        ("4|Overstocked", {"cancel_reason": "4|Overstocked"}),  # recorded success_case
        (None, {}),  # recorded empty_cancel_reasons
    ],
)
async def test_cancel_sends_the_recorded_body(
    answers: Recorded, client: OrdergrooveClient, reason: str | None, body: Any
) -> None:
    path = f"/subscriptions/{SUBSCRIPTION_ID}/cancel/"
    answers.on("PATCH", path, 200, RECORDED["subscription_prepaid"])
    written = await client.cancel_subscription(SUBSCRIPTION_ID, reason)
    assert written.status == 200 and written.value.subscription_id == SUBSCRIPTION_ID
    [sent] = answers.received
    assert (sent.method, sent.raw_path, sent.body) == ("PATCH", path, body)


async def test_refusals_keep_ordergrooves_words(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    answers.on(
        "PATCH", "/subscriptions/invalid_subscription_id/cancel/", 400, RECORDED["cancel_error"]
    )
    answers.on("PATCH", "/orders/invalid_order_id/skip_subscription/", 400, RECORDED["skip_400"])
    with pytest.raises(ActionError) as cancel:
        await client.cancel_subscription("invalid_subscription_id", "1|Customer request")
    assert cancel.value.reason is Reason.ORDERGROOVE_REJECTED
    assert cancel.value.message == "This subscription is not in a state which it can edited"
    with pytest.raises(ActionError) as skip:
        await client.skip_subscription("invalid_order_id", "invalid_subscription_id")
    assert skip.value.message == "Invalid subscription ID for this order"


async def test_a_skip_answers_the_order_in_the_merchants_zone(
    answers: Recorded, client: OrdergrooveClient
) -> None:
    path = "/orders/c4e05d04ccc411e8ada3bc764e101db1/skip_subscription/"
    answers.on("PATCH", path, 200, RECORDED["skip_success"])
    written = await client.skip_subscription("c4e05d04ccc411e8ada3bc764e101db1", "a1b2c3d4")
    assert written.value.place_at == datetime(2019, 6, 6, 12, 8, 37, tzinfo=CHICAGO)
    assert answers.received[0].body == {"subscription": "a1b2c3d4"}


@pytest.mark.parametrize("hostile", ["a/b", "x?customer=other", "../customers/1", "a#b", "%2F"])
async def test_an_id_cannot_change_the_path(
    answers: Recorded, client: OrdergrooveClient, hostile: str
) -> None:
    await client.get_subscription(hostile)
    await client.get_customer(hostile)
    await client.get_order(hostile)
    with pytest.raises(ActionError):
        await client.cancel_subscription(hostile, None)
    with pytest.raises(ActionError):
        await client.skip_subscription(hostile, "s")
    for sent, resource in zip(
        answers.received,
        ("subscriptions", "customers", "orders", "subscriptions", "orders"),
        strict=True,
    ):
        # The id stays one segment: its "/", "?", "#" and "%" arrive percent-encoded.
        segments = sent.raw_path.strip("/").split("/")
        assert segments[0] == resource and unquote(segments[1]) == hostile, sent.raw_path
        assert len(segments) == (2 if sent.method == "GET" else 3)
        assert sent.query == []
