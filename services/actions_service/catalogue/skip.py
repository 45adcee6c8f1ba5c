"""Skip Next Order: when it is offered. (Its run is `Actions.skip`.)"""

from __future__ import annotations

from services.actions_service.domain import Action, Order, Status, Subscription

ACTION = Action.SKIP


def offered(subscription: Subscription, next_order: Order | None) -> bool:
    return subscription.status is Status.ACTIVE and next_order is not None
