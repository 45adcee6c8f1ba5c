"""The catalogue: every action an agent reaches for, each declared once (one module each) and
run by one use case (`UseCases.run_action`), retry and settler included.

Adding an action: see README, "Adding an action — where to start".
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from services.actions_service.catalogue.base import CardState, Definition
from services.actions_service.catalogue.cancel import Cancel
from services.actions_service.catalogue.cancel_order import CancelOrder
from services.actions_service.catalogue.change_frequency import ChangeFrequency
from services.actions_service.catalogue.change_item_quantity import ChangeItemQuantity
from services.actions_service.catalogue.change_next_order_date import ChangeNextOrderDate
from services.actions_service.catalogue.change_quantity import ChangeQuantity
from services.actions_service.catalogue.change_renewal import ChangeRenewal
from services.actions_service.catalogue.change_shipping_address import ChangeShippingAddress
from services.actions_service.catalogue.issue_discount import IssueDiscount
from services.actions_service.catalogue.reactivate import Reactivate
from services.actions_service.catalogue.remove_from_order import RemoveFromOrder
from services.actions_service.catalogue.send_now import SendNow
from services.actions_service.catalogue.skip import Skip
from services.actions_service.catalogue.swap_product import SwapProduct
from services.actions_service.domain import Action

CATALOGUE: Final[dict[Action, Definition[Any]]] = {
    definition.action: definition
    for definition in (
        Cancel(),
        Skip(),
        Reactivate(),
        ChangeNextOrderDate(),
        ChangeFrequency(),
        ChangeQuantity(),
        SendNow(),
        ChangeRenewal(),
        CancelOrder(),
        ChangeItemQuantity(),
        RemoveFromOrder(),
        IssueDiscount(),
        SwapProduct(),
        ChangeShippingAddress(),
    )
}
# Every action has its declaration.
assert set(CATALOGUE) == set(Action)


def offered(card: CardState, enabled: Collection[str]) -> tuple[Action, ...]:
    """The actions switched on and applicable now, in the catalogue's order."""
    return tuple(
        action
        for action, definition in CATALOGUE.items()
        if action.value in enabled and definition.offered(card)
    )
