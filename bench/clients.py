"""The two ways the benchmark reaches Ordergroove's data: as Gladly through a gateway (signed),
and directly with httpx, making the same upstream calls the Actions service makes.

`Direct` uses httpx over aiohttp's connection pool (the service's client until it moved to
aiohttp directly, which spends less CPU per request) with the service's connection limits;
`Direct(plain=True)` reaches Ordergroove with a plain `httpx.AsyncClient` instead, as a caller
without the service would."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport

from bench.baseline import all_rows, get_json
from bench.stack import GLADLY_TOKEN, GLADLY_USER, OG_API_KEY, SIGNING_KEY
from gateway import card
from gateway.card import SubscriptionRef
from gateway.signing import sign
from services.actions_service import gladly as gladly_api
from services.actions_service import ordergroove
from services.actions_service.upstream import KEEPALIVE_SECONDS

CALLERS = 200  # AsGladly's connections to a gateway: more than the widest load level


def pooled_client(base_url: str, *, max_connections: int, **options: Any) -> httpx.AsyncClient:
    """httpx's API over aiohttp's connection pool: httpcore's pool spends CPU per request that
    grows with the requests in flight (encode/httpcore#1035)."""
    pool = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )
    return httpx.AsyncClient(base_url=base_url, transport=AiohttpTransport(limits=pool), **options)


class AsGladly:
    """Signed requests to a gateway (ours or the baseline), as Gladly sends them."""

    def __init__(self, base_url: str) -> None:
        self.http = pooled_client(base_url, max_connections=CALLERS, timeout=30)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = {"accept": "application/json", "content-type": "application/json"}
        headers |= sign(
            SIGNING_KEY, method, path, headers=headers, body=raw, when=datetime.now(UTC)
        )
        return await self.http.request(method, path, content=raw, headers=headers)

    async def detailed_lookup(self, customer_id: str) -> Any:
        query = {"externalCustomerId": customer_id}
        response = await self.request(
            "POST",
            "/gladly/lookup",
            {"lookupLevel": "DETAILED", "query": query, "uniqueMatchRequired": True},
        )
        response.raise_for_status()
        return response.json()

    async def open_form(self, ref: SubscriptionRef, action: str) -> str:
        """The action URL of the subscription's `action` form (a card.BUTTONS segment), as
        Gladly reads it when the agent presses the button."""
        response = await self.request("GET", card.form_url(ref, action))
        response.raise_for_status()
        return str(response.json()["actionUrl"])

    async def skip(self, action_url: str) -> None:
        """Submits a skip form (its URL names the order and the date it showed)."""
        response = await self.request("POST", action_url, {})
        response.raise_for_status()

    async def cancel(self, action_url: str) -> None:
        """Submits a cancel form with a reason."""
        response = await self.request("POST", action_url, {"reason": "12"})
        response.raise_for_status()

    async def change_quantity(
        self, gladly_id: str, customer_id: str, subscription_id: str, shown: int, quantity: int
    ) -> None:
        """Change Quantity's action URL, as its form names it (the quantity it showed)."""
        path = (
            f"/gladly/customers/{gladly_id}/ordergroove/{customer_id}/subscriptions/"
            f"{subscription_id}/change-quantity/quantities/{shown}/submissions/{uuid.uuid4()}"
        )
        response = await self.request("POST", path, {"quantity": str(quantity)})
        response.raise_for_status()


class Direct:
    """The upstream calls of a lookup and of a skip, made directly, concurrently where the
    service makes them concurrently."""

    def __init__(self, ordergroove_url: str, gladly_url: str, *, plain: bool = False) -> None:
        """The service's kind of client, or with `plain` a plain `httpx.AsyncClient` (what a
        caller would write) for Ordergroove; either way the service's connection limits for
        each upstream (`ordergroove.MAX_CONNECTIONS`, `gladly.MAX_CONNECTIONS`)."""
        headers = {"x-api-key": OG_API_KEY}
        connections = ordergroove.MAX_CONNECTIONS
        self.ordergroove = (
            httpx.AsyncClient(
                base_url=ordergroove_url,
                headers=headers,
                limits=httpx.Limits(max_connections=connections),
            )
            if plain
            else pooled_client(ordergroove_url, max_connections=connections, headers=headers)
        )
        self.gladly = pooled_client(
            gladly_url,
            max_connections=gladly_api.MAX_CONNECTIONS,
            auth=(GLADLY_USER, GLADLY_TOKEN),
        )
        self.products: set[str] = set()  # as the service's product cache

    async def aclose(self) -> None:
        await self.ordergroove.aclose()
        await self.gladly.aclose()

    async def lookup(self, customer_id: str) -> None:
        """The customer ‖ the subscriptions, then products not yet known ‖ the unsent orders,
        then each order's items."""
        og = self.ordergroove

        async def subscriptions_and_products() -> None:
            subscriptions = await all_rows(og, "/subscriptions/", customer=customer_id)
            missing = sorted({s["product"] for s in subscriptions} - self.products)
            await asyncio.gather(*(get_json(og, f"/products/{pid}/") for pid in missing))
            self.products.update(missing)

        async def orders_and_items() -> None:
            orders = await all_rows(og, "/orders/", customer=customer_id, status="1")
            await asyncio.gather(*(all_rows(og, "/items/", order=o["public_id"]) for o in orders))

        await asyncio.gather(
            get_json(og, f"/customers/{customer_id}/"),
            subscriptions_and_products(),
            orders_and_items(),
        )

    async def skip(self, gladly_id: str, customer_id: str, subscription_id: str) -> None:
        og, gladly = self.ordergroove, self.gladly
        await gladly.get(f"/api/v1/customer-profiles/{gladly_id}")
        _, subscription, _, orders = await asyncio.gather(
            og.get(f"/customers/{customer_id}/"),
            og.get(f"/subscriptions/{subscription_id}/"),
            gladly.get(f"/api/v1/customers/{gladly_id}/conversations"),
            og.get("/orders/", params={"subscription": subscription_id, "status": "1"}),
        )
        skipped, _ = await asyncio.gather(
            og.patch(
                f"/orders/{_earliest_order_id(orders)}/skip_subscription/",
                json={"subscription": subscription_id},
            ),
            og.get(f"/products/{subscription.json()['product']}/"),
        )
        skipped.raise_for_status()
        await asyncio.gather(
            og.get(f"/subscriptions/{subscription_id}/"),
            og.get("/orders/", params={"subscription": subscription_id, "status": "1"}),
        )


def _earliest_order_id(orders: httpx.Response) -> str:
    """The order that ships first (earliest `place`) in an `/orders/` answer."""
    return str(min(orders.json()["results"], key=lambda o: o["place"])["public_id"])
