"""Cancel Order: when it is offered. (Its run is `Actions.cancel`.)"""

from __future__ import annotations

from services.actions_service.domain import Action, Order, Status, Subscription

ACTION = Action.CANCEL


def offered(subscription: Subscription, next_order: Order | None) -> bool:
    # Ordergroove refuses to cancel a prepaid subscription (reference: `cancel/` answers 400).
    return subscription.status is Status.ACTIVE and not subscription.prepaid
