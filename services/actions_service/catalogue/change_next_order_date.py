"""Change Next Order Date: the next order moves to a later date. The form shows the current
date (`expected_date`); Ordergroove's answer has no date, so the orders are re-read."""

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
    date_text,
    day,
    form_changed,
    place_date,
    require_active,
    require_change,
    text,
    within_reach,
)
from services.actions_service.domain import (
    Action,
    Finding,
    RecoveryPoint,
    Status,
)
from services.actions_service.errors import InvalidArgument
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class ChangeNextOrderDateParams:
    order_date: date
    expected_date: date

    @classmethod
    def from_record(cls, fields: Fields) -> ChangeNextOrderDateParams:
        return cls(
            day("order_date", text(fields, "order_date")),
            day("expected_date", text(fields, "expected_date")),
        )

    def record(self) -> dict[str, str]:
        return {
            "order_date": self.order_date.isoformat(),
            "expected_date": self.expected_date.isoformat(),
        }


@dataclass(frozen=True)
class ChangeNextOrderDate:
    action: Action = Action.CHANGE_NEXT_ORDER_DATE
    params: type[ChangeNextOrderDateParams] = ChangeNextOrderDateParams
    done: str = "Next order date changed"
    reads: frozenset[Reading] = frozenset()
    attempted: str = "change the next order date of"

    def offered(self, card: CardState) -> bool:
        subscription, next_order = card.subscription, card.next_order
        return subscription.status is Status.ACTIVE and next_order is not None

    async def validate(
        self, params: ChangeNextOrderDateParams, merchant: MerchantSettings, today: date
    ) -> None:
        require_change("order_date", params.expected_date, params.order_date)
        # Ordergroove takes only future dates (reference: `change_next_order_date/`).
        if within_reach("order_date", params.order_date, merchant, today) <= today:
            raise InvalidArgument("order_date", "must be in the future")

    def refuse(self, state: State, params: ChangeNextOrderDateParams) -> None:
        require_active(state.subscription)
        shown, now = params.expected_date, place_date(state.next_order)
        if now != shown:
            raise form_changed("next order date", date_text(shown), date_text(now))

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ChangeNextOrderDateParams,
        today: date,
    ) -> int:
        return await ordergroove.change_next_order_date(point.subscription_id, params.order_date)

    def proof(
        self, point: RecoveryPoint, state: State, params: ChangeNextOrderDateParams
    ) -> Finding:
        change = (params.expected_date, params.order_date, place_date(state.next_order))
        return as_asked(point, state, "next order date", change, date_text)

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ChangeNextOrderDateParams,
        merchant: MerchantSettings,
    ) -> str:
        after = date_text(place_date(state.next_order))
        return f"Next order: {date_text(params.expected_date)} → {after}"
