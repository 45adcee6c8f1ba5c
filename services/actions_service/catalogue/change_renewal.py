"""Change Renewal: what a prepaid subscription does when its paid orders run out. The form
shows the current behaviour (`expected_renewal_behavior`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from services.actions_service.catalogue.base import (
    Fields,
    Limits,
    State,
    as_asked,
    choice,
    form_changed,
    require_change,
)
from services.actions_service.domain import Action, Finding, Order, RecoveryPoint, Subscription
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
class ChangeRenewal:
    action: Action = Action.CHANGE_RENEWAL
    done: str = "Renewal changed"
    reads_order_items: bool = False
    attempted: str = "change the renewal of"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        return subscription.prepaid

    async def validate(self, fields: Fields, limits: Limits) -> None:
        asked = choice(fields, "renewal_behavior", tuple(BEHAVIORS))
        # The shown behaviour may be "" when Ordergroove named none.
        require_change("renewal_behavior", fields.get("expected_renewal_behavior", ""), asked)

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        sub = state.subscription
        if not sub.prepaid:
            raise ActionError(
                Reason.ORDERGROOVE_REJECTED,
                f"Subscription {sub.subscription_id} is not prepaid: it has no renewal to change.",
                prepaid="false",
            )
        shown = fields.get("expected_renewal_behavior", "")
        if _current(sub) != shown:
            raise form_changed("renewal", _words(shown), _words(_current(sub)))

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        return await ordergroove.change_renewal_behavior(
            point.subscription_id, fields["renewal_behavior"]
        )

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Finding:
        shown = fields.get("expected_renewal_behavior", "")
        change = (shown, fields["renewal_behavior"], _current(state.subscription))
        return as_asked(point, state, "renewal", change, _words)

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        shown = fields.get("expected_renewal_behavior", "")
        return f"Renewal: {_words(shown)} → {_words(_current(state.subscription))}"
