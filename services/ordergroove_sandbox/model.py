"""The records the sandbox keeps, shaped after Ordergroove's resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.ordergroove_sandbox.dates import PERIOD_DAYS

# Ordergroove's integer order statuses, those the sandbox produces (the whole list of 16 is in
# ordergroove-recorded/ENDPOINTS.md, "Order status codes").
UNSENT = 1
REJECTED = 3
CANCELLED = 4
SUCCESS = 5
SEND_NOW = 6  # what `send_now/` answers (recorded sendOrderNow/live_response)

CENT = Decimal("0.01")


@dataclass
class Customer:
    merchant_user_id: str
    first_name: str
    last_name: str
    email: str
    phone_number: str
    created: datetime
    live: bool = True


@dataclass
class Product:
    # A product's id is the merchant's `external_product_id`; products have no `public_id`
    # (reference: Products; recorded products answers).
    external_product_id: str
    name: str
    sku: str
    image_url: str
    price: Decimal
    created: datetime
    live: bool = True
    # Ordergroove docs, Products List: the list holds only the products that are "autoship
    # enabled and not discontinued"; a swap offers no other (reference, change_product/).
    autoship_enabled: bool = True
    discontinued: bool = False


@dataclass
class Address:
    """A customer's address, field for field as recorded getShippingAddress answers it."""

    public_id: str
    customer: str
    label: str | None
    first_name: str
    last_name: str
    address: str
    city: str
    state_province_code: str
    zip_postal_code: str
    created: datetime
    company_name: str | None = None
    address2: str | None = None
    phone: str | None = None
    country_code: str = "US"
    live: bool = True


@dataclass(frozen=True)
class Prepaid:
    """`prepaid_subscription_context`, shaped as the recorded subscription answers have it."""

    orders_remaining: int
    orders_per_billing: int
    renewal_behavior: str = "autorenew"
    last_renewal_revenue: float = 0.0
    origin_merchant_order_id: str = ""


@dataclass
class Subscription:
    public_id: str
    customer: str
    product: str
    quantity: int
    price: Decimal
    every: int
    every_period: int
    start_date: datetime | date
    created: datetime
    updated: datetime
    live: bool = True
    cancelled: datetime | None = None
    cancel_reason: str | None = None
    # Documented as an integer, recorded as a string ("4": recorded
    # getSubscriptionsByCustomerId/cancelled_subscription): the recording wins.
    cancel_reason_code: str | None = None
    prepaid: Prepaid | None = None
    currency_code: str = "USD"
    extra_data: dict[str, Any] = field(default_factory=dict)
    # Some real payloads carry booleans as strings; the demo data reproduces that quirk.
    live_as_text: bool = False
    # None: the customer's home address (`home_address_id`), which every subscription names
    # until `change_shipping/` names another.
    shipping_address: str | None = None

    @property
    def frequency_days(self) -> int:
        return self.every * PERIOD_DAYS[self.every_period]


@dataclass
class Order:
    public_id: str
    customer: str
    status: int
    place: datetime
    created: datetime
    updated: datetime
    cancelled: datetime | None = None
    locked: bool = False


@dataclass
class Item:
    public_id: str
    order: str
    subscription: str
    product: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Incentive:
    """The discount a one-time incentive gives (Ordergroove docs, One Time Incentives: Create;
    recorded issueOneTimeDiscount request bodies). `value` is kept as sent: a string."""

    name: str
    discount_type: str  # "Discount Amount" | "Discount Percent"
    value: str
    field: str  # "total_price" (an item) | "sub_total" (an order) | "shipping_total"
    target: str  # "item" | "order" | "shipping_total"
    type: str = "Discount"


@dataclass
class OneTimeIncentive:
    """A discount on one item or one order of one customer; exactly one of `item` and `order`
    is set."""

    public_id: str
    merchant: str
    customer: str
    item: str | None
    order: str | None
    incentive: Incentive
    created: datetime
    description: str | None = None
    external_code: str | None = None


@dataclass(frozen=True)
class CancelReason:
    """One of the merchant's reasons: a code and no words. The code is a string, a name or
    digits, or null (recorded getCancellationReasons/merchant_reasons: `{"cancel_reason":
    "101", "application": "storefront"}`, `"TOO_EXPENSIVE"`, `null`; an older recording has
    the integer 12)."""

    code: str | None
    application: str = "msi"


def reason_code_of(cancel_reason: str | None) -> str | None:
    """The code of a `code|details` value; None when it has none."""
    return (cancel_reason or "").partition("|")[0].strip() or None
