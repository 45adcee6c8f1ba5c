"""Change Renewal: what a prepaid subscription does when its paid orders run out. The form
shows the current behaviour (`expected_renewal_behavior`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    Reading,
    State,
    as_asked,
    choice,
    form_changed,
    require_change,
    text,
)
from services.actions_service.domain import Action, Finding, RecoveryPoint, Subscription
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient

# Ordergroove's names (reference: `change_renewal_behavior/`) and what the agent reads.
BEHAVIORS: Final = {
    "autorenew": "renew automatically",
    "cancel": "stop after the prepaid orders",
    "downgrade": "switch to pay per order",
}


def _words(behavior: str) -> str:
    return BEHAVIORS.get(behavior, behavior or "none")


def _current(subscription: Subscription) -> str:
    plan = subscription.prepaid_plan
    return plan.renewal_behavior if plan is not None else ""


@dataclass(frozen=True)
class ChangeRenewalParams:
    renewal_behavior: str
    expected_renewal_behavior: str  # "" when Ordergroove named none

    @classmethod
    def from_record(cls, fields: Fields) -> ChangeRenewalParams:
        return cls(text(fields, "renewal_behavior"), text(fields, "expected_renewal_behavior"))

    def record(self) -> dict[str, str]:
        return {
            "renewal_behavior": self.renewal_behavior,
            "expected_renewal_behavior": self.expected_renewal_behavior,
        }


@dataclass(frozen=True)
class ChangeRenewal:
    action: Action = Action.CHANGE_RENEWAL
    params: type[ChangeRenewalParams] = ChangeRenewalParams
    done: str = "Renewal changed"
    reads: frozenset[Reading] = frozenset()
    attempted: str = "change the renewal of"

    def offered(self, card: CardState) -> bool:
        subscription = card.subscription
        return subscription.prepaid

    async def validate(
        self, params: ChangeRenewalParams, merchant: MerchantSettings, today: date
    ) -> None:
        asked = choice("renewal_behavior", params.renewal_behavior, tuple(BEHAVIORS))
        require_change("renewal_behavior", params.expected_renewal_behavior, asked)

    def refuse(self, state: State, params: ChangeRenewalParams) -> None:
        sub = state.subscription
        if not sub.prepaid:
            raise ActionError(
                Reason.ORDERGROOVE_REJECTED,
                f"Subscription {sub.subscription_id} is not prepaid: it has no renewal to change.",
                prepaid="false",
            )
        shown = params.expected_renewal_behavior
        if _current(sub) != shown:
            raise form_changed("renewal", _words(shown), _words(_current(sub)))

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ChangeRenewalParams,
        today: date,
    ) -> int:
        return await ordergroove.change_renewal_behavior(
            point.subscription_id, params.renewal_behavior
        )

    def proof(self, point: RecoveryPoint, state: State, params: ChangeRenewalParams) -> Finding:
        shown = params.expected_renewal_behavior
        change = (shown, params.renewal_behavior, _current(state.subscription))
        return as_asked(point, state, "renewal", change, _words)

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ChangeRenewalParams,
        merchant: MerchantSettings,
    ) -> str:
        shown = params.expected_renewal_behavior
        return f"Renewal: {_words(shown)} → {_words(_current(state.subscription))}"
