"""The demo data every sandbox starts with.

Ids are stable (derived from names) so tests and `make run` can refer to them; dates are relative
to the moment of seeding so the next orders are always in the future.

demo-customer-1 (Dana Demo, demo@example.com) has 12 subscriptions, more than one page of 10:
8 live (3 share one unsent order, 5 have their own, 2 of those are prepaid), 3 cancelled and
1 inactive. demo-customer-2 (other@example.com) has 2 live subscriptions.

Three records carry Ordergroove's quirks so clients must parse defensively: one subscription's
`live` is the string "True", one `start_date` is a bare date, and one cancelled subscription has
no `cancel_reason`.

Addresses (`DEMO_ADDRESS_IDS`): demo-customer-1 has a live "Home" address, the one every
subscription and order names, a live "Work" address and an old one no longer live;
demo-customer-2 has its own "Home" address (an address of another customer).

Products nobody subscribes to (`DEMO_CATALOGUE_PRODUCT_IDS`): three a swap can offer (live,
autoship-enabled, priced differently from the subscribed ones), one live but not
autoship-enabled and one discontinued (neither listed by `GET /products/` nor offered by a swap).

The sandbox is one merchant's store, `DEMO_MERCHANT_ID`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

from services.ordergroove_sandbox.dates import DAYS, MONTHS, WEEKS, subtract_frequency
from services.ordergroove_sandbox.images import image_url
from services.ordergroove_sandbox.model import (
    REJECTED,
    SUCCESS,
    UNSENT,
    Address,
    CancelReason,
    Customer,
    Prepaid,
    Product,
    Subscription,
    reason_code_of,
)
from services.ordergroove_sandbox.store import MERCHANT_ID, Store, home_address_id, stable_id

DEMO_MERCHANT_ID: Final = MERCHANT_ID
DEMO_CUSTOMER_ID: Final = "demo-customer-1"
DEMO_EMAIL: Final = "demo@example.com"
OTHER_CUSTOMER_ID: Final = "demo-customer-2"
OTHER_EMAIL: Final = "other@example.com"

# The merchant's reason codes: strings without words, as Ordergroove lists them (the words are
# the service's CANCEL_REASON_NAMES); one application's reason has no code at all (null), as
# in the recorded getCancellationReasons/merchant_reasons.
CANCEL_REASONS: Final = (
    *(CancelReason(code) for code in ("1", "2", "3", "4", "5", "6", "7", "12")),
    CancelReason(None, "api"),
)


class Role(StrEnum):
    """What each demo subscription is for; `DEMO_SUBSCRIPTION_IDS[role]` is its public_id."""

    SHARED_COFFEE = "shared_coffee"
    SHARED_FILTERS = "shared_filters"
    SHARED_OAT_MILK = "shared_oat_milk"
    VITAMINS = "vitamins"  # `live` is the string "True"
    DOG_FOOD = "dog_food"  # `start_date` is a bare date; has a REJECTED order in its history
    SHAMPOO = "shampoo"
    PREPAID_PROTEIN = "prepaid_protein"
    PREPAID_TEA = "prepaid_tea"
    CANCELLED_WATER_FILTER = "cancelled_water_filter"
    CANCELLED_TOOTHBRUSH = "cancelled_toothbrush"
    CANCELLED_SPARKLING = "cancelled_sparkling"  # cancelled, but `cancel_reason` is null
    INACTIVE_LAUNDRY = "inactive_laundry"  # not live and never cancelled
    OTHER_COLD_BREW = "other_cold_brew"  # demo-customer-2
    OTHER_ALMONDS = "other_almonds"  # demo-customer-2


SHARED_ROLES: Final = (Role.SHARED_COFFEE, Role.SHARED_FILTERS, Role.SHARED_OAT_MILK)
OWN_ORDER_ROLES: Final = (Role.VITAMINS, Role.DOG_FOOD, Role.SHAMPOO)
PREPAID_ROLES: Final = (Role.PREPAID_PROTEIN, Role.PREPAID_TEA)
ACTIVE_ROLES: Final = SHARED_ROLES + OWN_ORDER_ROLES + PREPAID_ROLES
CANCELLED_ROLES: Final = (
    Role.CANCELLED_WATER_FILTER,
    Role.CANCELLED_TOOTHBRUSH,
    Role.CANCELLED_SPARKLING,
)
INACTIVE_ROLES: Final = (Role.INACTIVE_LAUNDRY,)
OTHER_ROLES: Final = (Role.OTHER_COLD_BREW, Role.OTHER_ALMONDS)


def _id(kind: str, name: str) -> str:
    return stable_id(f"demo/{kind}/{name}")


DEMO_SUBSCRIPTION_IDS: Final[Mapping[Role, str]] = {r: _id("subscription", r) for r in Role}
DEMO_PRODUCT_IDS: Final[Mapping[Role, str]] = {r: _id("product", r) for r in Role}
# The unsent order three live subscriptions share, and the delivered order before it.
DEMO_SHARED_ORDER_ID: Final = _id("order", "shared-next")
DEMO_PAST_ORDER_ID: Final = _id("order", "shared-past")
# Each live subscription's next (unsent) order.
DEMO_NEXT_ORDER_IDS: Final[Mapping[Role, str]] = {
    **dict.fromkeys(SHARED_ROLES, DEMO_SHARED_ORDER_ID),
    **{r: _id("order", f"{r}-next") for r in OWN_ORDER_ROLES + PREPAID_ROLES + OTHER_ROLES},
}


class AddressRole(StrEnum):
    """What each demo address is for; `DEMO_ADDRESS_IDS[role]` is its public_id."""

    HOME = "home"  # demo-customer-1's; every subscription and order of theirs names it
    WORK = "work"  # demo-customer-1's other live address
    OLD = "old"  # demo-customer-1's, no longer live
    OTHER_HOME = "other_home"  # demo-customer-2's


DEMO_ADDRESS_IDS: Final[Mapping[AddressRole, str]] = {
    AddressRole.HOME: home_address_id(DEMO_CUSTOMER_ID),
    AddressRole.WORK: _id("address", AddressRole.WORK),
    AddressRole.OLD: _id("address", AddressRole.OLD),
    AddressRole.OTHER_HOME: home_address_id(OTHER_CUSTOMER_ID),
}


class Catalogue(StrEnum):
    """Products nobody subscribes to; `DEMO_CATALOGUE_PRODUCT_IDS[role]` is the
    external_product_id."""

    DECAF_COFFEE = "decaf_coffee"  # a swap can offer these three
    DOG_FOOD_LARGE = "dog_food_large"
    LAVENDER_SHAMPOO = "lavender_shampoo"
    GRINDER = "grinder"  # live, but not autoship-enabled
    PUMPKIN_COFFEE = "pumpkin_coffee"  # discontinued


SWAPPABLE: Final = (Catalogue.DECAF_COFFEE, Catalogue.DOG_FOOD_LARGE, Catalogue.LAVENDER_SHAMPOO)
DEMO_CATALOGUE_PRODUCT_IDS: Final[Mapping[Catalogue, str]] = {
    c: _id("product", c) for c in Catalogue
}


@dataclass(frozen=True)
class _Plan:
    role: Role
    name: str
    sku: str
    price: str
    quantity: int
    every: int
    every_period: int
    next_in_days: int | None = None  # live subscriptions: days until the next order
    prepaid: Prepaid | None = None
    cancelled_days_ago: int | None = None
    cancel_reason: str | None = None


# fmt: off
_PLANS: Final = (
    _Plan(Role.SHARED_COFFEE, "Ethiopian Yirgacheffe Coffee Beans, 12 oz", "COF-ETH-12",
          "18.50", 2, 1, MONTHS, next_in_days=5),
    _Plan(Role.SHARED_FILTERS, "Unbleached Pour-Over Filters, 100 ct", "FLT-100",
          "6.99", 1, 2, MONTHS, next_in_days=5),
    _Plan(Role.SHARED_OAT_MILK, "Barista Oat Milk, 6-pack", "OAT-6PK",
          "21.00", 1, 4, WEEKS, next_in_days=5),
    _Plan(Role.VITAMINS, "Daily Multivitamin, 60 ct", "VIT-MULTI-60",
          "24.99", 1, 2, WEEKS, next_in_days=3),
    _Plan(Role.DOG_FOOD, "Grain-Free Salmon Dog Food, 24 lb", "DOG-SAL-24",
          "64.99", 1, 6, WEEKS, next_in_days=12),
    _Plan(Role.SHAMPOO, "Eucalyptus Shampoo Bar", "SHA-EUC-1",
          "12.00", 3, 45, DAYS, next_in_days=20),
    _Plan(Role.PREPAID_PROTEIN, "Whey Protein Isolate, Vanilla, 2 lb", "PRO-VAN-2",
          "49.99", 1, 1, MONTHS, next_in_days=9,
          prepaid=Prepaid(3, 3, "autorenew", 149.97, "#3082")),
    _Plan(Role.PREPAID_TEA, "Organic Sencha Green Tea, 50 bags", "TEA-GRN-50",
          "9.49", 2, 3, MONTHS, next_in_days=25,
          prepaid=Prepaid(1, 4, "cancel", 37.96, "#3107")),
    _Plan(Role.CANCELLED_WATER_FILTER, "Replacement Water Filter Cartridge, 3-pack", "H2O-FLT-3",
          "29.99", 1, 2, MONTHS, cancelled_days_ago=40,
          cancel_reason="2|Found a cheaper option locally"),
    _Plan(Role.CANCELLED_TOOTHBRUSH, "Bamboo Toothbrush, 4-pack", "BRU-BAM-4",
          "11.99", 1, 3, MONTHS, cancelled_days_ago=90,
          cancel_reason="3|Still have two packs left"),
    _Plan(Role.CANCELLED_SPARKLING, "Sparkling Water Variety, 24 cans", "SPK-VAR-24",
          "16.99", 2, 2, WEEKS, cancelled_days_ago=200),
    _Plan(Role.INACTIVE_LAUNDRY, "Unscented Laundry Pods, 60 ct", "LND-UNS-60",
          "19.99", 1, 2, MONTHS),
    _Plan(Role.OTHER_COLD_BREW, "Cold Brew Concentrate, 32 oz", "CBR-32",
          "14.99", 2, 2, WEEKS, next_in_days=4),
    _Plan(Role.OTHER_ALMONDS, "Dark Chocolate Almonds, 1 lb", "ALM-DRK-1",
          "13.49", 1, 1, MONTHS, next_in_days=15),
)
# fmt: on


@dataclass(frozen=True)
class _Offer:
    role: Catalogue
    name: str
    sku: str
    price: str
    autoship_enabled: bool = True
    discontinued: bool = False


# fmt: off
_CATALOGUE: Final = (
    _Offer(Catalogue.DECAF_COFFEE, "Swiss Water Decaf Coffee Beans, 12 oz", "COF-DEC-12", "17.25"),
    _Offer(Catalogue.DOG_FOOD_LARGE, "Grain-Free Salmon Dog Food, 30 lb", "DOG-SAL-30", "79.99"),
    _Offer(Catalogue.LAVENDER_SHAMPOO, "Lavender Shampoo Bar", "SHA-LAV-1", "13.50"),
    _Offer(Catalogue.GRINDER, "Conical Burr Coffee Grinder", "GRD-BURR-1", "89.00",
           autoship_enabled=False),
    _Offer(Catalogue.PUMPKIN_COFFEE, "Pumpkin Spice Coffee Beans, 12 oz", "COF-PSP-12", "19.50",
           discontinued=True),
)
# fmt: on


def seed_demo(store: Store, public_url: str) -> None:
    now = store.clock()
    today = now.replace(hour=6, minute=0, second=0)
    store.add_customer(
        Customer(
            DEMO_CUSTOMER_ID,
            "Dana",
            "Demo",
            DEMO_EMAIL,
            "+15550100100",
            created=now - timedelta(days=420),
        )
    )
    store.add_customer(
        Customer(
            OTHER_CUSTOMER_ID,
            "Olive",
            "Other",
            OTHER_EMAIL,
            "+15550100200",
            created=now - timedelta(days=150),
        )
    )
    subscriptions = {plan.role: _add_subscription(store, plan, now, public_url) for plan in _PLANS}
    for plan in _PLANS:
        if plan.next_in_days is not None and plan.role not in SHARED_ROLES:
            place = today + timedelta(days=plan.next_in_days)
            _add_own_orders(store, plan.role, subscriptions[plan.role], place)
    _add_shared_orders(store, [subscriptions[r] for r in SHARED_ROLES], today + timedelta(days=5))
    for role in CANCELLED_ROLES + INACTIVE_ROLES:
        _add_history(store, subscriptions[role])
    # Records named by their own ids, after those the store numbers: the generated ids of the
    # orders and items above stay what they were.
    for offer in _CATALOGUE:
        _add_offer(store, offer, now, public_url)
    _add_addresses(store, now)


def _add_offer(store: Store, offer: _Offer, now: datetime, public_url: str) -> None:
    store.add_product(
        Product(
            DEMO_CATALOGUE_PRODUCT_IDS[offer.role],
            offer.name,
            offer.sku,
            image_url(public_url, offer.sku),
            Decimal(offer.price),
            created=now - timedelta(days=200),
            autoship_enabled=offer.autoship_enabled,
            discontinued=offer.discontinued,
        )
    )


def _add_addresses(store: Store, now: datetime) -> None:
    home, work, old = (
        DEMO_ADDRESS_IDS[r] for r in (AddressRole.HOME, AddressRole.WORK, AddressRole.OLD)
    )
    addresses = (
        _dana(
            home, "Home", "2150 W Roscoe St", None, "Chicago", "60618", now - timedelta(days=420)
        ),
        _dana(
            work,
            "Work",
            "222 W Merchandise Mart Plz",
            "Suite 1212",
            "Chicago",
            "60654",
            now - timedelta(days=90),
        ),
        _dana(
            old,
            "Old apartment",
            "1603 Orrington Ave",
            "Apt 4B",
            "Evanston",
            "60201",
            now - timedelta(days=700),
        ),
        Address(
            DEMO_ADDRESS_IDS[AddressRole.OTHER_HOME],
            customer=OTHER_CUSTOMER_ID,
            label="Home",
            first_name="Olive",
            last_name="Other",
            address="830 E Knapp St",
            city="Milwaukee",
            state_province_code="WI",
            zip_postal_code="53202",
            created=now - timedelta(days=150),
        ),
    )
    addresses[0].phone = "+15550100100"
    addresses[1].company_name = "Demo Analytics LLC"
    addresses[2].live = False
    for address in addresses:
        store.add_address(address)


def _dana(
    public_id: str,
    label: str,
    street: str,
    street2: str | None,
    city: str,
    zip_code: str,
    created: datetime,
) -> Address:
    return Address(
        public_id,
        customer=DEMO_CUSTOMER_ID,
        label=label,
        first_name="Dana",
        last_name="Demo",
        address=street,
        address2=street2,
        city=city,
        state_province_code="IL",
        zip_postal_code=zip_code,
        created=created,
    )


def _add_subscription(store: Store, plan: _Plan, now: datetime, public_url: str) -> Subscription:
    customer = OTHER_CUSTOMER_ID if plan.role in OTHER_ROLES else DEMO_CUSTOMER_ID
    product = store.add_product(
        Product(
            DEMO_PRODUCT_IDS[plan.role],
            plan.name,
            plan.sku,
            image_url(public_url, plan.sku),
            Decimal(plan.price),
            created=now - timedelta(days=700),
        )
    )
    started = (now - timedelta(days=365)).replace(hour=14, minute=32, second=7)
    cancelled = None
    if plan.cancelled_days_ago is not None:
        cancelled = now - timedelta(days=plan.cancelled_days_ago)
    subscription = Subscription(
        DEMO_SUBSCRIPTION_IDS[plan.role],
        customer,
        product.external_product_id,
        plan.quantity,
        product.price,
        plan.every,
        plan.every_period,
        start_date=started.date() if plan.role is Role.DOG_FOOD else started,
        created=started,
        updated=cancelled or started,
        live=plan.next_in_days is not None,
        cancelled=cancelled,
        cancel_reason=plan.cancel_reason,
        cancel_reason_code=reason_code_of(plan.cancel_reason),
        prepaid=plan.prepaid,
        live_as_text=plan.role is Role.VITAMINS,
    )
    return store.add_subscription(subscription)


def _add_own_orders(store: Store, role: Role, subscription: Subscription, place: datetime) -> None:
    """The next unsent order first and its history after: the API promises no ordering."""
    store.add_order(
        subscription.customer, place, UNSENT, [subscription], public_id=DEMO_NEXT_ORDER_IDS[role]
    )
    past = subtract_frequency(place, subscription.every, subscription.every_period)
    store.add_order(subscription.customer, past, SUCCESS, [subscription])
    if role is Role.DOG_FOOD:
        # A declined payment one cycle earlier, for clients that must ignore such orders.
        declined = subtract_frequency(past, subscription.every, subscription.every_period)
        store.add_order(subscription.customer, declined, REJECTED, [subscription])


def _add_shared_orders(store: Store, shared: list[Subscription], place: datetime) -> None:
    customer = shared[0].customer
    store.add_order(customer, place, UNSENT, shared, public_id=DEMO_SHARED_ORDER_ID)
    store.add_order(
        customer, place - timedelta(days=30), SUCCESS, shared, public_id=DEMO_PAST_ORDER_ID
    )


def _add_history(store: Store, subscription: Subscription) -> None:
    """One delivered order for a subscription that no longer runs."""
    last = subscription.cancelled or subscription.created + timedelta(days=30)
    store.add_order(subscription.customer, last - timedelta(days=10), SUCCESS, [subscription])
