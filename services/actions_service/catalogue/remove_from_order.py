"""Remove From Order: this subscription's item leaves its next order, which keeps its other
items and ships on its date (`DELETE /items/{id}/delete/`, answered 200 or 204 without a body;
recorded deleteOrderItem). Offered only when the order holds other items: taking out the only
one is skipping (or cancelling) the order. The form names the item and the order, and the
subscriptions the order held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.actions_service.catalogue.base import (
    CardState,
    MerchantSettings,
    Reading,
    State,
    date_text,
    require_active,
)
from services.actions_service.catalogue.orders import (
    ShownOrderParams,
    lines_words,
    order_words,
    require_own_line,
    require_shown_order,
)
from services.actions_service.domain import (
    Action,
    Finding,
    OrderLine,
    OrderStatus,
    Proof,
    RecoveryPoint,
    Status,
    line_of,
)
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient

_NOTHING = "Nothing was removed."


def _holds_others(lines: tuple[OrderLine, ...], subscription_id: str) -> bool:
    return any(line.subscription_id != subscription_id for line in lines)


@dataclass(frozen=True)
class RemoveFromOrder:
    action: Action = Action.REMOVE_FROM_ORDER
    params: type[ShownOrderParams] = ShownOrderParams
    done: str = "Removed from the next order"
    reads: frozenset[Reading] = frozenset({Reading.ORDER_ITEMS})
    attempted: str = "remove from the next order the item of"

    def offered(self, card: CardState) -> bool:
        sub, lines = card.subscription, card.next_order_lines
        return (
            sub.status is Status.ACTIVE
            and card.next_order is not None
            and line_of(lines, sub.subscription_id) is not None
            and _holds_others(lines, sub.subscription_id)
        )

    async def validate(
        self, params: ShownOrderParams, merchant: MerchantSettings, today: date
    ) -> None:
        params.check()

    def refuse(self, state: State, params: ShownOrderParams) -> None:
        require_active(state.subscription)
        order = require_shown_order(state, params, _NOTHING)
        require_own_line(state, order.order_id, _NOTHING)
        if not _holds_others(state.order_lines, state.subscription.subscription_id):
            raise ActionError(
                Reason.STATE_CHANGED,
                f"Order {order.order_id} holds nothing but this subscription's item: removing it "
                f"would leave the order empty. {_NOTHING} Skip the next order instead.",
                order_id=order.order_id,
            )

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ShownOrderParams,
        today: date,
    ) -> int:
        line = line_of(point.order_lines, point.subscription_id)
        assert line is not None  # refuse() found it in the order the point records
        return await ordergroove.delete_item(line.item_id, point.order_id)

    def proof(self, point: RecoveryPoint, state: State, params: ShownOrderParams) -> Finding:
        """The item gone from an order still unsent: applied. Still in it while unsent on its
        date: not yet; still in it, but the order placed or cancelled: not applied."""
        order, name = state.order, point.order_id
        if order is None:
            return Finding(Proof.UNKNOWN, f"order {name} is no longer there")
        held = line_of(state.order_lines, point.subscription_id) is not None
        unsent = order.status == OrderStatus.UNSENT
        if not held and unsent:
            return Finding(Proof.APPLIED, f"order {name} no longer holds the item")
        if not held:
            return Finding(Proof.UNKNOWN, f"order {name} is {order_words(order)}, without it")
        if unsent and order.place_at == point.order_place_at:
            return Finding(Proof.NOT_YET, f"order {name} still holds the item, on its date")
        return Finding(Proof.NOT_APPLIED, f"order {name} is {order_words(order)}, with the item")

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ShownOrderParams,
        merchant: MerchantSettings,
    ) -> str:
        names = state.product_names
        return (
            f"Order {point.order_id} of {date_text(point.order_place_at)}: "
            f"{lines_words(point.order_lines, names)} → {lines_words(state.order_lines, names)}"
        )
