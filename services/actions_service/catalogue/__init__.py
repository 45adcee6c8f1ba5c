"""The catalogue: every action an agent reaches for, each declared once (one module each).

`CHANGES` holds the actions run by the generic use case (`Actions.change`); `offered` says which
of all actions the card offers for a subscription. Adding an action: see README, "Adding an
action".
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from services.actions_service.catalogue import cancel, skip
from services.actions_service.catalogue.base import Definition
from services.actions_service.catalogue.change_frequency import ChangeFrequency
from services.actions_service.catalogue.change_next_order_date import ChangeNextOrderDate
from services.actions_service.catalogue.change_quantity import ChangeQuantity
from services.actions_service.catalogue.change_renewal import ChangeRenewal
from services.actions_service.catalogue.reactivate import Reactivate
from services.actions_service.catalogue.send_now import SendNow
from services.actions_service.domain import Action, Order, Subscription

CHANGES: Final[dict[Action, Definition]] = {
    definition.action: definition
    for definition in (
        Reactivate(),
        ChangeNextOrderDate(),
        ChangeFrequency(),
        ChangeQuantity(),
        SendNow(),
        ChangeRenewal(),
    )
}


def offered(
    subscription: Subscription, next_order: Order | None, enabled: Collection[str]
) -> tuple[Action, ...]:
    """The actions switched on and applicable now, in the catalogue's order."""
    rules = {cancel.ACTION: cancel.offered, skip.ACTION: skip.offered} | {
        action: definition.offered for action, definition in CHANGES.items()
    }
    return tuple(
        action
        for action in Action
        if action.value in enabled and rules[action](subscription, next_order)
    )
