"""Skip Next Order: the subscription's items leave its next unsent order, and Ordergroove
generates the next order for them one frequency later. The form names the order (`order_id`);
only that order is skipped, never "whatever is next now"."""

from __future__ import annotations

from dataclasses import dataclass

from services.actions_service import domain
from services.actions_service.catalogue.base import (
    Fields,
    Limits,
    State,
    date_text,
    place_date,
    require_active,
)
from services.actions_service.domain import (
    Action,
    Order,
    Proof,
    RecoveryPoint,
    Status,
    Subscription,
)
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class Skip:
    action: Action = Action.SKIP
    done: str = "Next order skipped"
    # Its proof: the subscription's items are gone from the recorded order.
    reads_order_items: bool = True
    attempted: str = "skip the next order of"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        return subscription.status is Status.ACTIVE and next_order is not None

    async def validate(self, fields: Fields, limits: Limits) -> None:
        domain.check_optional_id("order_id", fields.get("order_id", ""))

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        require_active(state.subscription)
        upcoming = [state.next_order] if state.next_order is not None else []
        domain.order_to_skip(upcoming, fields.get("order_id", ""))

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        written = await ordergroove.skip_subscription(point.order_id, point.subscription_id)
        return written.status

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Proof:
        still_held = point.subscription_id in state.order_items_of
        return domain.skip_proof(state.subscription, state.order, still_held)

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        return (
            f"Skipped the {date_text(point.order_place_at)} order ({point.order_id}): next "
            f"order {date_text(point.order_place_at)} → {date_text(place_date(state.next_order))}"
        )
