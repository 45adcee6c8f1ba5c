"""Products are cached briefly and read for a whole card in one request; subscriptions and
orders never are cached (a refresh shows the truth)."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx

from actions.v1 import actions_pb2 as pb
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID
from tests.stack import ServiceHandle, journal, seed_customer

PRODUCT_IDS = "external_product_ids[]"


def asked_for(rows: list[dict[str, str]]) -> list[list[str]]:
    """The product ids each `/products/` request named."""
    return [parse_qs(row["query"]).get(PRODUCT_IDS, []) for row in rows]


async def test_a_card_reads_its_products_in_one_request_by_external_id(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    card = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    )
    rows = await journal(ordergroove, "GET", "/products/")
    distinct = {s.product.product_id for s in card.subscriptions}
    assert [row["path"] for row in rows] == ["/products/"]
    assert sorted(asked_for(rows)[0]) == sorted(distinct)
    assert all(s.product.name for s in card.subscriptions)


async def test_a_second_card_reads_no_products_but_all_orders_again(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request = pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    first = await service.stub.GetSubscriptions(request)
    orders = len(await journal(ordergroove, "GET", "/orders/"))
    second = await service.stub.GetSubscriptions(request)
    assert second == first
    assert len(await journal(ordergroove, "GET", "/products/")) == 1
    assert len(await journal(ordergroove, "GET", "/orders/")) == 2 * orders


async def test_only_products_missing_from_the_cache_are_asked_for(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    first = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    )
    known = first.subscriptions[0].product.product_id
    await seed_customer(
        ordergroove,
        merchant_user_id="mixed-1",
        email="mixed@example.com",
        subscriptions=[{"product_id": known}, {}],
    )
    mixed = await service.stub.GetSubscriptions(pb.GetSubscriptionsRequest(customer_id="mixed-1"))
    new = {s.product.product_id for s in mixed.subscriptions} - {known}
    assert len(new) == 1
    assert asked_for(await journal(ordergroove, "GET", "/products/"))[1] == sorted(new)


async def test_concurrent_cards_fetch_each_product_once(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request = pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    cards = [service.stub.GetSubscriptions(request) for _ in range(5)]
    answers = [await card for card in cards]
    distinct = {s.product.product_id for s in answers[0].subscriptions}
    requested = [
        pid for ids in asked_for(await journal(ordergroove, "GET", "/products/")) for pid in ids
    ]
    assert sorted(requested) == sorted(distinct)
