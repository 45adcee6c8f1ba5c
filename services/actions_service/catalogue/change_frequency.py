"""Change Frequency: how often the subscription ships. The form shows the current frequency
(`expected_every`, `expected_period`)."""

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
    as_asked,
    bounded,
    form_changed,
    next_order_moved,
    period_named,
    period_text,
    require_active,
    require_change,
    text,
    whole_number,
)
from services.actions_service.domain import (
    Action,
    Finding,
    Period,
    RecoveryPoint,
    Status,
)
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class ChangeFrequencyParams:
    every: int
    period: Period
    expected_every: int
    expected_period: Period

    @property
    def asked(self) -> tuple[int, Period]:
        return self.every, self.period

    @property
    def shown(self) -> tuple[int, Period]:
        return self.expected_every, self.expected_period

    @classmethod
    def from_record(cls, fields: Fields) -> ChangeFrequencyParams:
        return cls(
            whole_number(fields, "every", 1, MAX_EVERY),
            period_named("period", text(fields, "period")),
            whole_number(fields, "expected_every", 0, MAX_EVERY),
            period_named("expected_period", text(fields, "expected_period")),
        )

    def record(self) -> dict[str, str]:
        return {
            "every": str(self.every),
            "period": self.period.name.lower(),
            "expected_every": str(self.expected_every),
            "expected_period": self.expected_period.name.lower(),
        }


@dataclass(frozen=True)
class ChangeFrequency:
    action: Action = Action.CHANGE_FREQUENCY
    params: type[ChangeFrequencyParams] = ChangeFrequencyParams
    done: str = "Frequency changed"
    reads: frozenset[Reading] = frozenset()
    attempted: str = "change the frequency of"

    def offered(self, card: CardState) -> bool:
        subscription = card.subscription
        return subscription.status is Status.ACTIVE

    async def validate(
        self, params: ChangeFrequencyParams, merchant: MerchantSettings, today: date
    ) -> None:
        bounded("expected_every", params.expected_every, 0, MAX_EVERY)
        bounded("every", params.every, 1, MAX_EVERY)
        require_change("frequency", params.shown, params.asked)

    def refuse(self, state: State, params: ChangeFrequencyParams) -> None:
        require_active(state.subscription)
        shown, sub = params.shown, state.subscription
        if (sub.every, sub.period) != shown:
            raise form_changed("frequency", period_text(*shown), period_text(sub.every, sub.period))

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ChangeFrequencyParams,
        today: date,
    ) -> int:
        return await ordergroove.change_frequency(point.subscription_id, *params.asked)

    def proof(self, point: RecoveryPoint, state: State, params: ChangeFrequencyParams) -> Finding:
        sub = state.subscription
        held: tuple[int, Period | None] = (sub.every, sub.period)
        change = (params.shown, params.asked, held)
        return as_asked(point, state, "frequency", change, lambda f: period_text(*f))

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ChangeFrequencyParams,
        merchant: MerchantSettings,
    ) -> str:
        sub = state.subscription
        return (
            f"Frequency: {period_text(*params.shown)} → {period_text(sub.every, sub.period)}"
            f"{next_order_moved(point, state)}"
        )
