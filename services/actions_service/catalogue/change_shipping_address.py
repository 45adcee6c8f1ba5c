"""Change Shipping Address: the subscription ships to another of the customer's addresses
(`PATCH /subscriptions/{id}/change_shipping/` `{"shipping_address": <address id>}`; Ordergroove
docs). Only one of the customer's own live addresses (Addresses: List); the form shows the
current one (`expected_address_id`) and every address in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.actions_service.catalogue.base import (
    CardState,
    Fields,
    MerchantSettings,
    Reading,
    State,
    as_asked,
    form_changed,
    require_active,
    require_change,
    required,
    text,
)
from services.actions_service.domain import (
    Action,
    Finding,
    RecoveryPoint,
    ShippingAddress,
    Status,
    check_optional_id,
)
from services.actions_service.errors import ActionError, Reason
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class ChangeShippingAddressParams:
    address_id: str
    expected_address_id: str

    @classmethod
    def from_record(cls, fields: Fields) -> ChangeShippingAddressParams:
        return cls(text(fields, "address_id"), text(fields, "expected_address_id"))

    def record(self) -> dict[str, str]:
        return {"address_id": self.address_id, "expected_address_id": self.expected_address_id}


@dataclass(frozen=True)
class ChangeShippingAddress:
    action: Action = Action.CHANGE_SHIPPING_ADDRESS
    params: type[ChangeShippingAddressParams] = ChangeShippingAddressParams
    done: str = "Shipping address changed"
    reads: frozenset[Reading] = frozenset({Reading.ADDRESSES})
    attempted: str = "change the shipping address of"

    def offered(self, card: CardState) -> bool:
        sub = card.subscription
        return sub.status is Status.ACTIVE and any(
            address.address_id != sub.shipping_address_id for address in card.addresses
        )

    async def validate(
        self, params: ChangeShippingAddressParams, merchant: MerchantSettings, today: date
    ) -> None:
        check_optional_id("address_id", required("address_id", params.address_id))
        check_optional_id(
            "expected_address_id", required("expected_address_id", params.expected_address_id)
        )
        require_change("address_id", params.expected_address_id, params.address_id)

    def refuse(self, state: State, params: ChangeShippingAddressParams) -> None:
        sub = state.subscription
        require_active(sub)
        if sub.shipping_address_id != params.expected_address_id:
            raise form_changed(
                "shipping address",
                _words(state.addresses, params.expected_address_id),
                _words(state.addresses, sub.shipping_address_id),
            )
        if all(address.address_id != params.address_id for address in state.addresses):
            # Ordergroove's addresses belong to one customer; another's, or one no longer live,
            # is refused here rather than written.
            raise ActionError(
                Reason.STATE_CHANGED,
                f"Address {params.address_id} is not one of this customer's addresses (any "
                f"more): nothing was changed. Open the form again.",
                address_id=params.address_id,
            )

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: ChangeShippingAddressParams,
        today: date,
    ) -> int:
        return await ordergroove.change_shipping_address(point.subscription_id, params.address_id)

    def proof(
        self, point: RecoveryPoint, state: State, params: ChangeShippingAddressParams
    ) -> Finding:
        now = state.subscription.shipping_address_id
        change = (params.expected_address_id, params.address_id, now)
        return as_asked(
            point, state, "shipping address", change, lambda aid: _words(state.addresses, aid)
        )

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: ChangeShippingAddressParams,
        merchant: MerchantSettings,
    ) -> str:
        before = _words(state.addresses, params.expected_address_id)
        after = _words(state.addresses, state.subscription.shipping_address_id)
        return f"Ships to: {before} → {after}"


def _words(addresses: tuple[ShippingAddress, ...], address_id: str) -> str:
    """The address in words, when it is one of the customer's live ones; else its id."""
    found = next((a for a in addresses if a.address_id == address_id), None)
    if found is None:
        return f"address {address_id}" if address_id else "no address"
    return f"{found.label}: {found.text}" if found.label else found.text
