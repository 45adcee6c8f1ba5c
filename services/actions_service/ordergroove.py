"""A thin adapter for Ordergroove's REST API: fetch and send, parse defensively, map failures.

Ordergroove's refusals keep Ordergroove's own words (ORDERGROOVE_REJECTED, or not found); an
order action answered 500 with an empty body means the order is no longer open; its other
server errors and transport failures become UPSTREAM_UNAVAILABLE without their internals.
The answers' shapes are those recorded from the real API (tests/fixtures/ordergroove_recorded.json).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Generic, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from async_lru import alru_cache

from actions.contract import MAX_ID_LENGTH
from common.config import DEFAULT_ORDERGROOVE_TIMEZONE
from services.actions_service.concurrency import task_group
from services.actions_service.domain import (
    ORDER_STATUS_UNSENT,
    Customer,
    Incentive,
    Order,
    OrderLine,
    Period,
    PrepaidPlan,
    Product,
    ShippingAddress,
    Subscription,
    is_id,
    split_cancel_reason,
)
from services.actions_service.errors import ActionError, Reason, UpstreamUnavailable
from services.actions_service.upstream import Response, RetryPolicy, Upstream, pooled_client

log = logging.getLogger(__name__)

SYSTEM = "Ordergroove"
PAGE_SIZE = 100  # Ordergroove's maximum: fewer sequential round trips for large customers.
# Ordergroove asks for at most 5 concurrent paginating requests: every request of a paginating
# listing made for one customer (its subscriptions, orders and products, and any page after an
# order's first page of items) counts against one limit. An order's items are one read, not a
# paginating listing: Gladly's own app reads them with one `GET /items?order=<id>` and
# Ordergroove's recorded answer to it is `{"results": [...]}` with no `next` and no `count`. So
# the first request for each order's items is sent at once; only a `next` it names (an order of
# more items than a page holds) waits for a slot. Ordergroove documents no filter that reads
# the items of several orders in one request.
MAX_CONCURRENT_PAGES = 5
# Pages are cursors with this header (page numbers are deprecated): `next` holds `?cursor=`.
API_VERSION_HEADERS = {"X-OG-API-VERSION": "2"}
# Products asked for in one `external_product_ids[]` request; bounds the URL's length.
PRODUCTS_PER_REQUEST = 50
REASONS_TTL_SECONDS = 60.0
# Enough for the first page of a card's orders to come (100) to have all its items read at once
# beside the card's other requests; a bound, so that one process never opens more than this
# many connections to Ordergroove.
MAX_CONNECTIONS = 128
PRODUCT_TTL_SECONDS = 60.0
PRODUCT_CACHE_SIZE = 10_000

# What a parsed number or date must fit: the API's int32 fields and protobuf's Timestamp (years
# 1 to 9999, with a year to spare at each end for the zone conversions).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MIN_YEAR, MAX_YEAR = 2, 9998

Json = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Discount:
    """A one-time discount to create: on the order, or on one item of it (`item_id`)."""

    customer_id: str
    order_id: str
    item_id: str  # "" for the whole order
    percent: bool  # else an amount
    value: str  # a decimal, as Ordergroove takes it ("5", "7.50")
    name: str
    description: str


@dataclass(frozen=True)
class Written(Generic[T]):
    """What a write returned, and the HTTP status it was answered with (for the audit log)."""

    value: T
    status: int


class PagingLimit:
    """At most `limit` listing requests in flight at a time per key (a customer id)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._gates: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        gate, users = self._gates.get(key) or (asyncio.Semaphore(self._limit), 0)
        self._gates[key] = (gate, users + 1)
        try:
            async with gate:
                yield
        finally:
            gate, users = self._gates[key]
            if users == 1:
                del self._gates[key]
            else:
                self._gates[key] = (gate, users - 1)


