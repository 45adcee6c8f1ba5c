"""What Ordergroove does where neither its documentation nor a recording says: one switch per
plausible behaviour, so that tests run the product under each (`/_sandbox/switches`), and the
state of the merchant's API key.

Every switch starts at the behaviour the sandbox had before it was a switch, or at the one that
does the least; `/_sandbox/reset` sets them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from services.ordergroove_sandbox.fields import Fields, expect_object


class SharedOrderDateChange(StrEnum):
    """`change_next_order_date/` on an order that also holds other subscriptions' items. An
    order of this subscription alone keeps its id and moves, either way."""

    SPLIT = "split"  # this subscription's items move to a new order; the others stay
    MOVE_ORDER = "move_order"  # the whole order moves, every subscription in it


class ReactivateStartDate(StrEnum):
    """`reactivate/` with a `start_date` later than its `next_order_date`."""

    IGNORED = "ignored"  # the first order is on `next_order_date`
    DELAYS = "delays"  # the first order waits for `start_date`


class SendNowFollowUp(StrEnum):
    """What follows `send_now/` for the subscriptions in the order sent."""

    NONE = "none"  # no order to come until the sent one is placed
    NEXT_ORDER = "next_order"  # each gets its next unsent order one frequency after now


class ApiKey(StrEnum):
    VALID = "valid"
    # Recorded data/pull/items/api_error: 401 `{"detail": "The provided API key is invalid or
    # has been revoked."}`.
    REVOKED = "revoked"


@dataclass
class Switches:
    shared_order_date_change: SharedOrderDateChange = SharedOrderDateChange.SPLIT
    reactivate_start_date: ReactivateStartDate = ReactivateStartDate.IGNORED
    send_now_follow_up: SendNowFollowUp = SendNowFollowUp.NONE
    api_key: ApiKey = ApiKey.VALID

    def update(self, body: object) -> None:
        """Set the switches a body names (DRF-style errors; nothing changes on one)."""
        fields = Fields(expect_object(body))
        changed = {
            name: _choice(fields, name, type(value))
            for name, value in asdict(self).items()
            if name in fields.data
        }
        unknown = set(fields.data) - set(asdict(self))
        for name in sorted(unknown):
            fields.fail(name, "Not a switch.")
        fields.check()
        for name, value in changed.items():
            setattr(self, name, value)

    def as_json(self) -> dict[str, Any]:
        return {name: str(value) for name, value in asdict(self).items()}


def _choice(fields: Fields, name: str, kind: type[StrEnum]) -> StrEnum | None:
    text = fields.string(name, required=True)
    try:
        return kind(text)
    except ValueError:
        fields.fail(name, f'"{text}" is not a valid choice.')
        return None
