"""Change Frequency: how often the subscription ships. The form shows the current frequency
(`expected_every`, `expected_period`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.actions_service.catalogue.base import (
    MAX_EVERY,
    Fields,
    Limits,
    State,
    as_asked,
    form_changed,
    next_order_moved,
    period,
    period_text,
    require_active,
    require_change,
    whole_number,
)
from services.actions_service.domain import (
    Action,
    Finding,
    Order,
    Period,
    RecoveryPoint,
    Status,
    Subscription,
)
from services.actions_service.ordergroove import OrdergrooveClient


def _asked(fields: Fields) -> tuple[int, Period]:
    return whole_number(fields, "every", 1, MAX_EVERY), period(fields, "period")


def _shown(fields: Fields) -> tuple[int, Period]:
    return whole_number(fields, "expected_every", 0, MAX_EVERY), period(fields, "expected_period")


@dataclass(frozen=True)
class ChangeFrequency:
    action: Action = Action.CHANGE_FREQUENCY
    done: str = "Frequency changed"
    reads_order_items: bool = False
    attempted: str = "change the frequency of"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        return subscription.status is Status.ACTIVE

    async def validate(self, fields: Fields, limits: Limits) -> None:
        require_change("frequency", _shown(fields), _asked(fields))

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        require_active(state.subscription)
        shown, sub = _shown(fields), state.subscription
        if (sub.every, sub.period) != shown:
            raise form_changed("frequency", period_text(*shown), period_text(sub.every, sub.period))

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        return await ordergroove.change_frequency(point.subscription_id, *_asked(fields))

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Finding:
        sub = state.subscription
        held: tuple[int, Period | None] = (sub.every, sub.period)
        change = (_shown(fields), _asked(fields), held)
        return as_asked(point, state, "frequency", change, lambda f: period_text(*f))

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        sub = state.subscription
        return (
            f"Frequency: {period_text(*_shown(fields))} → {period_text(sub.every, sub.period)}"
            f"{next_order_moved(point, state)}"
        )
