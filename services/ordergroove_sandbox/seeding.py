"""`POST /_sandbox/customers`: a customer with subscriptions and orders, made to measure.

The body is validated the way DRF would (every bad field reported at once) before anything is
created, so a refused request leaves the store untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services.ordergroove_sandbox import render
from services.ordergroove_sandbox.dates import MONTHS, subtract_frequency
from services.ordergroove_sandbox.errors import ApiError
from services.ordergroove_sandbox.fields import Fields, expect_object
from services.ordergroove_sandbox.images import image_url
from services.ordergroove_sandbox.model import (
    SUCCESS,
    UNSENT,
    Address,
    Customer,
    Prepaid,
    Product,
    reason_code_of,
)
from services.ordergroove_sandbox.model import Subscription as SubscriptionRecord
from services.ordergroove_sandbox.store import Store, home_address_id, stable_id

MAX_SUBSCRIPTIONS = 1000
MAX_ADDRESSES = 20
DEFAULT_PRICE = Decimal("19.99")
SEEDED_CANCEL_REASON = "12|Cancelled when seeded"
PERIOD_NAMES = {1: "days", 2: "weeks", 3: "months", 4: "years"}
_PRODUCT_NAMES = (
    "House Blend Coffee, 12 oz",
    "Plant Protein Bars, 12-pack",
    "Fragrance-Free Dish Soap, 32 oz",
    "Kitten Chow, 7 lb",
    "Vitamin D3 Gummies, 90 ct",
    "Compostable Trash Bags, 50 ct",
    "Cold-Pressed Olive Oil, 1 L",
    "Electrolyte Drink Mix, 30 sticks",
)


@dataclass(frozen=True)
class SubscriptionSeed:
    product_id: str | None
    live: bool
    prepaid: bool
    cancelled: bool
    quantity: int
    price: Decimal | None
    every: int
    every_period: int
    next_order_place: datetime | None


@dataclass(frozen=True)
class CustomerSeed:
    merchant_user_id: str
    email: str
    first_name: str
    last_name: str
    phone_number: str
    subscriptions: tuple[SubscriptionSeed, ...]
    # How many next orders the live subscriptions ship in, dealt round robin (Ordergroove puts
    # what ships together in one order); 0 gives each its own.
    next_orders: int
    # The customer's addresses besides "Home" (the one its subscriptions name), and whether
    # "Home" is still live (a customer may retire the address a subscription still names).
    other_addresses: int = 0
    home_address_live: bool = True


DEFAULT_SUBSCRIPTION = SubscriptionSeed(None, True, False, False, 1, None, 1, MONTHS, None)


def parse_customer_seed(body: object, store: Store) -> CustomerSeed:
    fields = Fields(expect_object(body))
    merchant_user_id = fields.string("merchant_user_id", required=True)
    if "/" in merchant_user_id:
        fields.fail("merchant_user_id", "A merchant user id cannot contain a slash.")
    email = fields.string("email", required=True)
    if email and "@" not in email:
        fields.fail("email", "Enter a valid email address.")
    item_errors, listed = _parse_subscriptions(fields.array("subscriptions"), store)
    count = fields.integer("count", 0, 0, MAX_SUBSCRIPTIONS)
    seed = CustomerSeed(
        merchant_user_id=merchant_user_id,
        email=email,
        first_name=fields.string("first_name", "Sandbox"),
        last_name=fields.string("last_name", "Customer"),
        phone_number=fields.string("phone_number", "+15550100999"),
        subscriptions=(*listed, *[DEFAULT_SUBSCRIPTION] * count),
        next_orders=fields.integer("next_orders", 0, 0, MAX_SUBSCRIPTIONS),
        other_addresses=fields.integer("other_addresses", 0, 0, MAX_ADDRESSES),
        home_address_live=fields.boolean("home_address_live", True),
    )
    if any(item_errors):
        fields.errors["subscriptions"] = item_errors
    fields.check()
    return seed


def _parse_subscriptions(
    items: Sequence[object], store: Store
) -> tuple[list[dict[str, Any]], list[SubscriptionSeed]]:
    """Per-item errors in DRF's list shape: one dict per item, empty for a valid one."""
    errors: list[dict[str, Any]] = []
    seeds: list[SubscriptionSeed] = []
    for item in items:
        try:
            fields = Fields(expect_object(item))
        except ApiError as error:
            errors.append(error.body or {})
            continue
        seeds.append(_parse_subscription(fields, store))
        errors.append(fields.errors)
    return errors, seeds


