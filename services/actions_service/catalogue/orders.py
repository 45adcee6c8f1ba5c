"""What the actions on the next order share (send it now, cancel it, change or remove this
subscription's item in it, discount it): the order the form showed — its id, its date and the
subscriptions it held — checked against Ordergroove's before the write, and the words for what
an order holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Final

from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    State,
    date_text,
    day_text,
    form_changed,
    optional_day,
    place_date,
    require_active,
    required,
    text,
)
from services.actions_service.domain import (
    ORDER_STATUS_UNSENT,
    Finding,
    Order,
    OrderLine,
    OrderStatus,
    Proof,
    RecoveryPoint,
    Status,
    check_optional_id,
    line_of,
    order_status_label,
)
from services.actions_service.errors import ActionError, Reason

# Statuses of an order whose placement has begun or ended: SEND_NOW (what `send_now/` answers:
# recorded `sendOrderNow/live_response`), SUCCESS, REJECTED and the pending, error and retry
# states. Not UNSENT or CANCELLED (never placed), nor MERGED (the order went into another).
PLACEMENT_STATUSES: Final = frozenset(OrderStatus) - {
    OrderStatus.UNSENT,
    OrderStatus.CANCELLED,
    OrderStatus.MERGED,
}


@dataclass(frozen=True)
class ShownOrderParams:
    """The next order as the form showed it: its id (required), its date and the subscriptions
    it held (each optional: internal callers may not have been shown them)."""

    expected_order_id: str
    expected_date: date | None = None
    expected_subscriptions: tuple[str, ...] = ()  # sorted, each once

    @classmethod
    def from_record(cls, fields: Fields) -> ShownOrderParams:
        return cls(
            text(fields, "expected_order_id"),
            optional_day("expected_date", text(fields, "expected_date")),
            tuple(filter(None, text(fields, "expected_subscriptions").split(","))),
        )

    def record(self) -> dict[str, str]:
        return {
            "expected_order_id": self.expected_order_id,
            "expected_date": day_text(self.expected_date),
            "expected_subscriptions": ",".join(self.expected_subscriptions),
        }

    def check(self) -> None:
        check_optional_id(
            "expected_order_id", required("expected_order_id", self.expected_order_id)
        )
        for subscription_id in self.expected_subscriptions:
            check_optional_id("expected_subscriptions", subscription_id)


@dataclass(frozen=True)
class WholeOrder:
    """The rules of an action on the whole next order (send it now, cancel it): offered while
    the subscription has one; refused unless it is the order the form showed."""

    nothing_done: ClassVar[str] = "Nothing was changed."

    def offered(self, card: CardState) -> bool:
        # The next order is the earliest unsent one: the only kind Ordergroove sends or cancels.
        return card.subscription.status is Status.ACTIVE and card.next_order is not None

    async def validate(
        self, params: ShownOrderParams, merchant: MerchantSettings, today: date
    ) -> None:
        params.check()

    def refuse(self, state: State, params: ShownOrderParams) -> None:
        require_active(state.subscription)
        require_shown_order(state, params, self.nothing_done)


def require_shown_order(state: State, shown: ShownOrderParams, not_done: str) -> Order:
    """The next order, when it is the one the form showed — same id, same date, the same
    subscriptions in it; else nothing is sent (`not_done`: "Nothing was sent.")."""
    upcoming, named = state.next_order, shown.expected_order_id
    if upcoming is None or upcoming.order_id != named:
        now = upcoming.order_id if upcoming else "none"
        raise ActionError(
            Reason.NEXT_ORDER_CHANGED,
            f"Order {named} is no longer the next order of this subscription (it was "
            f"sent, skipped, cancelled or moved); the next order is now {now}. {not_done}",
            order_id=named,
            next_order_id=upcoming.order_id if upcoming else "",
        )
    if shown.expected_date is not None and place_date(upcoming) != shown.expected_date:
        raise form_changed(
            "next order date", date_text(shown.expected_date), date_text(place_date(upcoming))
        )
    expected = ",".join(shown.expected_subscriptions)
    held = subscriptions_of(state.order_lines)
    if expected and expected != held:
        raise form_changed(
            "order's contents",
            f"subscriptions {expected.replace(',', ', ')}",
            f"subscriptions {held.replace(',', ', ') or 'none'}",
        )
    return upcoming


def require_own_line(state: State, order_id: str, not_done: str) -> OrderLine:
    """This subscription's item in the order read; an order that no longer holds it is no
    longer the one the form showed."""
    line = line_of(state.order_lines, state.subscription.subscription_id)
    if line is None or not line.item_id:
        raise ActionError(
            Reason.NEXT_ORDER_CHANGED,
            f"Order {order_id} no longer holds this subscription's item (it was skipped or "
            f"removed since). {not_done}",
            order_id=order_id,
        )
    return line


def unsent_as_shown(point: RecoveryPoint, state: State) -> bool:
    """The recorded order is still unsent on its date, holding what it held at the snapshot."""
    order = state.order
    return (
        order is not None
        and order.status == OrderStatus.UNSENT
        and order.place_at == point.order_place_at
        and contents(state.order_lines) == contents(point.order_lines)
    )


def unsent_finding(point: RecoveryPoint, state: State, verb: str) -> Finding | None:
    """For an action on the whole recorded order while it is unsent on its date: not yet when
    it holds what it held; else not applied — acting now would act on another order than the
    form showed and the timeline would name. None for an order no longer unsent on its date."""
    order, name = state.order, point.order_id
    if order is None or order.status != OrderStatus.UNSENT:
        return None
    if order.place_at != point.order_place_at:
        return None
    if not unsent_as_shown(point, state):
        return Finding(
            Proof.NOT_APPLIED,
            f"order {name} was not {verb}, and what it holds changed since: now "
            f"{lines_words(state.order_lines)}, then {lines_words(point.order_lines)}",
        )
    return Finding(Proof.NOT_YET, f"order {name} is still unsent on its date")


def subscriptions_of(lines: tuple[OrderLine, ...]) -> str:
    """The subscriptions an order holds items of, as the form names them: sorted, by commas."""
    return ",".join(sorted({line.subscription_id for line in lines if line.subscription_id}))


def contents(lines: tuple[OrderLine, ...]) -> Counter[tuple[str, str, int]]:
    """What an order ships: whose, which product, how many (not the items' ids or prices)."""
    return Counter((line.subscription_id, line.product_id, line.quantity) for line in lines)


def lines_words(lines: tuple[OrderLine, ...], names: Mapping[str, str] | None = None) -> str:
    """ "2 of Coffee (subscription S); 1 of Filters (a one-off)"; "no items listed" for none."""
    names = names or {}
    return (
        "; ".join(
            f"{line.quantity} of {names.get(line.product_id) or line.product_id}"
            + (
                f" (subscription {line.subscription_id})"
                if line.subscription_id
                else " (a one-off)"
            )
            for line in lines
        )
        or "no items listed"
    )


def order_words(order: Order) -> str:
    if order.status == ORDER_STATUS_UNSENT:
        return f"unsent on {date_text(place_date(order))}"
    return f"{order_status_label(order.status).lower()}, no longer unsent"
