"""The two ways the benchmark reaches Ordergroove's data: as Gladly through a gateway (signed),
and directly with httpx, making the same upstream calls the Actions service makes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.baseline import fetch_card
from bench.stack import GLADLY_TOKEN, GLADLY_USER, OG_API_KEY, SIGNING_KEY
from gateway.signing import sign

LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=200)
# The direct calls get the same connection budget as the Actions service's Ordergroove client.
UPSTREAM_LIMITS = httpx.Limits(max_connections=24, max_keepalive_connections=24)


class AsGladly:
    """Signed requests to a gateway (ours or the baseline), as Gladly sends them."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, limits=LIMITS, timeout=30)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = {"accept": "application/json", "content-type": "application/json"}
        headers |= sign(
            SIGNING_KEY, method, path, headers=headers, body=raw, when=datetime.now(UTC)
        )
        return await self.http.request(method, path, content=raw, headers=headers)

    async def detailed_lookup(self, customer_id: str, gladly_id: str = "") -> Any:
        query = {"externalCustomerId": customer_id} | ({"id": gladly_id} if gladly_id else {})
        response = await self.request(
            "POST",
            "/gladly/lookup",
            {"lookupLevel": "DETAILED", "query": query, "uniqueMatchRequired": True},
        )
        response.raise_for_status()
        return response.json()

    async def skip(self, gladly_id: str, subscription_id: str, order_id: str) -> None:
        subscription = f"/gladly/customers/{gladly_id}/subscriptions/{subscription_id}"
        response = await self.request("POST", f"{subscription}/orders/{order_id}/skip", {})
        response.raise_for_status()

    async def cancel(self, gladly_id: str, subscription_id: str) -> None:
        path = f"/gladly/customers/{gladly_id}/subscriptions/{subscription_id}/cancel"
        response = await self.request("POST", path, {"reason": "other"})
        response.raise_for_status()


class Direct:
    """The upstream calls of a lookup and of a skip, made directly, concurrently where the
    service makes them concurrently."""

    def __init__(self, ordergroove_url: str, gladly_url: str) -> None:
        self.ordergroove = httpx.AsyncClient(
            base_url=ordergroove_url, headers={"x-api-key": OG_API_KEY}, limits=UPSTREAM_LIMITS
        )
        self.gladly = httpx.AsyncClient(
            base_url=gladly_url, auth=(GLADLY_USER, GLADLY_TOKEN), limits=LIMITS
        )
        self.products: dict[str, Any] = {}  # as the service's product cache

    async def aclose(self) -> None:
        await self.ordergroove.aclose()
        await self.gladly.aclose()

    async def lookup(self, customer_id: str) -> None:
        await fetch_card(self.ordergroove, customer_id, self.products)

    async def next_order_id(self, subscription_id: str) -> str:
        response = await self.ordergroove.get(
            "/orders/", params={"subscription": subscription_id, "status": "1"}
        )
        orders = response.json()["results"]
        return str(min(orders, key=lambda o: o["place"])["public_id"])

    async def skip(self, gladly_id: str, customer_id: str, subscription_id: str) -> None:
        og, gladly = self.ordergroove, self.gladly
        await gladly.get(f"/api/v1/customer-profiles/{gladly_id}")
        _, subscription, _, orders = await asyncio.gather(
            og.get(f"/customers/{customer_id}/"),
            og.get(f"/subscriptions/{subscription_id}/"),
            gladly.get(f"/api/v1/customers/{gladly_id}/conversations"),
            og.get("/orders/", params={"subscription": subscription_id, "status": "1"}),
        )
        next_order = min(orders.json()["results"], key=lambda o: o["place"])
        skipped, _ = await asyncio.gather(
            og.patch(
                f"/orders/{next_order['public_id']}/skip_subscription/",
                json={"subscription": subscription_id},
            ),
            og.get(f"/products/{subscription.json()['product']}/"),
        )
        skipped.raise_for_status()
        await asyncio.gather(
            og.get(f"/subscriptions/{subscription_id}/"),
            og.get("/orders/", params={"subscription": subscription_id, "status": "1"}),
        )
