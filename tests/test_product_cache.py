"""Products are cached briefly; subscriptions and orders never are (a refresh shows the truth)."""

from __future__ import annotations

import httpx

from actions.v1 import actions_pb2 as pb
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID
from tests.stack import ServiceHandle, journal


async def test_a_second_card_reads_no_products_but_all_orders_again(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request = pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    first = await service.stub.GetSubscriptions(request)
    products, orders = (
        len(await journal(ordergroove, "GET", "/products/")),
        len(await journal(ordergroove, "GET", "/orders/")),
    )
    assert products == len({s.product.product_id for s in first.subscriptions})
    second = await service.stub.GetSubscriptions(request)
    assert second == first
    assert len(await journal(ordergroove, "GET", "/products/")) == products
    assert len(await journal(ordergroove, "GET", "/orders/")) == 2 * orders


async def test_concurrent_cards_fetch_each_product_once(
    service: ServiceHandle, ordergroove: httpx.AsyncClient
) -> None:
    request = pb.GetSubscriptionsRequest(customer_id=DEMO_CUSTOMER_ID)
    cards = [service.stub.GetSubscriptions(request) for _ in range(5)]
    answers = [await card for card in cards]
    distinct = {s.product.product_id for s in answers[0].subscriptions}
    assert len(await journal(ordergroove, "GET", "/products/")) == len(distinct)
