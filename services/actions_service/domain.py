"""The rules of subscriptions and actions, in one place and without I/O.

What is available when, which order a skip takes, what a cancel sends and what the timeline says
are decided here; the Ordergroove and Gladly adapters only fetch and send.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum, IntEnum, StrEnum
from typing import Any, Final

from actions.contract import ID_PATTERN, MAX_ID_LENGTH, MAX_REASON_DETAILS
from services.actions_service.errors import ActionError, InvalidArgument, Reason


class OrderStatus(IntEnum):
    """Ordergroove's order status codes: all 16 it has (ordergroove-recorded/ENDPOINTS.md,
    "Order status codes"; 2, 7, 8 and 16 are not among them). The one table of them."""

    UNSENT = 1
    REJECTED = 3
    CANCELLED = 4
    SUCCESS = 5
    SEND_NOW = 6  # what `send_now/` answers: the order is being placed
    PENDING_BATCH_RESPONSE = 9
    PENDING_VERIFICATION = 10
    PENDING_PLACEMENT = 11
    EXCEPTION_DURING_PLACEMENT_PREPARATION = 12
    CONNECTION_ERROR_DURING_PLACEMENT = 13
    RESPONSE_PROCESSING_ERROR = 14
    GENERIC_ERROR_RESPONSE = 15
    MERGED = 17
    CREDIT_CARD_RETRY = 18
    AWAITING_RETRY_INSTRUCTIONS = 19
    AWAITING_RESPONSE_CLASSIFICATION = 20

    @property
    def label(self) -> str:
        """In words, as Gladly's own app shows it: "Send Now", "Credit Card Retry"."""
        return self.name.replace("_", " ").title()


def order_status_label(code: int) -> str:
    """The words for any status code Ordergroove sends, a code it does not document too."""
    try:
        return OrderStatus(code).label
    except ValueError:
        return f"Unknown status ({code})"


ORDER_STATUS_UNSENT: Final = OrderStatus.UNSENT
# The id pattern and lengths are the contract's: the gateway checks ids with the same ones.
_ID_PATTERN = re.compile(ID_PATTERN)
# The longest product search a swap form sends (a product name's words).
MAX_SEARCH_LENGTH: Final = 100
# Ids become path segments at Ordergroove: "." and ".." would name another resource.
_DOT_SEGMENTS = frozenset({".", ".."})
_UUID_PATTERN = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class Action(StrEnum):
    """The actions an agent can run; the values are the names used in ACTIONS_ENABLED."""

    CANCEL = "cancel"
    SKIP = "skip"
    REACTIVATE = "reactivate"
    CHANGE_NEXT_ORDER_DATE = "change_date"
    CHANGE_FREQUENCY = "change_frequency"
    CHANGE_QUANTITY = "change_quantity"
    SEND_NOW = "send_now"
    CHANGE_RENEWAL = "change_renewal"
    CANCEL_ORDER = "cancel_order"
    CHANGE_ITEM_QUANTITY = "change_item_quantity"
    REMOVE_FROM_ORDER = "remove_from_order"
    ISSUE_DISCOUNT = "issue_discount"
    SWAP_PRODUCT = "swap_product"
    CHANGE_SHIPPING_ADDRESS = "change_shipping_address"


