"""Cancel This Order: Ordergroove cancels the subscription's next order — the whole order,
every subscription's items in it — and generates the next order of each subscription it held
(`PATCH /orders/{id}/cancel/`; recorded cancelOrder). The form lists what the order holds and
names it, its date and its subscriptions; only that order is cancelled, and not once it has
moved or its contents changed. The subscriptions stay active."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.actions_service.catalogue.base import (
    MerchantSettings,
    Reading,
    State,
    date_text,
    place_date,
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


@dataclass(frozen=True)
class CancelOrder(WholeOrder):
    nothing_done: ClassVar[str] = "Nothing was cancelled."
    action: Action = Action.CANCEL_ORDER
    params: type[ShownOrderParams] = ShownOrderParams
    done: str = "Next order cancelled"
    # The whole order is cancelled: its contents are shown, checked and named on the timeline.
    reads: frozenset[Reading] = frozenset({Reading.ORDER_ITEMS})
    attempted: str = "cancel the next order of"

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ShownOrderParams,
        today: date,
    ) -> int:
        return await ordergroove.cancel_order(point.order_id)

    def proof(self, point: RecoveryPoint, state: State, params: ShownOrderParams) -> Finding:
        """Cancelled: applied. Unsent on its date with what it held: not yet; with other
        contents: not applied (cancelling now would cancel another order than the one shown).
        Placed meanwhile: not applied."""
        order, name = state.order, point.order_id
        if order is None:
            return Finding(Proof.UNKNOWN, f"order {name} is no longer there")
        if order.status == OrderStatus.CANCELLED:
            return Finding(Proof.APPLIED, f"order {name} is cancelled")
        if unsent := unsent_finding(point, state, "cancelled"):
            return unsent
        if order.status == OrderStatus.UNSENT:
            return Finding(Proof.NOT_APPLIED, f"order {name} was moved, not cancelled")
        if order.status in PLACEMENT_STATUSES:
            return Finding(
                Proof.NOT_APPLIED,
                f"order {name} was placed ({order_status_label(order.status)}), not cancelled",
            )
        return Finding(Proof.UNKNOWN, f"order {name} is {order_status_label(order.status)}")

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ShownOrderParams,
        merchant: MerchantSettings,
    ) -> str:
        held = lines_words(point.order_lines, state.product_names)
        return (
            f"Order {point.order_id} of {date_text(point.order_place_at)} cancelled, the whole "
            f"order: {held}; next order {date_text(point.order_place_at)} → "
            f"{date_text(place_date(state.next_order))}"
        )
