"""Change Next Order Date: the next order moves to a later date. The form shows the current
date (`expected_date`); Ordergroove's answer has no date, so the orders are re-read."""

from __future__ import annotations

from dataclasses import dataclass

from services.actions_service.catalogue.base import (
    Fields,
    Limits,
    State,
    as_asked,
    date_text,
    day,
    day_within_reach,
    form_changed,
    place_date,
    require_active,
    require_change,
)
from services.actions_service.domain import (
    Action,
    Finding,
    Order,
    RecoveryPoint,
    Status,
    Subscription,
)
from services.actions_service.errors import InvalidArgument
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class ChangeNextOrderDate:
    action: Action = Action.CHANGE_NEXT_ORDER_DATE
    done: str = "Next order date changed"
    reads_order_items: bool = False
    attempted: str = "change the next order date of"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        return subscription.status is Status.ACTIVE and next_order is not None

    async def validate(self, fields: Fields, limits: Limits) -> None:
        require_change("order_date", day(fields, "expected_date"), day(fields, "order_date"))
        # Ordergroove takes only future dates (reference: `change_next_order_date/`).
        if day_within_reach(fields, "order_date", limits) <= limits.today:
            raise InvalidArgument("order_date", "must be in the future")

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        require_active(state.subscription)
        shown, now = day(fields, "expected_date"), place_date(state.next_order)
        if now != shown:
            raise form_changed("next order date", date_text(shown), date_text(now))

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        return await ordergroove.change_next_order_date(
            point.subscription_id, day(fields, "order_date")
        )

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Finding:
        shown, asked = day(fields, "expected_date"), day(fields, "order_date")
        change = (shown, asked, place_date(state.next_order))
        return as_asked(point, state, "next order date", change, date_text)

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        return f"Next order: {fields['expected_date']} → {date_text(place_date(state.next_order))}"