class Status(Enum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    INACTIVE = "inactive"


class Period(Enum):
    """Ordergroove's `every_period` codes."""

    DAY = 1
    WEEK = 2
    MONTH = 3
    YEAR = 4


@dataclass(frozen=True)
class Customer:
    customer_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone_number: str = ""


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str = ""
    sku: str = ""
    image_url: str = ""
    price: str = ""  # a decimal string as Ordergroove holds it
    live: bool = True
    autoship_enabled: bool = True
    discontinued: bool = False

    @property
    def offered_for_subscription(self) -> bool:
        """Whether a subscription may ship it: Ordergroove's products list holds only these."""
        return self.live and self.autoship_enabled and not self.discontinued


@dataclass(frozen=True)
class Order:
    order_id: str
    status: int  # an `OrderStatus`, or a code Ordergroove does not document
    place_at: datetime | None
    # Set when Ordergroove cancelled the order, even one it still lists as unsent.
    cancelled_at: datetime | None = None
    # Why placing it failed, in Ordergroove's words ("" when it did not).
    rejected_message: str = ""

    @property
    def status_label(self) -> str:
        return order_status_label(self.status)


@dataclass(frozen=True)
class PrepaidPlan:
    """Ordergroove's `prepaid_subscription_context`: orders paid ahead and what happens after."""

    orders_remaining: int | None = None
    orders_per_billing: int | None = None
    renewal_behavior: str = ""  # "autorenew", "cancel" or "downgrade"


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    customer_id: str
    product_id: str
    live: bool
    quantity: int = 1
    price: str = ""
    currency_code: str = ""
    every: int = 0
    period: Period | None = None
    prepaid_plan: PrepaidPlan | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason_code: str = ""
    cancel_reason_details: str = ""
    shipping_address_id: str = ""

    @property
    def prepaid(self) -> bool:
        return self.prepaid_plan is not None

    @property
    def status(self) -> Status:
        if self.live:
            return Status.ACTIVE
        if self.cancelled_at is not None or self.cancel_reason_code:
            return Status.CANCELLED
        return Status.INACTIVE


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription as the API shows it (`pb.Subscription`): with its product, its next order
    and the actions available now — what the gateway makes a card of."""

    subscription: Subscription
    product: Product
    next_order: Order | None
    available_actions: tuple[Action, ...]
    # The merchant's words for the subscription's cancel reason code; "" without a code.
    cancel_reason_text: str = ""
    # What the next order holds: every subscription's items (Ordergroove ships the whole order).
    next_order_lines: tuple[OrderLine, ...] = ()
    # Where it ships, when that is one of the customer's live addresses.
    shipping_address: ShippingAddress | None = None


@dataclass(frozen=True)
class OrderLine:
    """One item of an order: whose subscription (empty for a one-off), which product, how many,
    and the item's own id and price (the item actions name it)."""

    subscription_id: str
    product_id: str
    quantity: int
    item_id: str = ""
    price: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "subscription_id": self.subscription_id,
            "product_id": self.product_id,
            "quantity": self.quantity,
            "item_id": self.item_id,
            "price": self.price,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrderLine:
        return cls(
            str(data["subscription_id"]),
            str(data["product_id"]),
            int(data["quantity"]),
            str(data.get("item_id", "")),
            str(data.get("price", "")),
        )


def line_of(lines: Iterable[OrderLine], subscription_id: str) -> OrderLine | None:
    """The subscription's item among an order's lines (an order holds one per subscription)."""
    return next((line for line in lines if line.subscription_id == subscription_id), None)


@dataclass(frozen=True)
class ShippingAddress:
    """One of a customer's addresses, as an agent reads it."""

    address_id: str
    customer_id: str
    live: bool = True
    label: str = ""
    text: str = ""  # on one line: "Dana Demo, 1 Main St, Springfield, IL 62701, US"


@dataclass(frozen=True)
class Incentive:
    """A one-time discount at Ordergroove: on which order or item, and its description (which
    names the request that issued it)."""

    incentive_id: str
    order_id: str
    item_id: str
    description: str


@dataclass(frozen=True)
class RecoveryPoint:
    """What the one Ordergroove write targets, and what it will change as it was read right
    before the write (in the action's turn): the snapshot that a retry's or the settler's proof
    compares Ordergroove with, so that only this write can satisfy it."""

    subscription_id: str
    customer_id: str
    order_id: str = ""  # the next order: a retry skips or sends this order and no other
    order_place_at: datetime | None = None
    # Ordergroove's `updated` of the subscription before the write: a later one means it was
    # changed since (by the write, or by someone else).
    subscription_updated_at: datetime | None = None
    order_lines: tuple[OrderLine, ...] = ()  # what the order held (read by skip and send now)
    subscription_price: str = ""  # what the subscription cost (a swap changes it)
    # The request the write was made for: a write that leaves no trace in the state (a discount)
    # carries it, and its proof looks for it.
    request_id: str = ""
    # The one-time discounts on the order (or its items) before the write (read by a discount).
    order_discounts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "subscription_price": self.subscription_price,
            "request_id": self.request_id,
            "order_discounts": list(self.order_discounts),
            "subscription_id": self.subscription_id,
            "customer_id": self.customer_id,
            "order_id": self.order_id,
            "order_place_at": _iso(self.order_place_at),
            "subscription_updated_at": _iso(self.subscription_updated_at),
            "order_lines": [line.to_json() for line in self.order_lines],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecoveryPoint:
        return cls(
            subscription_id=str(data["subscription_id"]),
            customer_id=str(data.get("customer_id", "")),
            order_id=str(data.get("order_id", "")),
            order_place_at=_from_iso(data.get("order_place_at")),
            subscription_updated_at=_from_iso(data.get("subscription_updated_at")),
            order_lines=tuple(OrderLine.from_json(line) for line in data.get("order_lines", ())),
            subscription_price=str(data.get("subscription_price", "")),
            request_id=str(data.get("request_id", "")),
            order_discounts=tuple(str(i) for i in data.get("order_discounts", ())),
        )


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _from_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


@dataclass(frozen=True)
class CancelReason:
    """One of the merchant's reason codes ("12", "TOO_EXPENSIVE") and the words for it."""

    code: str
    text: str


def reason_words(code: str, names: Mapping[str, str]) -> str:
    """The merchant's words for a code, or "Reason <code>" for a code nobody named."""
    return names.get(code) or f"Reason {code}"


def named_reasons(codes: Iterable[str], names: Mapping[str, str]) -> list[CancelReason]:
    return [CancelReason(code, reason_words(code, names)) for code in codes]


def periods_later(day: date, every: int, period: Period) -> date:
    """`day` plus `every` periods: months and years by the calendar, the day clamped to the
    month's length (Jan 31 + 1 month is the last day of February)."""
    if period is Period.DAY:
        return day + timedelta(days=every)
    if period is Period.WEEK:
        return day + timedelta(weeks=every)
    months = every * (12 if period is Period.YEAR else 1)
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


def next_order(orders: Iterable[Order]) -> Order | None:
    """The earliest unsent order; Ordergroove does not sort, so we do. An unsent order that
    carries a `cancelled` time is not one to act on (Gladly's own app: recorded
    data/pull/orders/cancelled_string_null)."""
    unsent = [
        o
        for o in orders
        if o.status == ORDER_STATUS_UNSENT and o.place_at is not None and o.cancelled_at is None
    ]
    return min(unsent, key=lambda o: (o.place_at, o.order_id), default=None)


def next_orders(holdings: Iterable[tuple[Order, Iterable[OrderLine]]]) -> dict[str, Order]:
    """Each subscription's next order, from orders and what each one holds: one order often
    ships several subscriptions, and a subscription may have several to come."""
    orders_of: dict[str, list[Order]] = {}
    for order, lines in holdings:
        for subscription_id in {line.subscription_id for line in lines if line.subscription_id}:
            orders_of.setdefault(subscription_id, []).append(order)
    upcoming = {sid: next_order(orders) for sid, orders in orders_of.items()}
    return {sid: order for sid, order in upcoming.items() if order is not None}


def prepaid_not_cancellable(subscription: Subscription) -> ActionError:
    # Ordergroove answers 400 to `cancel/` on a prepaid subscription: refuse before any write.
    return ActionError(
        Reason.ORDERGROOVE_REJECTED,
        f"Subscription {subscription.subscription_id} is prepaid: Ordergroove does not cancel "
        f"prepaid subscriptions; change its renewal behaviour to stop it renewing instead.",
        prepaid="true",
    )


def not_active(subscription: Subscription) -> ActionError:
    return ActionError(
        Reason.SUBSCRIPTION_NOT_ACTIVE,
        f"Subscription {subscription.subscription_id} is {subscription.status.value}; "
        f"only active subscriptions can be changed.",
        status=subscription.status.value,
    )


def check_enabled(action: Action, enabled: Collection[str]) -> None:
    if action.value not in enabled:
        raise ActionError(
            Reason.ACTION_DISABLED, f"The {action.value} action is switched off.", action=action
        )


def subscription_not_found(subscription_id: str) -> ActionError:
    return ActionError(
        Reason.SUBSCRIPTION_NOT_FOUND,
        f"No subscription {subscription_id} for this customer.",
        subscription_id=subscription_id,
    )


class Proof(Enum):
    """What Ordergroove's state proves about a write whose answer was lost (a declaration's
    `proof`), compared with the snapshot taken before it: the action record is then settled
    by it. Only this write can prove APPLIED; a state that moved on since proves nothing."""

    APPLIED = "applied"
    NOT_YET = "not_yet"  # not applied, and the target is as it was: safe to send again
    NOT_APPLIED = "not_applied"  # not applied, and it cannot be any more (e.g. the order left)
    UNKNOWN = "unknown"  # changed since by someone else: cannot tell whether it was applied


@dataclass(frozen=True)
class Finding:
    """A proof and its evidence: what Ordergroove holds that says so, in words."""

    proof: Proof
    evidence: str


def cancel_reason_value(code: str, details: str) -> str | None:
    """Ordergroove's `cancel_reason` is `code|details`; without a reason none is sent (the body
    is then `{}`, as Gladly's own integration sends it)."""
    return f"{code}|{details}" if code else None


def split_cancel_reason(value: str) -> tuple[str, str]:
    code, _, details = value.partition("|")
    return code.strip(), details.strip()


# --- request validation -------------------------------------------------------------------------


def require_id(field: str, value: str) -> str:
    if not value.strip():
        raise InvalidArgument(field, "is required")
    check_optional_id(field, value)
    return value


def check_optional_id(field: str, value: str) -> None:
    if len(value) > MAX_ID_LENGTH:
        raise InvalidArgument(field, f"must be at most {MAX_ID_LENGTH} characters")
    if value and not is_id(value):
        raise InvalidArgument(field, "contains characters that are not allowed in an id")


def is_id(value: str) -> bool:
    """Whether `value` is a whole id: the allowed characters only, and not a dot segment."""
    return _ID_PATTERN.fullmatch(value) is not None and value not in _DOT_SEGMENTS


def check_request_id(value: str) -> None:
    if value and _UUID_PATTERN.fullmatch(value) is None:
        raise InvalidArgument("request_id", "must be a UUID (AIP-155)")


def check_cancel_reason_form(code: str, details: str, required: bool) -> None:
    """What can be checked without the merchant's list of codes."""
    if not code:
        if required:
            raise InvalidArgument("reason_code", "is required")
        if details.strip():
            raise InvalidArgument("reason_details", "needs a reason_code")
    elif len(code) > MAX_ID_LENGTH or not is_id(code):
        # A merchant names its own codes ("101", "TOO_EXPENSIVE": recorded
        # getCancellationReasons/merchant_reasons); never "|", which ends the code.
        raise InvalidArgument("reason_code", "must be one of the merchant's reason codes")

    if len(details) > MAX_REASON_DETAILS:
        raise InvalidArgument("reason_details", f"must be at most {MAX_REASON_DETAILS} characters")


def canonical_request_id(value: str) -> str:
    """One request id, one record: a UUID is the same UUID in either case, so records are keyed
    by its lower-case form (the hyphenated form is the only one `check_request_id` accepts)."""
    return value.lower()


def check_reason_known(code: str, merchant_codes: Collection[str]) -> None:
    if code and code not in merchant_codes:
        raise InvalidArgument("reason_code", f"{code} is not one of the merchant's reason codes")


def check_email(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 254 or "@" not in value or any(c.isspace() for c in value):
        raise InvalidArgument("email", "is not an e-mail address")
    return value


# --- timeline -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """A CUSTOMER_ACTIVITY entry for the Gladly customer's timeline."""

    item_id: str
    title: str
    body: str
    occurred_at: datetime


def timeline_item_id(action: Action, *facts: str) -> str:
    """A deterministic Gladly item id (URL-safe, under 50 chars as Gladly requires): the same
    action yields the same id, so a repeated post is answered 409 `taken` instead of writing a
    second entry. 128 bits of digest: "og-cancel-" and 32 hex digits are 42 characters."""
    digest = hashlib.sha256("|".join((action.value, *facts)).encode()).hexdigest()
    # At most 12 characters of the name keep every id under 50 (the digest tells them apart).
    return f"og-{action.value[:12]}-{digest[:32]}"
