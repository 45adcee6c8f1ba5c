"""Send Next Order Now: Ordergroove places the whole next order at once — every subscription's
items in it, not only this one's. The form lists what ships and names the order
(`expected_order_id`), its date (`expected_date`) and the subscriptions it holds
(`expected_subscriptions`); only that order is sent, and not once it has moved or its contents
changed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Final

from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    Reading,
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
    Action,
    Finding,
    OrderLine,
    OrderStatus,
    Proof,
    RecoveryPoint,
    Status,
    check_optional_id,
    order_status_label,
)
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient

# Statuses of an order whose placement has begun or ended: SEND_NOW (what `send_now/` answers:
# recorded `sendOrderNow/live_response`), SUCCESS, REJECTED and the pending, error and retry
# states. Not UNSENT or CANCELLED (never placed), nor MERGED (the order went into another).
PLACEMENT_STATUSES: Final = frozenset(OrderStatus) - {
    OrderStatus.UNSENT,
    OrderStatus.CANCELLED,
    OrderStatus.MERGED,
}


def _lines_words(lines: tuple[OrderLine, ...]) -> str:
    """ "2 of subscription S, 1 of subscription T" ("nothing" for no line)."""
    held = sorted(f"{line.quantity} of subscription {line.subscription_id}" for line in lines)
    return ", ".join(held) or "nothing"


def _contents(lines: tuple[OrderLine, ...]) -> Counter[tuple[str, str, int]]:
    """What an order ships: whose, which product, how many (not the items' ids or prices)."""
    return Counter((line.subscription_id, line.product_id, line.quantity) for line in lines)


def subscriptions_of(lines: tuple[OrderLine, ...]) -> str:
    """The subscriptions an order holds items of, as the form names them: sorted, by commas."""
    return ",".join(sorted({line.subscription_id for line in lines if line.subscription_id}))


@dataclass(frozen=True)
class SendNowParams:
    expected_order_id: str
    expected_date: date | None
    expected_subscriptions: tuple[str, ...]  # sorted, each once ((): not named)

    @classmethod
    def from_record(cls, fields: Fields) -> SendNowParams:
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


@dataclass(frozen=True)
class SendNow:
    action: Action = Action.SEND_NOW
    params: type[SendNowParams] = SendNowParams
    done: str = "Next order sent now"
    # The whole order ships: its contents are shown, checked and named on the timeline.
    reads: frozenset[Reading] = frozenset({Reading.ORDER_ITEMS})
    attempted: str = "send now the next order of"

    def offered(self, card: CardState) -> bool:
        subscription, next_order = card.subscription, card.next_order
        return subscription.status is Status.ACTIVE and next_order is not None

    async def validate(
        self, params: SendNowParams, merchant: MerchantSettings, today: date
    ) -> None:
        check_optional_id(
            "expected_order_id", required("expected_order_id", params.expected_order_id)
        )
        for subscription_id in params.expected_subscriptions:
            check_optional_id("expected_subscriptions", subscription_id)

    def refuse(self, state: State, params: SendNowParams) -> None:
        require_active(state.subscription)
        shown, upcoming = params.expected_order_id, state.next_order
        if upcoming is None or upcoming.order_id != shown:
            now = upcoming.order_id if upcoming else "none"
            raise ActionError(
                Reason.NEXT_ORDER_CHANGED,
                f"Order {shown} is no longer the next order of this subscription (it was "
                f"sent, skipped or moved); the next order is now {now}. Nothing was sent.",
                order_id=shown,
                next_order_id=upcoming.order_id if upcoming else "",
            )
        shown_date = params.expected_date
        if shown_date is not None and place_date(upcoming) != shown_date:
            raise form_changed(
                "next order date", date_text(shown_date), date_text(place_date(upcoming))
            )
        expected = ",".join(params.expected_subscriptions)
        held = subscriptions_of(state.order_lines)
        if expected and expected != held:
            raise form_changed(
                "order's contents",
                f"subscriptions {expected.replace(',', ', ')}",
                f"subscriptions {held.replace(',', ', ') or 'none'}",
            )

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: SendNowParams,
        today: date,
    ) -> int:
        return await ordergroove.send_now(point.order_id)

    def proof(self, point: RecoveryPoint, state: State, params: SendNowParams) -> Finding:
        """Sent: its placement began — unless its own date has passed meanwhile, when it may
        have been placed on schedule. Unsent on its date: not yet; moved or cancelled: not
        applied (it was not sent)."""
        order, name = state.order, point.order_id
        if order is None:
            return Finding(Proof.UNKNOWN, f"order {name} is no longer there")
        if order.status in PLACEMENT_STATUSES:
            due = point.order_place_at
            if due is not None and state.read_at >= due:
                return Finding(
                    Proof.UNKNOWN,
                    f"order {name} was placed, but its date ({date_text(due)}) has come: it may "
                    f"have been placed on schedule",
                )
            return Finding(
                Proof.APPLIED, f"order {name} was placed ({order_status_label(order.status)})"
            )
        if order.status == OrderStatus.UNSENT and order.place_at == point.order_place_at:
            # Sending it now would ship another order than the form showed and the timeline
            # would name (the snapshot's lines): not this action's any more.
            if _contents(state.order_lines) != _contents(point.order_lines):
                return Finding(
                    Proof.NOT_APPLIED,
                    f"order {name} was not sent, and what it holds changed since: now "
                    f"{_lines_words(state.order_lines)}, then {_lines_words(point.order_lines)}",
                )
            return Finding(Proof.NOT_YET, f"order {name} is still unsent on its date")
        if order.status in (OrderStatus.UNSENT, OrderStatus.CANCELLED):
            where = "cancelled" if order.status == OrderStatus.CANCELLED else "moved"
            return Finding(Proof.NOT_APPLIED, f"order {name} was {where}, not sent")
        return Finding(Proof.UNKNOWN, f"order {name} is {order_status_label(order.status)}")

    def before_after(
        self, point: RecoveryPoint, state: State, params: SendNowParams, merchant: MerchantSettings
    ) -> str:
        shipped = "; ".join(
            f"{line.quantity} of {state.product_names.get(line.product_id) or line.product_id}"
            + (f" (subscription {line.subscription_id})" if line.subscription_id else "")
            for line in point.order_lines
        )
        return (
            f"Order {point.order_id} placed now, the whole order: {shipped or 'no items listed'}"
            f"; order date {date_text(point.order_place_at)} → today"
        )
