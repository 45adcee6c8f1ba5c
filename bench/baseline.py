"""The baseline to beat: what a team would write without gRPC — one Starlette handler that verifies
Gladly's signature and calls Ordergroove with httpx directly, with the same concurrent fan-out.

It reads each subscription's next order on its own (`/orders/?subscription=`), as Ordergroove's
docs show it; the Actions service reads the customer's orders once and each order's items.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.signing import SignatureError, verify

Json = dict[str, Any]


async def get_json(client: httpx.AsyncClient, path: str, **params: str) -> Json:
    response = await client.get(path, params=params or None)
    response.raise_for_status()
    body: Json = response.json()
    return body


async def all_rows(client: httpx.AsyncClient, path: str, **params: str) -> list[Json]:
    first = await get_json(client, path, **params, page_size="100")
    rows: list[Json] = first["results"]
    if first.get("next"):
        pages = range(2, -(-first["count"] // len(rows)) + 1)
        later = await asyncio.gather(
            *(get_json(client, path, **params, page_size="100", page=str(n)) for n in pages)
        )
        rows += [row for page in later for row in page["results"]]
    return rows


async def _next_order(client: httpx.AsyncClient, subscription: Json) -> Json | None:
    if subscription["live"] not in (True, "True", "true"):
        return None
    orders = await all_rows(client, "/orders/", subscription=subscription["public_id"], status="1")
    return min(orders, key=lambda o: o["place"], default=None)


async def fetch_card(client: httpx.AsyncClient, customer_id: str) -> Json | None:
    """Customer and subscriptions at once, then every next order and product at once."""
    customer_response, subscriptions = await asyncio.gather(
        client.get(f"/customers/{customer_id}/"),
        all_rows(client, "/subscriptions/", customer=customer_id),
    )
    if customer_response.status_code == 404:
        return None
    customer_response.raise_for_status()
    product_ids = sorted({s["product"] for s in subscriptions})
    products, next_orders = await asyncio.gather(
        asyncio.gather(*(get_json(client, f"/products/{pid}/") for pid in product_ids)),
        asyncio.gather(*(_next_order(client, s) for s in subscriptions)),
    )
    by_id = dict(zip(product_ids, products, strict=True))
    return {
        "customer": customer_response.json(),
        "subscriptions": [
            {**s, "product": by_id[s["product"]], "next_order": n}
            for s, n in zip(subscriptions, next_orders, strict=True)
        ],
    }


def _gladly_result(card: Json) -> Json:
    customer = card["customer"]
    return {
        "externalCustomerId": customer["merchant_user_id"],
        "name": f"{customer['first_name']} {customer['last_name']}",
        "emails": [{"original": customer["email"]}],
        "transactions": [
            {
                "type": "SUBSCRIPTION",
                "id": s["public_id"],
                "status": "ACTIVE" if s["live"] else "CANCELLED",
                "productName": s["product"]["name"],
                "price": f"{s['price']} {s['currency_code']}",
                "nextOrderDate": (s["next_order"] or {}).get("place", ""),
            }
            for s in card["subscriptions"]
        ],
    }


def create_app(ordergroove_url: str, api_key: str, signing_keys: list[str]) -> Starlette:
    client = httpx.AsyncClient(base_url=ordergroove_url, headers={"x-api-key": api_key})

    async def lookup(request: Request) -> Response:
        body = await request.body()
        try:
            verify(
                signing_keys,
                request.method,
                request.url.path,
                query=request.url.query,
                headers=dict(request.headers),
                body=body,
                now=datetime.now(UTC),
            )
        except SignatureError:
            return JSONResponse({"errors": [{"message": "Unauthorized"}]}, status_code=401)
        query = json.loads(body)["query"]
        card = await fetch_card(client, query["externalCustomerId"])
        return JSONResponse({"results": [_gladly_result(card)] if card else []})

    async def healthz(_: Request) -> Response:
        return Response()

    return Starlette(
        routes=[
            Route("/gladly/lookup", lookup, methods=["POST"]),
            Route("/healthz", healthz),  # for the benchmark to know it serves
        ]
    )


def main() -> None:
    app = create_app(
        os.environ["ORDERGROOVE_BASE_URL"],
        os.environ["ORDERGROOVE_API_KEY"],
        os.environ["GLADLY_SIGNING_KEYS"].split(","),
    )
    host, _, port = os.environ["BASELINE_LISTEN"].rpartition(":")
    uvicorn.run(app, host=host, port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
