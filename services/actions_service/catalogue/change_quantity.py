"""Change Quantity: how many of the product each order ships, up to the merchant's maximum
(MAX_QUANTITY). The form shows the current quantity (`expected_quantity`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    Reading,
    State,
    as_asked,
    bounded,
    form_changed,
    require_active,
    require_change,
    require_not_prepaid,
    whole_number,
)
from services.actions_service.domain import (
    Action,
    Finding,
    RecoveryPoint,
    Status,
)
from services.actions_service.ordergroove import OrdergrooveClient

# Far above any merchant's maximum: a shown quantity is only compared, never sent.
_ANY_QUANTITY = 1_000_000


@dataclass(frozen=True)
class ChangeQuantityParams:
    quantity: int
    expected_quantity: int

    @classmethod
    def from_record(cls, fields: Fields) -> ChangeQuantityParams:
        return cls(
            whole_number(fields, "quantity", 1, _ANY_QUANTITY),
            whole_number(fields, "expected_quantity", 0, _ANY_QUANTITY),
        )

    def record(self) -> dict[str, str]:
        return {"quantity": str(self.quantity), "expected_quantity": str(self.expected_quantity)}


@dataclass(frozen=True)
class ChangeQuantity:
    action: Action = Action.CHANGE_QUANTITY
    params: type[ChangeQuantityParams] = ChangeQuantityParams
    done: str = "Quantity changed"
    reads: frozenset[Reading] = frozenset()
    attempted: str = "change the quantity of"

    def offered(self, card: CardState) -> bool:
        subscription = card.subscription
        return subscription.status is Status.ACTIVE and not subscription.prepaid

    async def validate(
        self, params: ChangeQuantityParams, merchant: MerchantSettings, today: date
    ) -> None:
        asked = bounded("quantity", params.quantity, 1, merchant.max_quantity)
        shown = bounded("expected_quantity", params.expected_quantity, 0, _ANY_QUANTITY)
        require_change("quantity", shown, asked)

    def refuse(self, state: State, params: ChangeQuantityParams) -> None:
        sub = state.subscription
        require_active(sub)
        require_not_prepaid(sub, "the quantity of prepaid subscriptions")
        if sub.quantity != params.expected_quantity:
            raise form_changed("quantity", str(params.expected_quantity), str(sub.quantity))

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ChangeQuantityParams,
        today: date,
    ) -> int:
        return await ordergroove.change_quantity(point.subscription_id, params.quantity)

    def proof(self, point: RecoveryPoint, state: State, params: ChangeQuantityParams) -> Finding:
        change = (params.expected_quantity, params.quantity, state.subscription.quantity)
        return as_asked(point, state, "quantity", change)

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ChangeQuantityParams,
        merchant: MerchantSettings,
    ) -> str:
        return f"Quantity: {params.expected_quantity} → {state.subscription.quantity}"
