"""Skip Next Order: the subscription's items leave its next unsent order, and Ordergroove
generates the next order for them one frequency later. The form names the order (`order_id`)
and its date (`expected_date`); only that order is skipped, never "whatever is next now", and
not once it has moved to another date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.actions_service import domain
from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    Reading,
    State,
    date_text,
    day_text,
    form_changed,
    optional_day,
    place_date,
    place_date_of,
    require_active,
    text,
)
from services.actions_service.domain import (
    ORDER_STATUS_UNSENT,
    Action,
    Finding,
    Order,
    Proof,
    RecoveryPoint,
    Status,
)
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class SkipParams:
    order_id: str  # the order the form named ("" for whatever is next: internal callers)
    expected_date: date | None  # its date, as the form showed it

    @classmethod
    def from_record(cls, fields: Fields) -> SkipParams:
        expected = text(fields, "expected_date")
        return cls(text(fields, "order_id"), optional_day("expected_date", expected))

    def record(self) -> dict[str, str]:
        return {"order_id": self.order_id, "expected_date": day_text(self.expected_date)}


@dataclass(frozen=True)
class Skip:
    action: Action = Action.SKIP
    params: type[SkipParams] = SkipParams
    done: str = "Next order skipped"
    # Its proof: the subscription's items are gone from the recorded order.
    reads: frozenset[Reading] = frozenset({Reading.ORDER_ITEMS})
    attempted: str = "skip the next order of"

    def offered(self, card: CardState) -> bool:
        subscription, next_order = card.subscription, card.next_order
        return subscription.status is Status.ACTIVE and next_order is not None

    async def validate(self, params: SkipParams, merchant: MerchantSettings, today: date) -> None:
        domain.check_optional_id("order_id", params.order_id)

    def refuse(self, state: State, params: SkipParams) -> None:
        require_active(state.subscription)
        upcoming, named, shown = state.next_order, params.order_id, params.expected_date
        if upcoming is None:
            raise ActionError(
                Reason.NEXT_ORDER_CHANGED, "The subscription has no upcoming order to skip."
            )
        if named and upcoming.order_id != named:
            raise ActionError(
                Reason.NEXT_ORDER_CHANGED,
                f"Order {named} is no longer the next order of this subscription (it was "
                f"already skipped, sent or moved); the next order is now {upcoming.order_id}. "
                f"Nothing was skipped.",
                order_id=named,
                next_order_id=upcoming.order_id,
            )
        # An order that keeps its id but moves is another delivery than the one shown.
        if shown is not None and place_date(upcoming) != shown:
            raise form_changed(
                "next order's date", date_text(shown), date_text(place_date(upcoming))
            )

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, params: SkipParams, today: date
    ) -> int:
        written = await ordergroove.skip_subscription(point.order_id, point.subscription_id)
        return written.status

    def proof(self, point: RecoveryPoint, state: State, params: SkipParams) -> Finding:
        """Skipped: the items left the recorded order and the subscription's next order is one
        frequency after that order's date (a date change moves them elsewhere). Still in the
        order: not yet while it is unsent on its date, else not applied (sent or moved)."""
        order, sub, skipped = state.order, state.subscription, place_date_of(point)
        if order is None or skipped is None:
            return Finding(Proof.UNKNOWN, f"order {point.order_id} is no longer there")
        if state.order_holds(point.subscription_id):
            if order.status == ORDER_STATUS_UNSENT and place_date(order) == skipped:
                return Finding(
                    Proof.NOT_YET, f"its items are still in order {point.order_id} of {skipped}"
                )
            return Finding(
                Proof.NOT_APPLIED,
                f"its items are still in order {point.order_id}, which is now "
                f"{_order_words(order)}",
            )
        if sub.status is not Status.ACTIVE or sub.period is None or sub.every <= 0:
            return Finding(
                Proof.UNKNOWN,
                f"its items left order {point.order_id}, and the subscription is now "
                f"{sub.status.value}",
            )
        following = domain.periods_later(skipped, sub.every, sub.period)
        now = place_date(state.next_order)
        if now == following:
            return Finding(
                Proof.APPLIED,
                f"its items left order {point.order_id}; its next order is {following}",
            )
        return Finding(
            Proof.UNKNOWN,
            f"its items left order {point.order_id}, but its next order is {date_text(now)}, "
            f"not one frequency later ({following}): it was changed otherwise",
        )

    def before_after(
        self, point: RecoveryPoint, state: State, params: SkipParams, merchant: MerchantSettings
    ) -> str:
        return (
            f"Skipped the {date_text(point.order_place_at)} order ({point.order_id}): next "
            f"order {date_text(point.order_place_at)} → {date_text(place_date(state.next_order))}"
        )


def _order_words(order: Order) -> str:
    if order.status == ORDER_STATUS_UNSENT:
        return f"unsent on {date_text(place_date(order))}"
    return f"{domain.order_status_label(order.status).lower()}, no longer unsent"
