"""Gladly's wire shapes in msgspec and in pydantic v2, timed side by side on a 200-subscription
card: build and serialise the DETAILED lookup answer from a GetSubscriptionsResponse, and parse a
lookup request. `python -m bench.wire_models` prints CPU microseconds per call (best of rounds).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any, Literal

import msgspec
import pydantic
from pydantic.alias_generators import to_camel

from actions.v1 import actions_pb2 as pb
from gateway import card, wire

SUBSCRIPTIONS = 200
GLADLY_ID = "gladly-customer-1"
REQUEST = json.dumps(
    {
        "lookupLevel": "DETAILED",
        "query": {"externalCustomerId": "og-customer-1", "id": "gladly-customer-1", "x": "y"},
        "uniqueMatchRequired": True,
    }
).encode()


def found(count: int = SUBSCRIPTIONS) -> pb.GetSubscriptionsResponse:
    answer = pb.GetSubscriptionsResponse(linked=True, active_count=count, total_count=count)
    answer.customer.customer_id = "og-customer-1"
    answer.customer.first_name, answer.customer.last_name = "Martha", "Williams"
    answer.customer.email = "customer@example.com"
    for n in range(count):
        s = answer.subscriptions.add(
            subscription_id=f"sub-{n:05d}",
            status=pb.SUBSCRIPTION_STATUS_ACTIVE,
            price="12.50",
            currency_code="USD",
            quantity=2,
        )
        s.create_time.FromSeconds(1_700_000_000 + n)
        s.update_time.FromSeconds(1_700_100_000 + n)
        s.frequency.every, s.frequency.period = 2, pb.FREQUENCY_PERIOD_WEEK
        s.next_order.order_id, s.next_order.place_date = f"order-{n}", "2026-12-01"
        s.product.product_id, s.product.name = f"prod-{n}", "Vitamins, 60 capsules"
        s.product.sku, s.product.image_url = f"SKU-{n}", f"https://img.example.com/{n}.png"
        s.available_actions.extend([pb.ACTION_CANCEL, pb.ACTION_SKIP])
    return answer


# --- the same shapes in pydantic v2 (the gateway's are msgspec's, gateway/wire.py) ---------------


class PydanticWire(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PydanticQuery(PydanticWire):
    emails: list[str | None] | None = None
    email: str | None = None
    phones: list[str | None] | None = None
    name: str | None = None
    external_customer_id: str | None = None
    id: str | None = None


class PydanticLookupRequest(PydanticWire):
    lookup_level: Literal["BASIC", "DETAILED"]
    query: PydanticQuery | None = None
    unique_match_required: bool | None = None


class PydanticAddress(PydanticWire):
    original: str


class PydanticButton(PydanticWire):
    name: str
    form_url: str


class PydanticCard(PydanticWire):
    type: Literal["SUBSCRIPTION"]  # no default: exclude_defaults would leave it out
    subscription_id: str
    status: wire.SubscriptionStatus
    quantity: str
    prepaid: str
    created_at: str = ""
    updated_at: str = ""
    frequency: str = ""
    next_order_id: str = ""
    next_order_date: str = ""
    cancelled_at: str = ""
    cancellation_reason: str = ""
    cancellation_reason_code: str = ""
    cancellation_details: str = ""
    price: str = ""
    currency: str = ""
    prepaid_renewal_behavior: str = ""
    prepaid_orders_remaining: str = ""
    prepaid_orders_per_billing: str = ""
    product_id: str = ""
    product_name: str = ""
    product_sku: str = ""
    product_image_url: str = ""
    actions: list[PydanticButton] = []


class PydanticResult(PydanticWire):
    external_customer_id: str
    name: str = ""
    emails: list[PydanticAddress] = []
    phones: list[PydanticAddress] = []
    custom_attributes: dict[str, str] = {}
    transactions: list[PydanticCard] = []


class PydanticResponse(PydanticWire):
    results: list[PydanticResult]


def _pydantic_card(subscription: pb.Subscription, ref: card.SubscriptionRef) -> PydanticCard:
    """card.subscription_card, field for field, into the pydantic model."""
    product, next_order = subscription.product, subscription.next_order
    return PydanticCard(
        type="SUBSCRIPTION",
        subscription_id=subscription.subscription_id,
        status="ACTIVE",
        quantity=str(subscription.quantity),
        prepaid="true" if subscription.prepaid else "false",
        created_at=subscription.create_time.ToJsonString(),
        updated_at=subscription.update_time.ToJsonString(),
        frequency=card.frequency_text(subscription.frequency),
        next_order_id=next_order.order_id,
        next_order_date=next_order.place_date,
        price=subscription.price,
        currency=subscription.currency_code,
        product_id=product.product_id,
        product_name=product.name,
        product_sku=product.sku,
        product_image_url=product.image_url,
        actions=[
            PydanticButton(name=name, form_url=card.form_url(ref, segment))
            for action, name, segment in card.BUTTONS
            if action in subscription.available_actions
        ],
    )


def _ref(og_customer_id: str, subscription: pb.Subscription) -> card.SubscriptionRef:
    return card.SubscriptionRef(GLADLY_ID, og_customer_id, subscription.subscription_id)


def pydantic_answer(answer: pb.GetSubscriptionsResponse) -> bytes:
    response = pydantic_response(answer)
    return response.model_dump_json(by_alias=True, exclude_defaults=True).encode()


def pydantic_response(answer: pb.GetSubscriptionsResponse) -> PydanticResponse:
    customer = answer.customer
    result = PydanticResult(
        external_customer_id=customer.customer_id,
        name=f"{customer.first_name} {customer.last_name}",
        emails=[PydanticAddress(original=customer.email)],
        custom_attributes={
            "activeSubscriptions": str(answer.active_count),
            "totalSubscriptions": str(answer.total_count),
        },
        transactions=[
            _pydantic_card(
                s, card.SubscriptionRef(GLADLY_ID, customer.customer_id, s.subscription_id)
            )
            for s in answer.subscriptions
        ],
    )
    return PydanticResponse(results=[result])


def msgspec_answer(answer: pb.GetSubscriptionsResponse) -> bytes:
    """What the gateway does (lookup.detailed): build the card, encode the answer."""
    return bytes(wire.WireResponse(msgspec_response(answer)).body)


def msgspec_response(answer: pb.GetSubscriptionsResponse) -> wire.LookupResponse:
    return wire.LookupResponse(results=[card.detailed_result(answer, GLADLY_ID)])


def pydantic_request(body: bytes) -> str:
    return PydanticLookupRequest.model_validate_json(body).lookup_level


def msgspec_request(body: bytes) -> str:
    return wire.decode(body, wire.LookupRequest).lookup_level


def _encode(built: tuple[wire.LookupResponse, PydanticResponse]) -> bytes:
    return bytes(wire.WireResponse(built[0]).body)


def _dump(built: tuple[wire.LookupResponse, PydanticResponse]) -> bytes:
    return built[1].model_dump_json(by_alias=True, exclude_defaults=True).encode()


def cpu_microseconds(call: Callable[[], Any], iterations: int, rounds: int) -> float:
    """CPU time of one call, best of `rounds` (the machine is shared: the least disturbed)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(iterations):
            call()
        best = min(best, (time.process_time() - started) / iterations)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wire_models", description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    answer = found()
    same = json.loads(msgspec_answer(answer)) == json.loads(pydantic_answer(answer))
    assert same, "the two builds must answer the same JSON"
    built = (msgspec_response(answer), pydantic_response(answer))
    rows = [
        ("DETAILED answer, 200 subscriptions", msgspec_answer, pydantic_answer, answer, 1),
        ("  of which: serialise the built answer", _encode, _dump, built, 1),
        ("lookup request parsed", msgspec_request, pydantic_request, REQUEST, 100),
    ]
    print(f"{'':38}{'msgspec µs':>12}{'pydantic µs':>13}{'ratio':>8}")
    for label, ours, theirs, argument, scale in rows:
        n = args.iterations * scale
        fast = cpu_microseconds(lambda f=ours, a=argument: f(a), n, args.rounds)  # type: ignore[misc]
        slow = cpu_microseconds(lambda f=theirs, a=argument: f(a), n, args.rounds)  # type: ignore[misc]
        print(f"{label:38}{fast:12.1f}{slow:13.1f}{slow / fast:8.2f}")
    print(f"msgspec {msgspec.__version__}, pydantic {pydantic.VERSION}")


if __name__ == "__main__":
    main()
