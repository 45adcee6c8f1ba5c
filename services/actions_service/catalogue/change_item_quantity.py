"""Change Item Quantity: how many of this subscription's item its next order ships, that order
only — the subscription keeps its own quantity for the orders after it
(`PATCH /items/{id}/change_quantity/`; recorded changeItemQuantity). The form names the order
(`expected_order_id`) and shows the item's quantity in it (`expected_quantity`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    Reading,
    State,
    bounded,
    date_text,
    form_changed,
    require_active,
    require_change,
    require_not_prepaid,
    required,
    text,
    whole_number,
)
from services.actions_service.catalogue.orders import (
    ShownOrderParams,
    order_words,
    require_own_line,
    require_shown_order,
    unsent_as_shown,
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
from services.actions_service.ordergroove import OrdergrooveClient

# Far above any merchant's maximum: a shown quantity is only compared, never sent.
_ANY_QUANTITY = 1_000_000
_NOTHING = "Nothing was changed."


@dataclass(frozen=True)
class ChangeItemQuantityParams:
    quantity: int
    expected_order_id: str
    expected_quantity: int

    @classmethod
    def from_record(cls, fields: Fields) -> ChangeItemQuantityParams:
        return cls(
            whole_number(fields, "quantity", 1, _ANY_QUANTITY),
            text(fields, "expected_order_id"),
            whole_number(fields, "expected_quantity", 0, _ANY_QUANTITY),
        )

    def record(self) -> dict[str, str]:
        return {
            "quantity": str(self.quantity),
            "expected_order_id": self.expected_order_id,
            "expected_quantity": str(self.expected_quantity),
        }


@dataclass(frozen=True)
class ChangeItemQuantity:
    action: Action = Action.CHANGE_ITEM_QUANTITY
    params: type[ChangeItemQuantityParams] = ChangeItemQuantityParams
    done: str = "Quantity in the next order changed"
    reads: frozenset[Reading] = frozenset({Reading.ORDER_ITEMS})
    attempted: str = "change the quantity in the next order of"

    def offered(self, card: CardState) -> bool:
        sub = card.subscription
        return (
            sub.status is Status.ACTIVE
            and not sub.prepaid
            and card.next_order is not None
            and line_of(card.next_order_lines, sub.subscription_id) is not None
        )

    async def validate(
        self, params: ChangeItemQuantityParams, merchant: MerchantSettings, today: date
    ) -> None:
        check_optional_id(
            "expected_order_id", required("expected_order_id", params.expected_order_id)
        )
        asked = bounded("quantity", params.quantity, 1, merchant.max_quantity)
        shown = bounded("expected_quantity", params.expected_quantity, 0, _ANY_QUANTITY)
        require_change("quantity", shown, asked)

    def refuse(self, state: State, params: ChangeItemQuantityParams) -> None:
        sub = state.subscription
        require_active(sub)
        require_not_prepaid(sub, "the quantity of a prepaid subscription's items")
        order = require_shown_order(state, ShownOrderParams(params.expected_order_id), _NOTHING)
        line = require_own_line(state, order.order_id, _NOTHING)
        if line.quantity != params.expected_quantity:
            raise form_changed(
                f"quantity in order {order.order_id}",
                str(params.expected_quantity),
                str(line.quantity),
            )

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ChangeItemQuantityParams,
        today: date,
    ) -> int:
        line = line_of(point.order_lines, point.subscription_id)
        assert line is not None  # refuse() found it in the order the point records
        return await ordergroove.change_item_quantity(line.item_id, params.quantity, point.order_id)

    def proof(
        self, point: RecoveryPoint, state: State, params: ChangeItemQuantityParams
    ) -> Finding:
        """The item holds the quantity asked: applied. The shown quantity in an order untouched
        since (still unsent on its date, the same contents): not yet; in an order placed or
        cancelled since: not applied. Anything else — the item gone, another quantity, other
        contents — was someone else's change: unknown."""
        order, name = state.order, point.order_id
        line = line_of(state.order_lines, point.subscription_id)
        if order is None or line is None:
            return Finding(Proof.UNKNOWN, f"order {name} no longer holds this subscription's item")
        if line.quantity == params.quantity:
            return Finding(Proof.APPLIED, f"order {name} ships {line.quantity}, as asked")
        if line.quantity != params.expected_quantity:
            return Finding(
                Proof.UNKNOWN, f"order {name} now ships {line.quantity}: changed by someone else"
            )
        if order.status != OrderStatus.UNSENT:
            return Finding(
                Proof.NOT_APPLIED, f"order {name} is {order_words(order)}, with {line.quantity}"
            )
        if unsent_as_shown(point, state):
            return Finding(Proof.NOT_YET, f"order {name} still ships {line.quantity}")
        return Finding(Proof.UNKNOWN, f"order {name} was changed since by someone else")

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ChangeItemQuantityParams,
        merchant: MerchantSettings,
    ) -> str:
        line = line_of(state.order_lines, point.subscription_id)
        now = str(line.quantity) if line is not None else "none"
        return (
            f"Quantity in order {point.order_id} of {date_text(point.order_place_at)}: "
            f"{params.expected_quantity} → {now}; later orders keep "
            f"{state.subscription.quantity}"
        )
