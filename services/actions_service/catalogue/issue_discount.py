"""Issue Discount: a one-time discount on the next order, or on this subscription's item in it,
as goodwill (`POST /one_time_incentives/create/`, 201; recorded issueOneTimeDiscount). Only when
the merchant switched discounts on (DISCOUNTS_ENABLED), and never above its cap for that kind —
no cap, no discount of that kind — checked before anything is recorded or sent.

A discount leaves no trace on the subscription or the order that a proof could read, and
Ordergroove has no idempotency key: the discount's description names the request it was
issued for, and a lost answer is settled by listing the customer's discounts (One Time
Incentives: List) for that name — never by issuing a second one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    Reading,
    State,
    choice,
    date_text,
    require_active,
    required,
    text,
)
from services.actions_service.catalogue.orders import (
    ShownOrderParams,
    order_words,
    require_own_line,
    require_shown_order,
)
from services.actions_service.domain import (
    Action,
    Finding,
    OrderStatus,
    Proof,
    RecoveryPoint,
    Status,
    check_optional_id,
    line_of,
)
from services.actions_service.errors import InvalidArgument
from services.actions_service.ordergroove import Discount, OrdergrooveClient

TARGETS: Final = ("order", "item")
KINDS: Final = ("amount", "percent")
MAX_REASON: Final = 200
# Gladly's own app takes `^[0-9]+(\.[0-9]{1,2})?$` (recorded issueOneTimeDiscount/gate_bad_value).
_VALUE: Final = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")
_NOTHING: Final = "No discount was issued."


def issued_for(request_id: str) -> str:
    """What a discount's description carries to name the request that issued it."""
    return f"[request {request_id}]"


@dataclass(frozen=True)
class IssueDiscountParams:
    expected_order_id: str
    target: str  # "order" or "item" (this subscription's item in that order)
    kind: str  # "amount" or "percent"
    value: str  # a positive decimal, at most two places: "5", "7.50"
    reason: str  # the agent's words: the discount's name

    @classmethod
    def from_record(cls, fields: Fields) -> IssueDiscountParams:
        return cls(
            text(fields, "expected_order_id"),
            text(fields, "target"),
            text(fields, "kind"),
            text(fields, "value"),
            text(fields, "reason"),
        )

    def record(self) -> dict[str, str]:
        return {
            "expected_order_id": self.expected_order_id,
            "target": self.target,
            "kind": self.kind,
            "value": self.value,
            "reason": self.reason,
        }

    def words(self, currency: str) -> str:
        """ "5.00 USD off the order", "10% off the item"."""
        off = f"{self.value}%" if self.kind == "percent" else f"{self.value} {currency}".strip()
        return f"{off} off the {'whole order' if self.target == 'order' else 'item'}"


def _amount(value: str) -> Decimal:
    if not _VALUE.fullmatch(value) or Decimal(value) <= 0:
        raise InvalidArgument(
            "value", f"must be a positive number such as 5 or 7.50, got {value!r}"
        )
    return Decimal(value)


def _check_cap(kind: str, value: Decimal, merchant: MerchantSettings) -> None:
    """The merchant's cap for the kind (the recorded gates' words): none set means none of it."""
    percent = kind == "percent"
    discounts = merchant.discounts
    cap = discounts.max_percent if percent else discounts.max_amount
    unit = "%" if percent else ""
    if cap is None:
        words = "percentage" if percent else "amount"
        raise InvalidArgument(
            "kind",
            f"cannot be {kind}: no maximum discount {words} is set for this store "
            f"(DISCOUNT_MAX_{'PERCENT' if percent else 'AMOUNT'}), so no such discount can be "
            f"issued",
        )
    if value > cap:
        raise InvalidArgument(
            "value",
            f"is {value}{unit}, above this store's maximum of {cap}{unit}: issue a smaller "
            f"discount or ask an admin to raise the limit",
        )
    if percent and value > 100:
        raise InvalidArgument("value", "must be at most 100 percent")


@dataclass(frozen=True)
class IssueDiscount:
    action: Action = Action.ISSUE_DISCOUNT
    params: type[IssueDiscountParams] = IssueDiscountParams
    done: str = "Discount issued"
    # The item's id (for an item's discount); the customer's discounts, before the write (what
    # the order held) and after it (the proof).
    reads: frozenset[Reading] = frozenset({Reading.ORDER_ITEMS, Reading.INCENTIVES})
    attempted: str = "issue a discount on the next order of"

    def offered(self, card: CardState) -> bool:
        # DISCOUNTS_ENABLED is part of "switched on": the use cases drop it from the enabled.
        return card.subscription.status is Status.ACTIVE and card.next_order is not None

    async def validate(
        self, params: IssueDiscountParams, merchant: MerchantSettings, today: date
    ) -> None:
        check_optional_id(
            "expected_order_id", required("expected_order_id", params.expected_order_id)
        )
        choice("target", params.target, TARGETS)
        choice("kind", params.kind, KINDS)
        _check_cap(params.kind, _amount(params.value), merchant)
        if len(required("reason", params.reason)) > MAX_REASON:
            raise InvalidArgument("reason", f"must be at most {MAX_REASON} characters")

    def refuse(self, state: State, params: IssueDiscountParams) -> None:
        require_active(state.subscription)
        order = require_shown_order(state, ShownOrderParams(params.expected_order_id), _NOTHING)
        if params.target == "item":
            require_own_line(state, order.order_id, _NOTHING)

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: IssueDiscountParams,
        today: date,
    ) -> int:
        line = line_of(point.order_lines, point.subscription_id)
        on_item = params.target == "item" and line is not None
        reason = params.reason.strip()
        return await ordergroove.create_discount(
            Discount(
                customer_id=point.customer_id,
                order_id=point.order_id,
                item_id=line.item_id if on_item and line else "",
                percent=params.kind == "percent",
                value=params.value,
                name=reason,
                description=f"{reason} {issued_for(point.request_id)}",
            )
        )

    def proof(self, point: RecoveryPoint, state: State, params: IssueDiscountParams) -> Finding:
        """A discount of the customer's names this request: applied. None does, and the order
        is still unsent: not yet (issuing it now is the first one); placed or cancelled since:
        not applied."""
        marker = issued_for(point.request_id)
        found = [i for i in state.incentives if marker in i.description]
        name = point.order_id
        if found:
            return Finding(Proof.APPLIED, f"discount {found[0].incentive_id} names this request")
        order = state.order
        if order is not None and order.status == OrderStatus.UNSENT:
            return Finding(Proof.NOT_YET, f"no discount names this request; order {name} is unsent")
        where = order_words(order) if order is not None else "no longer there"
        return Finding(
            Proof.NOT_APPLIED, f"no discount names this request, and order {name} is {where}"
        )

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: IssueDiscountParams,
        merchant: MerchantSettings,
    ) -> str:
        """The order's discounts before → after: those on the order or its items when it was
        read right before the write, and this one (discounts given since are another's)."""
        before = _count(len(point.order_discounts))
        ours = f"{params.words(state.subscription.currency_code)} ({params.reason.strip()})"
        after = f"{before} and {ours}" if point.order_discounts else ours
        return (
            f"Discounts on order {point.order_id} of {date_text(point.order_place_at)}: "
            f"{before} → {after}"
        )


def _count(discounts: int) -> str:
    return "none" if not discounts else f"{discounts} discount{'s' if discounts > 1 else ''}"
