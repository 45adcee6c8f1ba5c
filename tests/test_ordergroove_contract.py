"""The Ordergroove client's own promises, over HTTP against a server on port 0 that answers with
Ordergroove's recorded answers (fixtures/ordergroove_recorded.json) or with what a test needs:
its headers, cursor pages, a `next` at another host, ids that cannot change the path, fields
Ordergroove typed badly, the failures it answers with. What the client makes of every recorded
answer is tests/test_ordergroove_conformance.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from urllib.parse import unquote

import grpc
import pytest
from starlette.requests import Request

from actions.v1 import actions_pb2 as pb
from services.actions_service.domain import Period, Product
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient
from tests.ordergroove_recorded import (
    API_KEY,
    Answer,
    Exchange,
    Ordergroove,
    client_of,
    json_answer,
    serving,
)
from tests.stack import fails, running_service, service_settings

SUBSCRIPTIONS = Exchange.named("pull/subscriptions/success").answer["results"]
ORDER = "c4e05d04ccc411e8ada3bc764e101db1"


async def test_every_request_carries_the_key_and_asks_for_cursor_pages() -> None:
    ordergroove = Ordergroove()
    ordergroove.always(200, Exchange.named("getCancellationReasons/merchant_reasons").answer)
    async with client_of(ordergroove) as client:
        await client.list_cancel_reason_codes()
    [sent] = ordergroove.received
    assert sent.headers["x-api-key"] == API_KEY
    assert sent.headers["x-og-api-version"] == "2"  # cursor pages


async def test_cursor_pages_are_followed_one_after_another() -> None:
    first, second = SUBSCRIPTIONS

    def page(request: Request) -> Answer:
        if request.query_params.get("cursor") == "cD0x":
            return json_answer(200, {"next": None, "previous": None, "results": [second]})
        return json_answer(
            200, {"next": f"{request.url}&cursor=cD0x", "previous": None, "results": [first]}
        )

    ordergroove = Ordergroove()
    ordergroove.answers["GET", "/subscriptions/"] = page
    async with client_of(ordergroove) as client:
        listed = await client.list_subscriptions("cust_12345")
    assert [s.subscription_id for s in listed] == ["sub_67890", "sub_67891"]
    assert [dict(r.query).get("cursor") for r in ordergroove.received] == [None, "cD0x"]


@pytest.mark.parametrize("elsewhere", ["another host", "another port", "another scheme"])
async def test_a_next_link_elsewhere_is_not_followed(elsewhere: str) -> None:
    """The `next` of a page is followed only to Ordergroove's own scheme, host and port: a
    request there would carry the API key."""
    other = Ordergroove()
    other.always(200, {"next": None, "previous": None, "results": []})
    async with serving(other) as other_url:
        ordergroove = Ordergroove()
        async with client_of(ordergroove) as client:
            base = client._upstream.client.base_url
            port = base.rsplit(":", 1)[1]
            elsewhere_url = {
                "another host": f"http://localhost:{port}/subscriptions/?cursor=cD0x",
                "another port": f"{other_url}/subscriptions/?cursor=cD0x",
                "another scheme": f"https://127.0.0.1:{port}/subscriptions/?cursor=cD0x",
            }[elsewhere]
            ordergroove.always(
                200, {"next": elsewhere_url, "previous": None, "results": SUBSCRIPTIONS}
            )
            with pytest.raises(ActionError) as caught:
                # Bounded: followed, a link back to this server would be followed forever.
                async with asyncio.timeout(5):
                    await client.list_subscriptions("cust_12345")
    assert caught.value.reason is Reason.UPSTREAM_UNAVAILABLE
    assert len(ordergroove.received) == 1  # the first page only
    assert other.received == []


async def test_products_are_read_by_external_id_in_one_request_and_kept() -> None:
    ordergroove = Ordergroove()
    ordergroove.always(200, Exchange.named("pull/products/success_list").answer)
    wanted = ["HDPH-001", "SHIRT-002", "HDPH-002", "GONE-1"]
    async with client_of(ordergroove) as client:
        products = await client.get_products(wanted, "cust_12345")
        assert products["GONE-1"] == Product("GONE-1")  # not answered: still shown
        await client.get_products(wanted, "cust_12345")  # cached: a second card asks nothing
    [sent] = ordergroove.received
    assert [value for key, value in sent.query if key == "external_product_ids[]"] == wanted


@pytest.mark.parametrize("hostile", ["a/b", "x?customer=other", "../customers/1", "a#b", "%2F"])
async def test_an_id_cannot_change_the_path(hostile: str) -> None:
    ordergroove = Ordergroove()
    async with client_of(ordergroove) as client:
        await client.get_subscription(hostile)
        await client.get_customer(hostile)
        await client.get_order(hostile)
        with pytest.raises(ActionError):
            await client.cancel_subscription(hostile, None)
        with pytest.raises(ActionError):
            await client.skip_subscription(hostile, "s")
    for sent, resource in zip(
        ordergroove.received,
        ("subscriptions", "customers", "orders", "subscriptions", "orders"),
        strict=True,
    ):
        # The id stays one segment: its "/", "?", "#" and "%" arrive percent-encoded.
        segments = sent.raw_path.strip("/").split("/")
        assert segments[0] == resource and unquote(segments[1]) == hostile, sent.raw_path
        assert len(segments) == (2 if sent.method == "GET" else 3)
        assert sent.query == []


# --- writes: what is sent, and the failures ----------------------------------------------------


@pytest.mark.parametrize("first", [date(2031, 1, 14), date(2031, 2, 1)])
async def test_reactivate_names_the_first_order_even_today(first: date) -> None:
    """Without `next_order_date` Ordergroove places the first order one period after
    `start_date`; it is sent whenever a first order is named, today included."""
    ordergroove = Ordergroove()
    ordergroove.always(200, {"success": True})
    async with client_of(ordergroove) as client:
        await client.reactivate("s1", 2, Period.WEEK, first, today=date(2031, 1, 14))
    [sent] = ordergroove.received
    assert sent.body == {
        "every": 2,
        "every_period": 2,
        "start_date": first.isoformat(),
        "next_order_date": first.isoformat(),
    }


async def order_action_error(client: OrdergrooveClient, action: str) -> ActionError:
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "skip": lambda: client.skip_subscription(ORDER, "sub-1"),
        "send now": lambda: client.send_now(ORDER),
        "change quantity": lambda: client.change_quantity("sub-1", 2),
    }
    with pytest.raises(ActionError) as caught:
        await calls[action]()
    return caught.value


@pytest.mark.parametrize("action", ["skip", "send now"])
async def test_an_order_action_answered_500_without_a_body_reads_as_a_closed_order(
    action: str,
) -> None:
    """ENDPOINTS.md: Ordergroove answers an order action 500 with an empty body when the order
    is no longer open."""
    ordergroove = Ordergroove()
    ordergroove.otherwise = (500, b"")
    async with client_of(ordergroove) as client:
        error = await order_action_error(client, action)
    assert error.reason is Reason.NEXT_ORDER_CHANGED
    assert error.message == (
        f"Order {ORDER} is no longer open at Ordergroove (placed, rejected or skipped since the "
        f"card loaded); refresh the card."
    )
    assert error.upstream_status == 500


@pytest.mark.parametrize(
    ("action", "answer"),
    [
        ("change quantity", (500, b"")),  # not an order action
        ("skip", json_answer(500, {"detail": "A server error occurred."})),  # a body: a failure
    ],
)
async def test_other_server_errors_read_as_unavailable(action: str, answer: Answer) -> None:
    ordergroove = Ordergroove()
    ordergroove.otherwise = answer
    async with client_of(ordergroove) as client:
        error = await order_action_error(client, action)
    assert error.reason is Reason.UPSTREAM_UNAVAILABLE
    assert error.message == "Ordergroove is not available right now; please try again shortly."


async def test_a_refused_key_is_said_in_ordergrooves_words_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    revoked = Exchange.named("pull/items/api_error")
    ordergroove = Ordergroove()
    ordergroove.always(401, revoked.answer)
    async with client_of(ordergroove) as client:
        with pytest.raises(ActionError) as caught:
            await client.change_quantity("sub-1", 2)
    assert caught.value.reason is Reason.UPSTREAM_UNAVAILABLE
    assert caught.value.message == (
        "Ordergroove refused this integration's API key (The provided API key is invalid or has "
        "been revoked.); an administrator must replace it."
    )
    [logged] = [r for r in caplog.records if "ORDERGROOVE_API_KEY" in r.getMessage()]
    assert logged.levelname == "ERROR" and API_KEY not in logged.getMessage()


# --- fields Ordergroove typed badly: one subscription, not the card ---------------------------

CUSTOMER = Exchange.named("pull/customers/success").answer["results"][0]
ABSURD = b"""{"results": [
  {"public_id": "absurd", "customer": "6113212727447", "product": "P1", "live": true,
   "quantity": 1e400, "every": "every day", "every_period": 99, "price": {"amount": 1},
   "created": "0001-01-01 00:00:00", "updated": "9999-12-31 23:59:59", "cancelled": "null",
   "prepaid_subscription_context": {"prepaid_orders_remaining": 1e400,
     "prepaid_orders_per_billing": -1e400, "renewal_behavior": ["autorenew"]}},
  {"public_id": "huge", "customer": "6113212727447", "product": "P1", "live": true,
   "quantity": 100000000000000000000000000000, "every": 1, "every_period": 3},
  {"public_id": "fine", "customer": "6113212727447", "product": "P1", "live": true,
   "quantity": 2, "every": 1, "every_period": 3, "price": "9.99"}
]}"""


async def test_an_absurd_field_costs_that_field_not_the_card() -> None:
    """`"quantity": 1e400` is infinite once parsed; 10**30 does not fit the API's int32: the
    subscription is shown with what can be read, and the rest of the card as it is."""
    ordergroove = Ordergroove()
    ordergroove.on("GET", f"/customers/{CUSTOMER['merchant_user_id']}/", 200, CUSTOMER)
    ordergroove.answers["GET", "/subscriptions/"] = (200, ABSURD)
    ordergroove.always(200, {"next": None, "previous": None, "results": []})
    async with (
        serving(ordergroove) as url,
        running_service(service_settings(url, "http://127.0.0.1:9")) as service,
    ):
        card = await service.stub.GetSubscriptions(
            pb.GetSubscriptionsRequest(customer_id=CUSTOMER["merchant_user_id"])
        )
    absurd, huge, fine = card.subscriptions
    assert (absurd.subscription_id, absurd.quantity, absurd.frequency.every) == ("absurd", 1, 0)
    assert absurd.price == ""  # an object where a string belongs
    assert absurd.frequency.period == pb.FREQUENCY_PERIOD_UNSPECIFIED
    assert not absurd.HasField("create_time") and not absurd.HasField("cancel_time")
    assert not absurd.prepaid_plan.HasField("orders_remaining")
    assert (huge.subscription_id, huge.quantity) == ("huge", 1)
    assert (fine.quantity, fine.price, fine.status) == (2, "9.99", pb.SUBSCRIPTION_STATUS_ACTIVE)
    assert card.active_count == 3


async def test_a_card_with_an_unreadable_answer_fails_as_unavailable_not_internal() -> None:
    """A whole answer that is not JSON is Ordergroove's failure, not ours."""
    ordergroove = Ordergroove()
    ordergroove.on("GET", f"/customers/{CUSTOMER['merchant_user_id']}/", 200, CUSTOMER)
    ordergroove.answers["GET", "/subscriptions/"] = (200, b'{"results": [')
    ordergroove.always(200, {"next": None, "previous": None, "results": []})
    async with (
        serving(ordergroove) as url,
        running_service(service_settings(url, "http://127.0.0.1:9")) as service,
    ):
        failure = await fails(
            service.stub.GetSubscriptions(
                pb.GetSubscriptionsRequest(customer_id=CUSTOMER["merchant_user_id"])
            )
        )
    assert (failure.code, failure.reason) == (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
