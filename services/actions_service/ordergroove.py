"""A thin adapter for Ordergroove's REST API: fetch and send, parse defensively, map failures.

Ordergroove's business-rule refusals keep Ordergroove's own words (ORDERGROOVE_REJECTED); its
server errors and transport failures become UPSTREAM_UNAVAILABLE without their internals.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from async_lru import alru_cache

from services.actions_service.concurrency import task_group
from services.actions_service.domain import (
    ORDER_STATUS_UNSENT,
    CancelReason,
    Customer,
    Order,
    Period,
    Product,
    Subscription,
    split_cancel_reason,
)
from services.actions_service.errors import ActionError, Reason, UpstreamUnavailable
from services.actions_service.upstream import RetryPolicy, Upstream, pooled_client

log = logging.getLogger(__name__)

SYSTEM = "Ordergroove"
PAGE_SIZE = 100  # Ordergroove's maximum: fewer sequential round trips for large customers.
MAX_CONCURRENT_PAGES = 5  # Ordergroove asks for at most 5 concurrent paginating requests.
# Enough for the widest card in two waves (one request per order to come); a bound, so that one
# process never opens more than this many connections to Ordergroove.
MAX_CONNECTIONS = 100
PRODUCT_TTL_SECONDS = 60.0
PRODUCT_CACHE_SIZE = 10_000

Json = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Written(Generic[T]):
    """What a write returned, and the HTTP status it was answered with (for the audit log)."""

    value: T
    status: int


class OrdergrooveClient:
    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream
        self._pages = asyncio.Semaphore(MAX_CONCURRENT_PAGES)
        # Products change rarely and every card needs them: a short-lived cache (which also
        # merges concurrent fetches of one product) saves a round of requests per card.
        # Subscriptions and orders are never cached: a refresh must show the new state.
        self._products = alru_cache(maxsize=PRODUCT_CACHE_SIZE, ttl=PRODUCT_TTL_SECONDS)(
            self._fetch_product
        )

    @classmethod
    def create(
        cls,
        base_url: str,
        api_key: str,
        *,
        policy: RetryPolicy | None = None,
    ) -> OrdergrooveClient:
        client = pooled_client(
            base_url,
            max_connections=MAX_CONNECTIONS,
            headers={"x-api-key": api_key, "accept": "application/json"},
        )
        return cls(Upstream(SYSTEM, client, policy))

    async def aclose(self) -> None:
        self._products.cache_clear()
        await self._upstream.aclose()

    # --- reads ---------------------------------------------------------------------------------

    async def get_customer(self, customer_id: str) -> Customer | None:
        body = await self._get_or_none(f"/customers/{customer_id}/")
        return None if body is None else parse_customer(body)

    async def find_customer_by_email(self, email: str) -> Customer | None:
        page = await self._get_json("/customers/", {"email": email})
        results = _results(page)
        return parse_customer(results[0]) if results else None

    async def get_subscription(self, subscription_id: str) -> Subscription | None:
        body = await self._get_or_none(f"/subscriptions/{subscription_id}/")
        return None if body is None else parse_subscription(body)

    async def list_subscriptions(self, customer_id: str) -> list[Subscription]:
        rows = await self._get_all("/subscriptions/", {"customer": customer_id})
        return [parse_subscription(row) for row in rows]

    async def list_unsent_orders(self, subscription_id: str) -> list[Order]:
        return await self._unsent_orders({"subscription": subscription_id})

    async def read_customer_unsent_orders(
        self, customer_id: str, on_page: Callable[[list[Order]], object]
    ) -> None:
        """Hands `on_page` each page of the customer's orders to come as it arrives, so that the
        caller can start on the first orders while later pages load."""
        await self._unsent_orders({"customer": customer_id}, on_page)

    async def _unsent_orders(
        self, params: dict[str, str], on_page: Callable[[list[Order]], object] | None = None
    ) -> list[Order]:
        def parse_page(rows: list[Json]) -> list[Order]:
            orders = [parse_order(row) for row in rows]
            if on_page is not None:
                on_page(orders)
            return orders

        pages = await self._get_pages(
            "/orders/", {**params, "status": str(ORDER_STATUS_UNSENT)}, parse_page
        )
        return [order for page in pages for order in page]

    async def get_product(self, product_id: str) -> Product:
        return await self._products(product_id)

    async def _fetch_product(self, product_id: str) -> Product:
        body = await self._get_or_none(f"/products/{product_id}/")
        # A product Ordergroove no longer has must not hide the subscription from the agent.
        return Product(product_id) if body is None else parse_product(body)

    async def list_cancel_reasons(self) -> list[CancelReason]:
        rows = await self._get_all("/merchant/cancel_reason/", {})
        return [reason for reason in map(parse_cancel_reason, rows) if reason is not None]

    async def get_order(self, order_id: str) -> Order | None:
        body = await self._get_or_none(f"/orders/{order_id}/")
        return None if body is None else parse_order(body)

    async def subscriptions_in_order(self, order_id: str) -> set[str]:
        """The subscriptions the order holds items of (an item may also be a one-off)."""
        rows = await self._get_all("/items/", {"order": order_id})
        return {sid for row in rows if (sid := _str(row.get("subscription")))}

    # --- writes --------------------------------------------------------------------------------

    async def cancel_subscription(
        self, subscription_id: str, cancel_reason: str
    ) -> Written[Subscription]:
        response = await self._upstream.request(
            "PATCH",
            f"/subscriptions/{subscription_id}/cancel/",
            json={"cancel_reason": cancel_reason},
        )
        return Written(parse_subscription(_json_or_raise(response)), response.status_code)

    async def skip_subscription(self, order_id: str, subscription_id: str) -> Written[Order]:
        response = await self._upstream.request(
            "PATCH",
            f"/orders/{order_id}/skip_subscription/",
            json={"subscription": subscription_id},
        )
        return Written(parse_order(_json_or_raise(response)), response.status_code)

    # --- plumbing ------------------------------------------------------------------------------

    async def _get_json(self, path: str, params: dict[str, str] | None = None) -> Json:
        response = await self._upstream.request("GET", path, params=params)
        return _json_or_raise(response)

    async def _get_or_none(self, path: str) -> Json | None:
        response = await self._upstream.request("GET", path)
        if response.status_code == 404:
            return None
        return _json_or_raise(response)

    async def _get_all(self, path: str, params: dict[str, str]) -> list[Json]:
        """Every row of a paginated list."""
        pages = await self._get_pages(path, params, lambda rows: rows)
        return [row for page in pages for row in page]

    async def _get_pages(
        self, path: str, params: dict[str, str], parse: Callable[[list[Json]], T]
    ) -> list[T]:
        """Every page of a paginated list, in order, each parsed as soon as it arrives. With a
        count, pages 2..n are fetched concurrently (at most MAX_CONCURRENT_PAGES at a time), so
        there are two sequential round trips at most."""
        first = await self._get_json(path, {**params, "page_size": str(PAGE_SIZE)})
        rows = _results(first)
        next_url = first.get("next")
        count = first.get("count")
        if not next_url:
            return [parse(rows)]
        if isinstance(count, int) and rows:
            async with task_group() as group:
                # Requested before the first page is parsed: what a parse starts must not take
                # the connections that the later pages need.
                later = [
                    group.create_task(self._page(_with_page(str(next_url), n), parse))
                    for n in range(2, math.ceil(count / len(rows)) + 1)
                ]
                parsed = [parse(rows)]
            return parsed + [task.result() for task in later]
        parsed = [parse(rows)]
        while next_url:  # cursor pagination has no count: follow `next` one by one
            async with self._pages:
                page = await self._get_json(str(next_url))
            parsed.append(parse(_results(page)))
            next_url = page.get("next")
        return parsed

    async def _page(self, url: str, parse: Callable[[list[Json]], T]) -> T:
        async with self._pages:
            page = await self._get_json(url)
        return parse(_results(page))


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["page"] = str(page)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _results(page: Json) -> list[Json]:
    results = page.get("results")
    return [row for row in results if isinstance(row, dict)] if isinstance(results, list) else []


# --- failures ------------------------------------------------------------------------------------


def _json_or_raise(response: httpx.Response) -> Json:
    if response.is_success:
        body = _json(response)
        if isinstance(body, dict):
            return body
        log.warning("Ordergroove answered %s with a body that is not an object", response.url.path)
        raise UpstreamUnavailable(SYSTEM)
    raise error_for(response)


def error_for(response: httpx.Response) -> ActionError:
    """Map a non-success answer to the error the caller sees."""
    error = _error_for(response)
    error.upstream_status = response.status_code
    return error


def _error_for(response: httpx.Response) -> ActionError:
    status = response.status_code
    if status in (400, 409, 422):
        return ActionError(
            Reason.ORDERGROOVE_REJECTED,
            ordergroove_message(_json(response)) or "Ordergroove refused the change.",
            ordergroove_status=str(status),
        )
    if status == 404:
        return ActionError(Reason.SUBSCRIPTION_NOT_FOUND, "Ordergroove has no such record.")
    if status in (401, 403):
        log.error("Ordergroove refused our API key (%d): check ORDERGROOVE_API_KEY", status)
    else:
        log.warning("Ordergroove answered %d to %s", status, response.request.url.path)
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


def _json(response: httpx.Response) -> Any:
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


def parse_subscription(row: Json) -> Subscription:
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
        prepaid=bool(row.get("prepaid_subscription_context")),
        created_at=parse_datetime(row.get("created")),
        updated_at=parse_datetime(row.get("updated")),
        cancelled_at=parse_datetime(row.get("cancelled")),
        cancel_reason_code=_str(row.get("cancel_reason_code")) or code,
        cancel_reason_details=details,
    )


def parse_order(row: Json) -> Order:
    return Order(
        order_id=_str(row.get("public_id")),
        status=_int(row.get("status")),
        place_at=parse_datetime(row.get("place")),
    )


def parse_product(row: Json) -> Product:
    return Product(
        product_id=_str(row.get("public_id")),
        name=_str(row.get("name")),
        sku=_str(row.get("sku")),
        image_url=_str(row.get("image_url")),
    )


def parse_cancel_reason(row: Json) -> CancelReason | None:
    """The reason list's shape is not documented: accept the plausible key names."""
    code = _first_str(row, "code", "reason_code", "id", "public_id")
    text = _first_str(row, "description", "text", "reason", "name", "label")
    return CancelReason(code, text or code) if code else None


def parse_datetime(value: Any) -> datetime | None:
    """Ordergroove sends `YYYY-MM-DD HH:MM:SS` (no zone, UTC), `YYYY-MM-DD`, or ISO 8601."""
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
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _str(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _first_str(row: Json, *keys: str) -> str:
    return next((_str(row[key]) for key in keys if _str(row.get(key))), "")


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _period(value: Any) -> Period | None:
    try:
        return Period(_int(value))
    except ValueError:
        return None
