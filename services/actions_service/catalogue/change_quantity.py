"""Change Quantity: how many of the product each order ships, up to the merchant's maximum
(MAX_QUANTITY). The form shows the current quantity (`expected_quantity`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.actions_service.catalogue.base import (
    Fields,
    Limits,
    State,
    as_asked,
    form_changed,
    require_active,
    require_change,
    whole_number,
)
from services.actions_service.domain import (
    Action,
    Finding,
    Order,
    RecoveryPoint,
    Status,
    Subscription,
)
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient

# Far above any merchant's maximum: a shown quantity is only compared, never sent.
_ANY_QUANTITY = 1_000_000


@dataclass(frozen=True)
class ChangeQuantity:
    action: Action = Action.CHANGE_QUANTITY
    done: str = "Quantity changed"
    reads_order_items: bool = False
    attempted: str = "change the quantity of"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        return subscription.status is Status.ACTIVE and not subscription.prepaid

    async def validate(self, fields: Fields, limits: Limits) -> None:
        asked = whole_number(fields, "quantity", 1, limits.max_quantity)
        require_change(
            "quantity", whole_number(fields, "expected_quantity", 0, _ANY_QUANTITY), asked
        )

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        sub = state.subscription
        require_active(sub)
        if sub.prepaid:
            # Ordergroove answers 400 to `change_quantity/` on a prepaid subscription.
            raise ActionError(
                Reason.ORDERGROOVE_REJECTED,
                f"Subscription {sub.subscription_id} is prepaid: Ordergroove does not change "
                f"the quantity of prepaid subscriptions.",
                prepaid="true",
            )
        shown = whole_number(fields, "expected_quantity", 0, _ANY_QUANTITY)
        if sub.quantity != shown:
            raise form_changed("quantity", str(shown), str(sub.quantity))

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        quantity = whole_number(fields, "quantity", 1, limits.max_quantity)
        return await ordergroove.change_quantity(point.subscription_id, quantity)

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Finding:
        shown = whole_number(fields, "expected_quantity", 0, _ANY_QUANTITY)
        asked = whole_number(fields, "quantity", 1, _ANY_QUANTITY)
        return as_asked(point, state, "quantity", (shown, asked, state.subscription.quantity))

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        return f"Quantity: {fields['expected_quantity']} → {state.subscription.quantity}"
