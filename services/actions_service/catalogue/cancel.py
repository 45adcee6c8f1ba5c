"""Cancel Order: an active subscription and all its later shipments stop. The reason is one of
the merchant's integer codes (its words on the form), with optional details."""

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
    require_active,
    text,
    touched,
)
from services.actions_service.domain import (
    Action,
    Finding,
    Proof,
    RecoveryPoint,
    Status,
)
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class CancelParams:
    reason_code: str  # one of the merchant's integer codes, or "" for none
    reason_details: str

    @classmethod
    def from_record(cls, fields: Fields) -> CancelParams:
        return cls(text(fields, "reason_code"), text(fields, "reason_details"))

    def record(self) -> dict[str, str]:
        return {"reason_code": self.reason_code, "reason_details": self.reason_details}


@dataclass(frozen=True)
class Cancel:
    action: Action = Action.CANCEL
    params: type[CancelParams] = CancelParams
    done: str = "Subscription cancelled"
    reads: frozenset[Reading] = frozenset()
    attempted: str = "cancel"

    def offered(self, card: CardState) -> bool:
        subscription = card.subscription
        # Ordergroove refuses to cancel a prepaid subscription (reference: `cancel/` answers 400).
        return subscription.status is Status.ACTIVE and not subscription.prepaid

    async def validate(self, params: CancelParams, merchant: MerchantSettings, today: date) -> None:
        code = params.reason_code
        domain.check_cancel_reason_form(code, params.reason_details, merchant.reason_required)
        # A switched-off action is refused, and audited, in the record: without any read.
        if code and Action.CANCEL.value in merchant.enabled:
            domain.check_reason_known(code, await merchant.reason_codes())

    def refuse(self, state: State, params: CancelParams) -> None:
        require_active(state.subscription)
        if state.subscription.prepaid:
            raise domain.prepaid_not_cancellable(state.subscription)

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: CancelParams,
        today: date,
    ) -> int:
        reason = domain.cancel_reason_value(params.reason_code, params.reason_details)
        return (await ordergroove.cancel_subscription(point.subscription_id, reason)).status

    def proof(self, point: RecoveryPoint, state: State, params: CancelParams) -> Finding:
        """Cancelled (with this reason, when one was sent) is what was asked; still active and
        untouched, it was not applied; anything else someone else did meanwhile."""
        sub, code = state.subscription, params.reason_code
        if sub.status is Status.CANCELLED and (not code or sub.cancel_reason_code == code):
            return Finding(Proof.APPLIED, "the subscription is cancelled")
        if sub.status is Status.ACTIVE and not touched(point, state):
            return Finding(Proof.NOT_YET, "the subscription is still active, untouched since")
        reason = f" (reason {sub.cancel_reason_code or 'none'})" if sub.cancel_reason_code else ""
        return Finding(
            Proof.UNKNOWN,
            f"the subscription is {sub.status.value}{reason} and was changed since by someone else",
        )

    def before_after(
        self, point: RecoveryPoint, state: State, params: CancelParams, merchant: MerchantSettings
    ) -> str:
        code, details = params.reason_code, params.reason_details
        words = domain.reason_words(code, merchant.reason_names)
        reason = f"{words} ({code})" if code else "none given"
        text = f"Status: active → {state.subscription.status.value}. Reason: {reason}"
        return f"{text}. Details: {details}" if details else text
