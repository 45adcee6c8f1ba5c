"""Send Next Order Now: Ordergroove places the whole next order at once — every subscription's
items in it, not only this one's. The form lists what ships and names the order
(`expected_order_id`), its date (`expected_date`) and the subscriptions it holds
(`expected_subscriptions`); only that order is sent, and not once it has moved or its contents
changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.actions_service.catalogue.base import (
    MerchantSettings,
    Reading,
    State,
    date_text,
)
from services.actions_service.catalogue.orders import (
    PLACEMENT_STATUSES,
    ShownOrderParams,
    WholeOrder,
    lines_words,
    unsent_finding,
)
from services.actions_service.domain import (
    Action,
    Finding,
    OrderStatus,
    Proof,
    RecoveryPoint,
    order_status_label,
)
from services.actions_service.ordergroove import OrdergrooveClient

# The send-now form shows the order's id, date and subscriptions (`expected_*`).
SendNowParams = ShownOrderParams


@dataclass(frozen=True)
class SendNow(WholeOrder):
    nothing_done: ClassVar[str] = "Nothing was sent."
    action: Action = Action.SEND_NOW
    params: type[SendNowParams] = SendNowParams
    done: str = "Next order sent now"
    # The whole order ships: its contents are shown, checked and named on the timeline.
    reads: frozenset[Reading] = frozenset({Reading.ORDER_ITEMS})
    attempted: str = "send now the next order of"

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
        if unsent := unsent_finding(point, state, "sent"):
            return unsent
        if order.status in (OrderStatus.UNSENT, OrderStatus.CANCELLED):
            where = "cancelled" if order.status == OrderStatus.CANCELLED else "moved"
            return Finding(Proof.NOT_APPLIED, f"order {name} was {where}, not sent")
        return Finding(Proof.UNKNOWN, f"order {name} is {order_status_label(order.status)}")

    def before_after(
        self, point: RecoveryPoint, state: State, params: SendNowParams, merchant: MerchantSettings
    ) -> str:
        shipped = lines_words(point.order_lines, state.product_names)
        return (
            f"Order {point.order_id} placed now, the whole order: {shipped}"
            f"; order date {date_text(point.order_place_at)} → today"
        )
