"""Reactivate: a cancelled or inactive subscription ships again, at a frequency (the old one by
default) from a first order date. Ordergroove answers `{"success": true}`: the state is re-read."""

from __future__ import annotations

from dataclasses import dataclass

from services.actions_service.catalogue.base import (
    MAX_EVERY,
    Fields,
    Limits,
    State,
    date_text,
    day,
    day_within_reach,
    form_changed,
    period,
    period_text,
    place_date,
    touched,
    whole_number,
)
from services.actions_service.domain import (
    Action,
    Finding,
    Order,
    Proof,
    RecoveryPoint,
    Status,
    Subscription,
)
from services.actions_service.errors import InvalidArgument
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class Reactivate:
    action: Action = Action.REACTIVATE
    done: str = "Subscription reactivated"
    reads_order_items: bool = False
    attempted: str = "reactivate"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        return subscription.status in (Status.CANCELLED, Status.INACTIVE)

    async def validate(self, fields: Fields, limits: Limits) -> None:
        whole_number(fields, "every", 1, MAX_EVERY)
        period(fields, "period")
        if day_within_reach(fields, "first_order_date", limits) < limits.today:
            raise InvalidArgument("first_order_date", "must not be in the past")

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        # Ordergroove refuses it too ("This subscription is already in active state").
        if state.subscription.status is Status.ACTIVE:
            raise form_changed("subscription's status", "not active", "active")

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        return await ordergroove.reactivate(
            point.subscription_id,
            whole_number(fields, "every", 1, MAX_EVERY),
            period(fields, "period"),
            day(fields, "first_order_date"),
            limits.today,
        )

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Finding:
        """Live again at the asked frequency; still not live and untouched: not applied."""
        sub = state.subscription
        asked = (whole_number(fields, "every", 1, MAX_EVERY), period(fields, "period"))
        if sub.live and (sub.every, sub.period) == asked:
            return Finding(Proof.APPLIED, f"the subscription is active, {period_text(*asked)}")
        if not sub.live and not touched(point, state):
            return Finding(Proof.NOT_YET, "the subscription is still not active, untouched since")
        return Finding(
            Proof.UNKNOWN,
            f"the subscription is {sub.status.value}, {period_text(sub.every, sub.period)}, and "
            f"was changed since by someone else",
        )

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        sub = state.subscription
        return (
            f"Status: not active → active, {period_text(sub.every, sub.period)}; "
            f"first order {date_text(place_date(state.next_order))}"
        )
