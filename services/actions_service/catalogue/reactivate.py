"""Reactivate: a cancelled or inactive subscription ships again, at a frequency (the old one by
default) from a first order date. Ordergroove answers `{"success": true}`: the state is re-read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.actions_service.catalogue.base import (
    MAX_EVERY,
    CardState,
    Fields,
    MerchantSettings,
    Reading,
    State,
    bounded,
    date_text,
    day,
    form_changed,
    period_named,
    period_text,
    place_date,
    text,
    touched,
    whole_number,
    within_reach,
)
from services.actions_service.domain import (
    Action,
    Finding,
    Period,
    Proof,
    RecoveryPoint,
    Status,
)
from services.actions_service.errors import InvalidArgument
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class ReactivateParams:
    every: int
    period: Period
    first_order_date: date

    @classmethod
    def from_record(cls, fields: Fields) -> ReactivateParams:
        return cls(
            whole_number(fields, "every", 1, MAX_EVERY),
            period_named("period", text(fields, "period")),
            day("first_order_date", text(fields, "first_order_date")),
        )

    def record(self) -> dict[str, str]:
        return {
            "every": str(self.every),
            "period": self.period.name.lower(),
            "first_order_date": self.first_order_date.isoformat(),
        }


@dataclass(frozen=True)
class Reactivate:
    action: Action = Action.REACTIVATE
    params: type[ReactivateParams] = ReactivateParams
    done: str = "Subscription reactivated"
    reads: frozenset[Reading] = frozenset()
    attempted: str = "reactivate"

    def offered(self, card: CardState) -> bool:
        subscription = card.subscription
        return subscription.status in (Status.CANCELLED, Status.INACTIVE)

    async def validate(
        self, params: ReactivateParams, merchant: MerchantSettings, today: date
    ) -> None:
        bounded("every", params.every, 1, MAX_EVERY)
        if within_reach("first_order_date", params.first_order_date, merchant, today) < today:
            raise InvalidArgument("first_order_date", "must not be in the past")

    def refuse(self, state: State, params: ReactivateParams) -> None:
        # Ordergroove refuses it too ("This subscription is already in active state").
        if state.subscription.status is Status.ACTIVE:
            raise form_changed("subscription's status", "not active", "active")

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ReactivateParams,
        today: date,
    ) -> int:
        return await ordergroove.reactivate(
            point.subscription_id, params.every, params.period, params.first_order_date, today
        )

    def proof(self, point: RecoveryPoint, state: State, params: ReactivateParams) -> Finding:
        """Live again at the asked frequency; still not live and untouched: not applied."""
        sub = state.subscription
        asked = (params.every, params.period)
        if sub.live and (sub.every, sub.period) == asked:
            return Finding(Proof.APPLIED, f"the subscription is active, {period_text(*asked)}")
        if not sub.live and not touched(point, state):
            return Finding(Proof.NOT_YET, "the subscription is still not active, untouched since")
        return Finding(
            Proof.UNKNOWN,
            f"the subscription is {sub.status.value}, {period_text(sub.every, sub.period)}, and "
            f"was changed since by someone else",
        )

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ReactivateParams,
        merchant: MerchantSettings,
    ) -> str:
        sub = state.subscription
        return (
            f"Status: not active → active, {period_text(sub.every, sub.period)}; "
            f"first order {date_text(place_date(state.next_order))}"
        )
