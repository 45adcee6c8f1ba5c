"""Send Next Order Now: Ordergroove places the next order within 24 hours. The form names the
order (`expected_order_id`) and its date (`expected_date`); only that order is sent, never
"whatever is next now", and not once it has moved to another date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.actions_service.catalogue.base import (
    Fields,
    Limits,
    State,
    date_text,
    day,
    form_changed,
    place_date,
    require_active,
    required,
)
from services.actions_service.domain import (
    ORDER_STATUS_UNSENT,
    Action,
    Order,
    Proof,
    RecoveryPoint,
    Status,
    Subscription,
    check_optional_id,
)
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient

# Ordergroove's status of a placed order (reference: order statuses).
ORDER_STATUS_PLACED = 5
# Reference: `send_now/` "places within 24 h".
PLACED_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class SendNow:
    action: Action = Action.SEND_NOW
    done: str = "Next order sent now"
    reads_order_items: bool = False
    attempted: str = "send now the next order of"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        return subscription.status is Status.ACTIVE and next_order is not None

    async def validate(self, fields: Fields, limits: Limits) -> None:
        check_optional_id("expected_order_id", required(fields, "expected_order_id"))
        if fields.get("expected_date"):
            day(fields, "expected_date")

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        require_active(state.subscription)
        shown, upcoming = fields["expected_order_id"], state.next_order
        if upcoming is None or upcoming.order_id != shown:
            now = upcoming.order_id if upcoming else "none"
            raise ActionError(
                Reason.NEXT_ORDER_CHANGED,
                f"Order {shown} is no longer the next order of this subscription (it was "
                f"sent, skipped or moved); the next order is now {now}. Nothing was sent.",
                order_id=shown,
                next_order_id=upcoming.order_id if upcoming else "",
            )
        if fields.get("expected_date") and place_date(upcoming) != day(fields, "expected_date"):
            raise form_changed(
                "next order date", fields["expected_date"], date_text(place_date(upcoming))
            )

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        return await ordergroove.send_now(point.order_id)

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Proof:
        """Sent: placed, or still unsent but due within 24 h from a later date; untouched:
        not applied; anything else (cancelled, moved elsewhere) happened to it otherwise."""
        order = state.order
        if order is None:
            return Proof.IMPOSSIBLE
        if order.status == ORDER_STATUS_PLACED:
            return Proof.APPLIED
        if order.status != ORDER_STATUS_UNSENT or order.place_at is None:
            return Proof.IMPOSSIBLE
        if order.place_at == point.order_place_at:
            return Proof.NOT_YET
        due_soon = order.place_at <= state.read_at + PLACED_WITHIN
        return Proof.APPLIED if due_soon else Proof.IMPOSSIBLE

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        placed = state.order.place_at if state.order else None
        return (
            f"Order {point.order_id} sent now: order date {date_text(point.order_place_at)} "
            f"→ {date_text(placed)}"
        )
