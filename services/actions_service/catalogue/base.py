"""What one action declares: its parameters, when it is offered, what it refuses, its one
write, what proves that write happened, and what changed (for the timeline and the answer).

The use case (`UseCases.run_action`) runs every declaration the same way: read the state,
refuse what the rules refuse (a form whose shown state changed included), record the recovery
point, write once, re-read and answer what Ordergroove now holds. A lost answer is settled — by
a retry or by the settler — with the declaration's `proof`, never by writing blindly.

Each action's `Params` are typed and parsed once (from the request at the servicer, or from a
stored record by `from_record`); they are strings only in the action record and its
fingerprint (`record()`). `expected_*` parameters name the state the caller was shown; a change
is refused when that state is no longer what Ordergroove holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Protocol, Self, TypeVar, runtime_checkable

from actions.contract import frequency_words
from services.actions_service import domain
from services.actions_service.domain import (
    Action,
    Finding,
    Incentive,
    Order,
    OrderLine,
    Period,
    Product,
    Proof,
    RecoveryPoint,
    ShippingAddress,
    Status,
    Subscription,
    line_of,
)
from services.actions_service.errors import ActionError, InvalidArgument, Reason
from services.actions_service.ordergroove import OrdergrooveClient

Fields = Mapping[str, str]
T = TypeVar("T")
MAX_EVERY = 365


async def _no_codes() -> list[str]:
    return []


class Reading(Enum):
    """What an action reads besides the subscription and its orders (`Definition.reads`)."""

    ORDER_ITEMS = "order_items"  # what the next order (or the recorded order) holds
    ADDRESSES = "addresses"  # the customer's live addresses
    PRODUCTS = "products"  # the products its parameters name (`NamesProducts`)
    INCENTIVES = "incentives"  # the customer's one-time discounts (after the write only)


@runtime_checkable
class NamesProducts(Protocol):
    """Parameters that name products (a swap's): read, for the rules and the words."""

    def product_ids(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class CardState:
    """What the card knows of a subscription, that the offer rules read."""

    subscription: Subscription
    next_order: Order | None
    next_order_lines: tuple[OrderLine, ...] = ()
    addresses: tuple[ShippingAddress, ...] = ()  # the customer's live addresses


@dataclass(frozen=True)
class State:
    """What an action reads of the subscription, before its write and after it."""

    subscription: Subscription
    next_order: Order | None  # the earliest unsent order holding its items
    order: Order | None  # the recovery point's order, re-read (None without one)
    read_at: datetime  # when it was read (UTC)
    # What the next order (before the write) or the recovery point's order (after it) holds,
    # for a declaration that reads ORDER_ITEMS; else empty.
    order_lines: tuple[OrderLine, ...] = ()
    # The names of the products in the recovery point's lines, for the timeline's words.
    product_names: Mapping[str, str] = field(default_factory=dict)
    addresses: tuple[ShippingAddress, ...] = ()  # ADDRESSES
    products: Mapping[str, Product] = field(default_factory=dict)  # PRODUCTS
    incentives: tuple[Incentive, ...] = ()  # INCENTIVES

    def order_holds(self, subscription_id: str) -> bool:
        return line_of(self.order_lines, subscription_id) is not None


@dataclass(frozen=True)
class Discounts:
    """The merchant's discount settings: DISCOUNTS_ENABLED and its caps (no cap: no discount of
    that kind)."""

    enabled: bool = False
    max_amount: Decimal | None = None
    max_percent: Decimal | None = None


@dataclass(frozen=True)
class MerchantSettings:
    """The merchant's settings the rules read (the same for every action; "now" is apart)."""

    max_quantity: int
    max_days_ahead: int  # the furthest date an agent may set, in days after the merchant's today
    enabled: Collection[str] = ()
    reason_required: bool = False
    reason_names: Mapping[str, str] = field(default_factory=dict)
    # The merchant's cancel reason codes, read (and cached) when a rule asks for them.
    reason_codes: Callable[[], Awaitable[list[str]]] = _no_codes
    discounts: Discounts = field(default_factory=Discounts)
    # The products a swap may offer (SWAP_PRODUCTS); empty: any the merchant offers for
    # subscriptions (live, autoship-enabled).
    swap_products: frozenset[str] = frozenset()


class Params(Protocol):
    """An action's typed parameters. `record()` gives the strings its action record keeps (and
    fingerprints); `from_record` reads them back — records written before the parameters were
    typed hold the same strings."""

    @classmethod
    def from_record(cls, fields: Fields) -> Self: ...

    def record(self) -> dict[str, str]: ...


P = TypeVar("P", bound=Params)


class Definition(Protocol[P]):
    """One action, declared once. A new action is one module with one of these."""

    @property
    def action(self) -> Action: ...

    @property
    def params(self) -> type[P]:
        """Its parameters' type (declared in its module)."""
        ...

    @property
    def done(self) -> str:
        """The timeline title's first words, e.g. "Frequency changed"."""
        ...

    @property
    def attempted(self) -> str:
        """What was attempted, for the not-applied note, e.g. "change the frequency of"."""
        ...

    @property
    def reads(self) -> frozenset[Reading]:
        """What its rules and proof read besides the subscription and its orders."""
        ...

    def offered(self, card: CardState) -> bool:
        """Whether the card offers the action now (when it is switched on)."""
        ...

    async def validate(self, params: P, merchant: MerchantSettings, today: date) -> None:
        """Refuse malformed input (InvalidArgument), before the action is recorded. `today`
        is the merchant's, as Ordergroove's dates are."""
        ...

    def refuse(self, state: State, params: P) -> None:
        """Refuse, before any write, what the rules refuse and a form whose state changed."""
        ...

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, params: P, today: date
    ) -> int:
        """The one Ordergroove write; its HTTP status."""
        ...

    def proof(self, point: RecoveryPoint, state: State, params: P) -> Finding:
        """Whether `state` shows this write applied, compared with the snapshot in `point`
        (also checked right after the write); a state that moved on since is UNKNOWN."""
        ...

    def before_after(
        self, point: RecoveryPoint, state: State, params: P, merchant: MerchantSettings
    ) -> str:
        """What changed, before → after, e.g. "Frequency: every month → every 6 weeks"."""
        ...


# --- checking and parsing values (from the request, or from a record's strings) ------------------


def text(fields: Fields, name: str) -> str:
    """An optional string of a record ("" when absent)."""
    return fields.get(name, "")


def required(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidArgument(name, "is required")
    return value


def bounded(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidArgument(name, f"must be a whole number from {low} to {high}")
    return value


def whole_number(fields: Fields, name: str, low: int, high: int) -> int:
    value = required(name, fields.get(name, ""))
    if not (value.isascii() and value.isdigit()):
        raise InvalidArgument(name, f"must be a whole number from {low} to {high}")
    return bounded(name, int(value), low, high)


def period_named(name: str, value: str) -> Period:
    value = required(name, value).upper()
    if value not in Period.__members__:
        raise InvalidArgument(name, "must be one of day, week, month, year")
    return Period[value]


def day(name: str, value: str) -> date:
    value = required(name, value)
    try:
        return date.fromisoformat(value) if len(value) == 10 else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def optional_day(name: str, value: str) -> date | None:
    return day(name, value) if value else None


def day_text(value: date | None) -> str:
    """A date as the record keeps it ("" for none)."""
    return value.isoformat() if value is not None else ""


def within_reach(name: str, value: date, merchant: MerchantSettings, today: date) -> date:
    """`value`, at most `max_days_ahead` after today: a date years ahead is a typo that
    Ordergroove takes, after which every skip of that order fails."""
    latest = today + timedelta(days=merchant.max_days_ahead)
    if value > latest:
        raise InvalidArgument(
            name, f"must be at most {merchant.max_days_ahead} days ahead: {latest} or earlier"
        )
    return value


def _bad_date(name: str) -> date:
    raise InvalidArgument(name, "must be a date, YYYY-MM-DD")


def choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    value = required(name, value)
    if value not in choices:
        raise InvalidArgument(name, f"must be one of {', '.join(choices)}")
    return value


# --- shared rules and words ---------------------------------------------------------------------


def period_text(every: int, unit: Period | None) -> str:
    """ "every month", "every 6 weeks"; "no frequency" when Ordergroove gave none."""
    return frequency_words(every, unit.name.lower() if unit else "") or "no frequency"


def date_text(value: datetime | date | None) -> str:
    """The merchant's calendar date ("none scheduled" without one)."""
    return value.strftime("%Y-%m-%d") if value is not None else "none scheduled"


def place_date(order: Order | None) -> date | None:
    return order.place_at.date() if order is not None and order.place_at is not None else None


def next_order_moved(point: RecoveryPoint, state: State) -> str:
    """ "; next order 2026-12-03 → 2026-12-10" when the change moved it, else ""."""
    before, after = place_date_of(point), place_date(state.next_order)
    if before is None or before == after:
        return ""
    return f"; next order {date_text(before)} → {date_text(after)}"


def place_date_of(point: RecoveryPoint) -> date | None:
    return point.order_place_at.date() if point.order_place_at is not None else None


def require_active(subscription: Subscription) -> None:
    if subscription.status is not Status.ACTIVE:
        raise domain.not_active(subscription)


def require_not_prepaid(subscription: Subscription, what: str) -> None:
    """Ordergroove answers 400 to a quantity change of a prepaid subscription (its own, or its
    item's: `change_quantity/`): refused before it is sent."""
    if subscription.prepaid:
        raise ActionError(
            Reason.ORDERGROOVE_REJECTED,
            f"Subscription {subscription.subscription_id} is prepaid: Ordergroove does not change "
            f"{what}.",
            prepaid="true",
        )


def form_changed(what: str, shown: str, now: str, **metadata: str) -> ActionError:
    """The caller was shown a state that is no longer Ordergroove's: nothing was sent."""
    return ActionError(
        Reason.STATE_CHANGED,
        f"The {what} changed since the form was opened: it was {shown}, it is now {now} "
        f"(changed by someone else). Nothing was changed; open the form again.",
        **metadata,
    )


def require_change(name: str, shown: object, asked: object) -> None:
    """Asking for what is already held would make the proof of the write meaningless."""
    if shown == asked:
        raise InvalidArgument(name, "is what the subscription already has: nothing to change")


def touched(point: RecoveryPoint, state: State) -> bool:
    """Whether the subscription changed since the snapshot (Ordergroove's `updated` moved on).
    A record written before snapshots were taken has nothing to compare: untouched."""
    before = point.subscription_updated_at
    return before is not None and state.subscription.updated_at != before


def as_asked(
    point: RecoveryPoint,
    state: State,
    what: str,
    change: tuple[T, T, T],
    words: Callable[[T], str] = str,
) -> Finding:
    """The proof of a change of `what` (`change`: shown, asked, held now): applied when
    Ordergroove holds what was asked; not yet when it holds what was shown and nothing touched
    the subscription since the snapshot; else someone else changed it meanwhile, and whether
    this write was applied cannot be told."""
    shown, asked, now = change
    if now == asked:
        return Finding(Proof.APPLIED, f"the {what} is {words(now)}, as asked")
    if now == shown and not touched(point, state):
        return Finding(Proof.NOT_YET, f"the {what} is still {words(now)}, untouched since")
    return Finding(
        Proof.UNKNOWN,
        f"the {what} is now {words(now)}, and the subscription was changed since by someone else",
    )