class ProductCache:
    """Products by `external_product_id` for a short while. An entry is a future, so that
    concurrent cards asking for one product share one request."""

    def __init__(self, size: int, ttl: float) -> None:
        self._size, self._ttl = size, ttl
        self._entries: OrderedDict[str, tuple[float, asyncio.Future[Product]]] = OrderedDict()

    def get(self, product_id: str) -> asyncio.Future[Product] | None:
        entry = self._entries.get(product_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def claim(self, product_id: str) -> asyncio.Future[Product]:
        future: asyncio.Future[Product] = asyncio.get_running_loop().create_future()
        self._entries[product_id] = (time.monotonic() + self._ttl, future)
        self._entries.move_to_end(product_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return future

    def forget(self, product_id: str, future: asyncio.Future[Product]) -> None:
        entry = self._entries.get(product_id)
        if entry is not None and entry[1] is future:
            del self._entries[product_id]

    def clear(self) -> None:
        self._entries.clear()


class OrdergrooveClient:
    def __init__(
        self, upstream: Upstream, *, timezone: tzinfo | None = None, merchant_id: str = ""
    ) -> None:
        self._upstream = upstream
        # The merchant's Ordergroove id: its one-time discounts name it.
        self.merchant_id = merchant_id
        # Ordergroove's timestamps carry no zone; they are read in the merchant's.
        self.timezone = timezone or ZoneInfo(DEFAULT_ORDERGROOVE_TIMEZONE)
        self._paging = PagingLimit(MAX_CONCURRENT_PAGES)
        # Products change rarely and every card needs them: a short-lived cache saves a round
        # of requests per card. Subscriptions and orders are never cached: a refresh must show
        # the new state.
        self._products = ProductCache(PRODUCT_CACHE_SIZE, PRODUCT_TTL_SECONDS)
        self._reason_codes = alru_cache(maxsize=1, ttl=REASONS_TTL_SECONDS)(
            self._fetch_reason_codes
        )

    @classmethod
    def create(
        cls,
        base_url: str,
        api_key: str,
        *,
        policy: RetryPolicy | None = None,
        timezone: tzinfo | None = None,
        merchant_id: str = "",
    ) -> OrdergrooveClient:
        client = pooled_client(
            base_url,
            max_connections=MAX_CONNECTIONS,
            headers={"x-api-key": api_key, "accept": "application/json", **API_VERSION_HEADERS},
        )
        return cls(Upstream(SYSTEM, client, policy), timezone=timezone, merchant_id=merchant_id)

    async def aclose(self) -> None:
        self._products.clear()
        self._reason_codes.cache_clear()
        await self._upstream.aclose()

    # --- reads ---------------------------------------------------------------------------------

    async def get_customer(self, customer_id: str) -> Customer | None:
        body = await self._get_or_none(_path("customers", customer_id))
        return None if body is None else parse_customer(body)

    async def find_customer_by_email(self, email: str) -> Customer | None:
        page = await self._get_json("/customers/", {"email": email})
        results = _results(page)
        return parse_customer(results[0]) if results else None

    async def get_subscription(self, subscription_id: str) -> Subscription | None:
        body = await self._get_or_none(_path("subscriptions", subscription_id))
        return None if body is None else parse_subscription(body, self.timezone)

    async def list_subscriptions(self, customer_id: str) -> list[Subscription]:
        rows = await self._get_all("/subscriptions/", {"customer": customer_id}, customer_id)
        return [parse_subscription(row, self.timezone) for row in rows]

    async def list_unsent_orders(self, subscription_id: str, customer_id: str) -> list[Order]:
        return await self._unsent_orders({"subscription": subscription_id}, customer_id)

    async def read_customer_unsent_orders(
        self, customer_id: str, on_page: Callable[[list[Order]], object]
    ) -> None:
        """Hands `on_page` each page of the customer's orders to come as it arrives, so that the
        caller can start on the first orders while later pages load."""
        await self._unsent_orders({"customer": customer_id}, customer_id, on_page)

    async def _unsent_orders(
        self,
        params: dict[str, str],
        customer_id: str,
        on_page: Callable[[list[Order]], object] | None = None,
    ) -> list[Order]:
        def parse_page(rows: list[Json]) -> list[Order]:
            orders = [parse_order(row, self.timezone) for row in rows]
            if on_page is not None:
                on_page(orders)
            return orders

        pages = await self._get_pages(
            "/orders/",
            {**params, "status": str(ORDER_STATUS_UNSENT.value)},
            parse_page,
            customer_id,
        )
        return [order for page in pages for order in page]

    async def get_product(self, product_id: str, customer_id: str) -> Product:
        return (await self.get_products([product_id], customer_id))[product_id]

    async def get_products(
        self, product_ids: Iterable[str], customer_id: str
    ) -> dict[str, Product]:
        """Products by `external_product_id`; those not cached are asked for in one request
        (`external_product_ids[]=A&external_product_ids[]=B`, as Gladly's own app does)."""
        cached: dict[str, asyncio.Future[Product]] = {}
        missing: list[str] = []
        for pid in dict.fromkeys(product_ids):
            future = self._products.get(pid)
            if future is None:
                missing.append(pid)
            else:
                cached[pid] = future
        claimed = {pid: self._products.claim(pid) for pid in missing}
        if claimed:
            await self._fill(missing, claimed, customer_id)
        futures = {**cached, **claimed}
        return {pid: await asyncio.shield(future) for pid, future in futures.items()}

    async def _fill(
        self, missing: list[str], claimed: dict[str, asyncio.Future[Product]], customer_id: str
    ) -> None:
        try:
            async with task_group() as group:
                for start in range(0, len(missing), PRODUCTS_PER_REQUEST):
                    chunk = missing[start : start + PRODUCTS_PER_REQUEST]
                    group.create_task(self._fetch_products(chunk, claimed, customer_id))
        except BaseException as error:
            for pid, future in claimed.items():
                self._products.forget(pid, future)
                if not future.done():
                    future.set_exception(_as_exception(error))
                    future.exception()  # retrieved: waiters re-raise it, no warning
            raise

    async def _fetch_products(
        self, ids: list[str], claimed: dict[str, asyncio.Future[Product]], customer_id: str
    ) -> None:
        params = [("external_product_ids[]", pid) for pid in ids]
        rows = await self._get_all("/products/", params, customer_id)
        found = {product.product_id: product for product in map(parse_product, rows)}
        for pid in ids:
            # A product Ordergroove no longer has must not hide the subscription from the agent.
            claimed[pid].set_result(found.get(pid) or Product(pid))

    async def list_cancel_reason_codes(self) -> list[str]:
        """The merchant's reason codes ("12", "TOO_EXPENSIVE"), in Ordergroove's order."""
        return list(await self._reason_codes())

    async def _fetch_reason_codes(self) -> tuple[str, ...]:
        rows = await self._get_all("/merchant/cancel_reason/", {}, "")
        codes = (parse_cancel_reason_code(row) for row in rows)
        return tuple(dict.fromkeys(code for code in codes if code))

    async def get_order(self, order_id: str) -> Order | None:
        body = await self._get_or_none(_path("orders", order_id))
        return None if body is None else parse_order(body, self.timezone)

    async def order_lines(self, order_id: str, customer_id: str) -> list[OrderLine]:
        """What the order holds: each item's subscription (empty for a one-off), product and
        quantity (recorded `getOrderItems`: `subscription`, `product`, `quantity`)."""
        rows = await self._get_all("/items/", {"order": order_id}, customer_id, single_read=True)
        return [
            OrderLine(
                _str(row.get("subscription")),
                _str(row.get("product")),
                _int(row.get("quantity")),
                item_id=_str(row.get("public_id")),
                price=_str(row.get("price")),
            )
            for row in rows
        ]

    async def list_addresses(self, customer_id: str) -> list[ShippingAddress]:
        """The customer's live addresses (Ordergroove docs, Addresses: List, `customer` and
        `live` filters), in one listing for the whole card."""
        params = {"customer": customer_id, "live": "True"}
        rows = await self._get_all("/addresses/", params, customer_id)
        return [parse_address(row) for row in rows]

    async def get_address(self, address_id: str) -> ShippingAddress | None:
        """One address (recorded getShippingAddress: `GET /addresses/{id}/`)."""
        body = await self._get_or_none(_path("addresses", address_id))
        return None if body is None else parse_address(body)

    async def find_products(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """Products as Ordergroove holds them now (live, autoship-enabled), never cached: a
        swap checks the product it sends. Those Ordergroove does not have are left out."""
        async with task_group() as group:
            tasks = [
                group.create_task(self._get_or_none(_path("products", pid)))
                for pid in dict.fromkeys(product_ids)
            ]
        products = (parse_product(body) for task in tasks if (body := task.result()) is not None)
        return {product.product_id: product for product in products}

    async def list_swap_products(self, customer_id: str, search: str = "") -> list[Product]:
        """The merchant's products a subscription may ship: Ordergroove's products list holds
        only the autoship-enabled, not discontinued ones (docs, Products: List); `search`
        matches their names. One page of at most PAGE_SIZE: a form lists no more."""
        params = {"search": search, "fields": "name"} if search else {}
        query = [*_pairs(params), ("page_size", str(PAGE_SIZE))]
        async with self._paging.slot(customer_id):
            page = await self._get_json("/products/", query)
        products = [parse_product(row) for row in _results(page)]
        return [product for product in products if product.offered_for_subscription]

    async def list_incentives(
        self, customer_id: str, *, order_id: str = "", item_id: str = ""
    ) -> list[Incentive]:
        """The customer's one-time incentives on an order or an item (Ordergroove docs, One
        Time Incentives: List, filters `customer`, `order`, `item`)."""
        params = {"customer": customer_id}
        params.update({"order": order_id} if order_id else {"item": item_id})
        rows = await self._get_all("/one_time_incentives/", params, customer_id)
        return [parse_incentive(row) for row in rows]

    # --- writes --------------------------------------------------------------------------------

    async def cancel_subscription(
        self, subscription_id: str, cancel_reason: str | None
    ) -> Written[Subscription]:
        """`cancel_reason` is `code|details`; None sends `{}` (no reason)."""
        response = await self._upstream.request(
            "PATCH",
            _path("subscriptions", subscription_id, "cancel"),
            json={} if cancel_reason is None else {"cancel_reason": cancel_reason},
        )
        body = _json_or_raise(response)
        return Written(parse_subscription(body, self.timezone), response.status_code)

    async def skip_subscription(self, order_id: str, subscription_id: str) -> Written[Order]:
        response = await self._upstream.request(
            "PATCH",
            _path("orders", order_id, "skip_subscription"),
            json={"subscription": subscription_id},
        )
        body = _json_or_raise(response, order_id=order_id)
        return Written(parse_order(body, self.timezone), response.status_code)

    async def reactivate(
        self, subscription_id: str, every: int, period: Period, first_order: date, today: date
    ) -> int:
        """Answers `{"success": true}` (recorded): the status only. The first order's date is
        sent as `next_order_date` (not in the past: today is allowed), and as `start_date`:
        without `next_order_date` the first order would be one period after `start_date`."""
        day = max(first_order, today).isoformat()
        body: Json = {
            "every": every,
            "every_period": period.value,
            "start_date": day,
            "next_order_date": day,
        }
        return await self._patch(_path("subscriptions", subscription_id, "reactivate"), body)

    async def change_next_order_date(self, subscription_id: str, order_date: date) -> int:
        """The answer carries no date: the caller re-reads the orders."""
        path = _path("subscriptions", subscription_id, "change_next_order_date")
        return await self._patch(path, {"order_date": order_date.isoformat()})

    async def change_frequency(self, subscription_id: str, every: int, period: Period) -> int:
        path = _path("subscriptions", subscription_id, "change_frequency")
        return await self._patch(path, {"every": every, "every_period": period.value})

    async def change_quantity(self, subscription_id: str, quantity: int) -> int:
        path = _path("subscriptions", subscription_id, "change_quantity")
        return await self._patch(path, {"quantity": quantity})

    async def change_renewal_behavior(self, subscription_id: str, behavior: str) -> int:
        path = _path("subscriptions", subscription_id, "change_renewal_behavior")
        return await self._patch(path, {"renewal_behavior": behavior})

    async def send_now(self, order_id: str) -> int:
        return (await self.send_order_now(order_id)).status

    async def send_order_now(self, order_id: str) -> Written[Order]:
        """Ordergroove answers the order as it now is: status 6 (SEND_NOW), `place` now
        (recorded sendOrderNow/live_response)."""
        response = await self._upstream.request("PATCH", _path("orders", order_id, "send_now"))
        body = _json_or_raise(response, order_id=order_id)
        return Written(parse_order(body, self.timezone), response.status_code)

    async def change_item_quantity(self, item_id: str, quantity: int, order_id: str) -> int:
        """Recorded changeItemQuantity: `{"quantity": n}`; answers the item."""
        response = await self._upstream.request(
            "PATCH", _path("items", item_id, "change_quantity"), json={"quantity": quantity}
        )
        _json_or_raise(response, order_id=order_id)
        return response.status_code

    async def delete_item(self, item_id: str, order_id: str) -> int:
        """Recorded deleteOrderItem: `DELETE /items/{id}/delete/`, answered 200 or 204 with no
        body."""
        response = await self._upstream.request("DELETE", _path("items", item_id, "delete"))
        if not response.is_success:
            raise error_for(response, order_id=order_id)
        return response.status_code

    async def cancel_order(self, order_id: str) -> int:
        """Recorded cancelOrder: no body; answers the order (status 4, CANCELLED)."""
        response = await self._upstream.request("PATCH", _path("orders", order_id, "cancel"))
        _json_or_raise(response, order_id=order_id)
        return response.status_code

    async def create_discount(self, discount: Discount) -> int:
        """Recorded issueOneTimeDiscount: `POST /one_time_incentives/create/` naming the
        merchant, the customer and exactly one of `item` or `order`; `value` is a string.
        Answered 201 (200 is also success)."""
        on_item = discount.item_id != ""
        body: Json = {
            "merchant": self.merchant_id,
            "customer": discount.customer_id,
            **({"item": discount.item_id} if on_item else {"order": discount.order_id}),
            "description": discount.description,
            "incentive": {
                "name": discount.name,
                "discount_type": "Discount Percent" if discount.percent else "Discount Amount",
                "value": discount.value,
                "field": "total_price" if on_item else "sub_total",
                "type": "Discount",
                "target": "item" if on_item else "order",
            },
        }
        response = await self._upstream.request("POST", "/one_time_incentives/create/", json=body)
        # The answer is not read (a recorded 201 has `{}`): its status says it was created.
        if not response.is_success:
            raise error_for(response, order_id=discount.order_id)
        return response.status_code

    async def change_product(self, subscription_id: str, product_id: str) -> int:
        path = _path("subscriptions", subscription_id, "change_product")
        return await self._patch(path, {"product": product_id})

    async def change_shipping_address(self, subscription_id: str, address_id: str) -> int:
        path = _path("subscriptions", subscription_id, "change_shipping")
        return await self._patch(path, {"shipping_address": address_id})

    async def _patch(self, path: str, body: Json | None) -> int:
        """A write whose answer the caller does not use (it re-reads): its status, or the error."""
        response = await self._upstream.request("PATCH", path, json=body)
        _json_or_raise(response)
        return response.status_code

    # --- plumbing ------------------------------------------------------------------------------

    async def _get_json(self, path: str, params: Params | None = None) -> Json:
        response = await self._upstream.request("GET", path, params=params)
        return _json_or_raise(response)

    async def _get_or_none(self, path: str) -> Json | None:
        response = await self._upstream.request("GET", path)
        if response.status_code == 404:
            return None
        return _json_or_raise(response)

    async def _get_all(
        self, path: str, params: Params, customer_id: str, *, single_read: bool = False
    ) -> list[Json]:
        """Every row of a paginated list."""
        pages = await self._get_pages(
            path, params, lambda rows: rows, customer_id, single_read=single_read
        )
        return [row for page in pages for row in page]

    async def _get_pages(
        self,
        path: str,
        params: Params,
        parse: Callable[[list[Json]], T],
        customer_id: str,
        *,
        single_read: bool = False,
    ) -> list[T]:
        """Every page of a cursor-paginated list, in order, each parsed as soon as it arrives.
        Cursors are sequential: each `next` is followed once the page naming it is in. Every
        request holds one of the customer's paging slots while it is in flight, except the
        first of a `single_read` (see MAX_CONCURRENT_PAGES)."""
        query = [*_pairs(params), ("page_size", str(PAGE_SIZE))]
        parsed: list[T] = []
        url: str | None = path
        while url is not None:
            first = url == path
            slot = nullcontext() if first and single_read else self._paging.slot(customer_id)
            async with slot:
                page = await self._get_json(url, query if first else None)
            parsed.append(parse(_results(page)))
            next_url = page.get("next")
            # A `next` is followed only to Ordergroove itself (upstream.HttpClient.url).
            url = next_url if isinstance(next_url, str) and next_url else None
        return parsed


Params = dict[str, str] | list[tuple[str, str]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, dict) else list(params)


def _path(*segments: str) -> str:
    """An API path with each segment percent-encoded: an id cannot add segments or a query."""
    return "/" + "/".join(quote(segment, safe="") for segment in segments) + "/"


def _as_exception(error: BaseException) -> BaseException:
    # A cancelled fetch must not cancel the cards that merely waited for the same product.
    return UpstreamUnavailable(SYSTEM) if isinstance(error, asyncio.CancelledError) else error


def _results(page: Json) -> list[Json]:
    results = page.get("results")
    return [row for row in results if isinstance(row, dict)] if isinstance(results, list) else []


# --- failures ------------------------------------------------------------------------------------


def _json_or_raise(response: Response, *, order_id: str = "") -> Json:
    """The answer's JSON object, or the error it stands for. `order_id` names the order of an
    order action (Ordergroove's 500 with an empty body then means the order is not open)."""
    if response.is_success:
        body = _json(response)
        if isinstance(body, dict):
            return body
        log.warning("Ordergroove answered %s with a body that is not an object", response.url.path)
        raise UpstreamUnavailable(SYSTEM)
    raise error_for(response, order_id=order_id)


def error_for(response: Response, *, order_id: str = "") -> ActionError:
    """Map a non-success answer to the error the caller sees."""
    error = _error_for(response, order_id)
    error.upstream_status = response.status_code
    return error


def _error_for(response: Response, order_id: str) -> ActionError:
    status, words = response.status_code, ordergroove_message(_json(response))
    if status in (400, 409, 422):
        return ActionError(
            Reason.ORDERGROOVE_REJECTED,
            words or "Ordergroove refused the change.",
            ordergroove_status=str(status),
        )
    if status == 404:
        # Recorded: `{"error": "Subscription not found"}` (getSubscriptionById/not_found).
        return ActionError(
            Reason.SUBSCRIPTION_NOT_FOUND, words or "Ordergroove has no such record."
        )
    if status == 500 and order_id and not response.content.strip():
        # ENDPOINTS.md, "Shared error handling": an order or item action answered 500 with an
        # empty body means the order is no longer open.
        return ActionError(
            Reason.NEXT_ORDER_CHANGED,
            f"Order {order_id} is no longer open at Ordergroove (placed, rejected or skipped "
            f"since the card loaded); refresh the card.",
            order_id=order_id,
        )
    if status in (401, 403):
        # Recorded data/pull/items/api_error: 401 `{"detail": "The provided API key is invalid
        # or has been revoked."}`. Not the agent's to fix, nor to be retried.
        log.error(
            "Ordergroove refused our API key (%d: %s): check ORDERGROOVE_API_KEY", status, words
        )
        return ActionError(
            Reason.UPSTREAM_UNAVAILABLE,
            f"Ordergroove refused this integration's API key ({words or status}); an "
            f"administrator must replace it.",
            system=SYSTEM,
        )
    log.warning("Ordergroove answered %d to %s", status, response.url.path)
    return UpstreamUnavailable(SYSTEM)


def ordergroove_message(body: Any) -> str:
    """Ordergroove's own words from a Django-REST-style error body."""
    if isinstance(body, str):
        return body.strip()
    if isinstance(body, list):
        return " ".join(filter(None, (ordergroove_message(item) for item in body)))
    if isinstance(body, dict):
        if "detail" in body:
            return ordergroove_message(body["detail"])
        return " ".join(filter(None, (ordergroove_message(value) for value in body.values())))
    return ""


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# --- parsing: Ordergroove's JSON is not always typed as documented -----------------------------


def parse_customer(row: Json) -> Customer:
    return Customer(
        customer_id=_str(row.get("merchant_user_id")),
        first_name=_str(row.get("first_name")),
        last_name=_str(row.get("last_name")),
        email=_str(row.get("email")),
        phone_number=_str(row.get("phone_number")),
    )


def parse_subscription(row: Json, zone: tzinfo) -> Subscription:
    code, details = split_cancel_reason(_str(row.get("cancel_reason")))
    return Subscription(
        subscription_id=_str(row.get("public_id")),
        customer_id=_str(row.get("customer")),
        product_id=_str(row.get("product")),
        live=_bool(row.get("live")),
        quantity=_int(row.get("quantity"), default=1),
        price=_str(row.get("price")),
        currency_code=_str(row.get("currency_code")),
        every=_int(row.get("every")),
        period=_period(row.get("every_period")),
        prepaid_plan=parse_prepaid(row.get("prepaid_subscription_context")),
        created_at=parse_datetime(row.get("created"), zone),
        updated_at=parse_datetime(row.get("updated"), zone),
        cancelled_at=parse_datetime(row.get("cancelled"), zone),
        # An integer, though some recorded answers carry it as a string ("4").
        cancel_reason_code=_code(row.get("cancel_reason_code")) or _code(code),
        cancel_reason_details=details,
        shipping_address_id=_str(row.get("shipping_address")),
    )


def parse_prepaid(context: Any) -> PrepaidPlan | None:
    """`prepaid_subscription_context`: null unless prepaid."""
    if not isinstance(context, dict):
        return None
    return PrepaidPlan(
        orders_remaining=_optional_int(context.get("prepaid_orders_remaining")),
        orders_per_billing=_optional_int(context.get("prepaid_orders_per_billing")),
        renewal_behavior=_str(context.get("renewal_behavior")),
    )


def parse_order(row: Json, zone: tzinfo) -> Order:
    """`status` is an integer code (`OrderStatus`, or one Ordergroove does not document);
    `cancelled` may be the string "null" (recorded data/pull/orders/cancelled_string_null)."""
    return Order(
        order_id=_str(row.get("public_id")),
        status=_int(row.get("status")),
        place_at=parse_datetime(row.get("place"), zone),
        cancelled_at=parse_datetime(row.get("cancelled"), zone),
        rejected_message=rejected_message(row.get("rejected_message")),
    )


def rejected_message(value: Any) -> str:
    """Why placing failed: prose, or JSON in a string whose `message` says it (recorded
    data/pull/orders/rejected_message_json: `{"code": "500", "message": "Expiration Date is
    in the past."}`); JSON without a message is kept as it came."""
    text = _str(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    message = parsed.get("message") if isinstance(parsed, dict) else None
    return _str(message) or text


def parse_product(row: Json) -> Product:
    """Products have no `public_id`: their id is the merchant's `external_product_id`. A flag
    Ordergroove leaves out is taken as set (its products list holds only live, autoship-enabled
    products)."""
    return Product(
        product_id=_str(row.get("external_product_id")),
        name=_str(row.get("name")),
        sku=_str(row.get("sku")),
        image_url=_str(row.get("image_url")),
        price=_str(row.get("price")),
        live=_bool(row.get("live", True)),
        autoship_enabled=_bool(row.get("autoship_enabled", True)),
        discontinued=_bool(row.get("discontinued", False)),
    )


def parse_address(row: Json) -> ShippingAddress:
    """Recorded getShippingAddress: names, `address`, `address2`, `city`,
    `state_province_code`, `zip_postal_code`, `country_code`; any may be null."""
    name = " ".join(filter(None, (_str(row.get("first_name")), _str(row.get("last_name")))))
    region = " ".join(
        filter(None, (_str(row.get("state_province_code")), _str(row.get("zip_postal_code"))))
    )
    parts = (
        name,
        _str(row.get("company_name")),
        _str(row.get("address")),
        _str(row.get("address2")),
        _str(row.get("city")),
        region,
        _str(row.get("country_code")),
    )
    return ShippingAddress(
        address_id=_str(row.get("public_id")),
        customer_id=_str(row.get("customer")),
        live=_bool(row.get("live", True)),
        label=_str(row.get("label")),
        text=", ".join(filter(None, parts)),
    )


def parse_incentive(row: Json) -> Incentive:
    return Incentive(
        incentive_id=_str(row.get("public_id")),
        order_id=_str(row.get("order")),
        item_id=_str(row.get("item")),
        description=_str(row.get("description")),
    )


def parse_cancel_reason_code(row: Json) -> str:
    """`{"cancel_reason": "101", "application": "storefront"}`: a code and no words. The code
    is a string — digits or a name ("TOO_EXPENSIVE") — or null (recorded
    getCancellationReasons/merchant_reasons), an integer in an older recording."""
    return _code(row.get("cancel_reason"))


def parse_datetime(value: Any, zone: tzinfo) -> datetime | None:
    """Ordergroove sends `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD` without a zone (read in the
    merchant's `zone`), or ISO 8601 with one. Kept in the merchant's zone, so that a date shown
    is the merchant's calendar date. Anything else — the string "null", a date no calendar
    holds, a year at the ends of time — is no date."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            return None
        parsed = datetime(day.year, day.month, day.day)
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)


def _str(value: Any) -> str:
    """Text as Ordergroove sent it; "" for none, and for an object or a list where a string
    belongs."""
    if isinstance(value, str | int | float):
        return str(value).strip()
    return ""


def _code(value: Any) -> str:
    """A reason code as text: digits without leading zeros, or a name in the id alphabet
    ("TOO_EXPENSIVE"); "" when there is none or it cannot be one (it would not survive the
    `code|details` of a cancel)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return ""
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return text.lstrip("0") or "0"
    return text if len(text) <= MAX_ID_LENGTH and is_id(text) else ""


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _int(value: Any, default: int = 0) -> int:
    whole = _optional_int(value)
    return default if whole is None else whole


def _optional_int(value: Any) -> int | None:
    """A whole number the API can carry on (a 32-bit integer); None for anything else: null,
    text that is not a number, 1e400 (infinite once parsed), NaN, 10**30."""
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, int) else float(value)
    except (TypeError, ValueError):
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    whole = int(number)
    return whole if INT32_MIN <= whole <= INT32_MAX else None


def _period(value: Any) -> Period | None:
    try:
        return Period(_int(value))
    except ValueError:
        return None
