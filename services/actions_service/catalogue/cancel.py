"""Cancel Order: an active subscription and all its later shipments stop. The reason is one of
the merchant's integer codes (its words on the form), with optional details."""

from __future__ import annotations

from dataclasses import dataclass

from services.actions_service import domain
from services.actions_service.catalogue.base import Fields, Limits, State, require_active, touched
from services.actions_service.domain import (
    Action,
    Finding,
    Order,
    Proof,
    RecoveryPoint,
    Status,
    Subscription,
)
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class Cancel:
    action: Action = Action.CANCEL
    done: str = "Subscription cancelled"
    reads_order_items: bool = False
    attempted: str = "cancel"

    def offered(self, subscription: Subscription, next_order: Order | None) -> bool:
        # Ordergroove refuses to cancel a prepaid subscription (reference: `cancel/` answers 400).
        return subscription.status is Status.ACTIVE and not subscription.prepaid

    async def validate(self, fields: Fields, limits: Limits) -> None:
        code = fields.get("reason_code", "")
        domain.check_cancel_reason_form(
            code, fields.get("reason_details", ""), limits.reason_required
        )
        # A switched-off action is refused, and audited, in the record: without any read.
        if code and Action.CANCEL.value in limits.enabled:
            domain.check_reason_known(code, await limits.reason_codes())

    def refuse(self, state: State, fields: Fields, limits: Limits) -> None:
        require_active(state.subscription)
        if state.subscription.prepaid:
            raise domain.prepaid_not_cancellable(state.subscription)

    async def write(
        self, ordergroove: OrdergrooveClient, point: RecoveryPoint, fields: Fields, limits: Limits
    ) -> int:
        reason = domain.cancel_reason_value(
            fields.get("reason_code", ""), fields.get("reason_details", "")
        )
        return (await ordergroove.cancel_subscription(point.subscription_id, reason)).status

    def proof(self, point: RecoveryPoint, state: State, fields: Fields) -> Finding:
        """Cancelled (with this reason, when one was sent) is what was asked; still active and
        untouched, it was not applied; anything else someone else did meanwhile."""
        sub, code = state.subscription, fields.get("reason_code", "")
        if sub.status is Status.CANCELLED and (not code or sub.cancel_reason_code == code):
            return Finding(Proof.APPLIED, "the subscription is cancelled")
        if sub.status is Status.ACTIVE and not touched(point, state):
            return Finding(Proof.NOT_YET, "the subscription is still active, untouched since")
        reason = f" (reason {sub.cancel_reason_code or 'none'})" if sub.cancel_reason_code else ""
        return Finding(
            Proof.UNKNOWN,
            f"the subscription is {sub.status.value}{reason} and was changed since by someone else",
        )

    def change(self, point: RecoveryPoint, state: State, fields: Fields, limits: Limits) -> str:
        code, details = fields.get("reason_code", ""), fields.get("reason_details", "")
        words = domain.reason_words(code, limits.reason_names)
        reason = f"{words} ({code})" if code else "none given"
        text = f"Status: active → {state.subscription.status.value}. Reason: {reason}"
        return f"{text}. Details: {details}" if details else text