def _parse_subscription(fields: Fields, store: Store) -> SubscriptionSeed:
    product_id = fields.optional_string("product_id")
    if product_id is not None and product_id not in store.products:
        fields.fail("product_id", f'Invalid pk "{product_id}" - object does not exist.')
    cancelled = fields.boolean("cancelled", False)
    live = fields.boolean("live", not cancelled)
    if cancelled and live:
        fields.fail("live", "A cancelled subscription cannot be live.")
    return SubscriptionSeed(
        product_id=product_id,
        live=live,
        prepaid=fields.boolean("prepaid", False),
        cancelled=cancelled,
        quantity=fields.integer("quantity", 1, 1, 1000),
        price=fields.money("price"),
        every=fields.integer("every", 1, 1, 365),
        every_period=fields.choice("every_period", MONTHS, PERIOD_NAMES),
        next_order_place=fields.timestamp("next_order_place"),
    )


def plant(store: Store, seed: CustomerSeed, public_url: str) -> dict[str, Any]:
    """Create the customer, its subscriptions and orders; the body of the 201 answer."""
    if seed.merchant_user_id in store.customers:
        raise ApiError(409, {"detail": "A customer with this merchant_user_id already exists."})
    now = store.clock()
    customer = store.add_customer(
        Customer(
            seed.merchant_user_id,
            seed.first_name,
            seed.last_name,
            seed.email,
            seed.phone_number,
            created=now,
        )
    )
    addresses = _plant_addresses(store, customer, seed)
    records = [_plant_subscription(store, customer, s, now, public_url) for s in seed.subscriptions]
    places = {
        r.public_id: s.next_order_place or now + timedelta(days=7)
        for r, s in zip(records, seed.subscriptions, strict=True)
    }
    live = [record for record in records if record.live]
    # 0 deals one order per live subscription; more orders than subscriptions leaves none empty.
    n = seed.next_orders or len(live)
    shipments = [s for s in (live[i::n] for i in range(n)) if s]
    orders = [_plant_orders(store, s, places[s[0].public_id]) for s in shipments]
    return {
        "customer": render.customer(customer),
        "subscriptions": [record.public_id for record in records],
        "orders": orders,
        "addresses": addresses,
    }


def _plant_addresses(store: Store, customer: Customer, seed: CustomerSeed) -> list[str]:
    """ "Home", the address its subscriptions and orders name, so that it can be read, and
    the others asked for; their ids, Home's first."""
    cid = customer.merchant_user_id
    planted = [(home_address_id(cid), "Home", "1 Sandbox Way", seed.home_address_live)]
    planted += [
        (stable_id(f"address/{cid}/{n}"), f"Address {n}", f"{n} Sandbox Way", True)
        for n in range(2, seed.other_addresses + 2)
    ]
    for public_id, label, street, live in planted:
        store.add_address(
            Address(
                public_id,
                customer=cid,
                label=label,
                first_name=customer.first_name,
                last_name=customer.last_name,
                address=street,
                city="Chicago",
                state_province_code="IL",
                zip_postal_code="60601",
                created=customer.created,
                live=live,
            )
        )
    return [public_id for public_id, *_ in planted]


def _plant_subscription(
    store: Store, customer: Customer, seed: SubscriptionSeed, now: datetime, public_url: str
) -> SubscriptionRecord:
    product = _product(store, seed, now, public_url)
    started = now - timedelta(days=60)
    cancelled = now if seed.cancelled else None
    reason = SEEDED_CANCEL_REASON if seed.cancelled else None
    return store.add_subscription(
        SubscriptionRecord(
            store.new_id(),
            customer.merchant_user_id,
            product.external_product_id,
            seed.quantity,
            product.price if seed.price is None else seed.price,
            seed.every,
            seed.every_period,
            start_date=started,
            created=started,
            updated=cancelled or started,
            live=seed.live,
            cancelled=cancelled,
            cancel_reason=reason,
            cancel_reason_code=reason_code_of(reason),
            prepaid=Prepaid(3, 3) if seed.prepaid else None,
        )
    )


def _product(store: Store, seed: SubscriptionSeed, now: datetime, public_url: str) -> Product:
    """The named product, or a new one: prices default to the product's own."""
    if seed.product_id is not None:
        return store.products[seed.product_id]
    public_id = store.new_id()
    sku = f"SBX-{public_id[:8].upper()}"
    return store.add_product(
        Product(
            public_id,
            _PRODUCT_NAMES[len(store.products) % len(_PRODUCT_NAMES)],
            sku,
            image_url(public_url, sku),
            DEFAULT_PRICE if seed.price is None else seed.price,
            created=now - timedelta(days=365),
        )
    )


def _plant_orders(store: Store, records: list[SubscriptionRecord], place: datetime) -> str:
    """A delivered order one cycle back and the unsent next one; returns the next one's id."""
    first = records[0]
    past = subtract_frequency(place, first.every, first.every_period)
    store.add_order(first.customer, past, SUCCESS, records)
    return store.add_order(first.customer, place, UNSENT, records).public_id
