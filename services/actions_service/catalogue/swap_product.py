"""Swap Product: the subscription ships another product from now on
(`PATCH /subscriptions/{id}/change_product/` `{"product": <external_product_id>}`; Ordergroove
docs). Only a product the merchant offers for subscriptions — live and autoship-enabled, which
Ordergroove's products list holds, and among SWAP_PRODUCTS when the merchant named them. The
form shows the current product (`expected_product_id`) and each offer's price before → after."""

from __future__ import annotations

from collections.abc import Mapping
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
    Product,
    RecoveryPoint,
    Status,
    check_optional_id,
)
from services.actions_service.errors import ActionError, InvalidArgument, Reason
from services.actions_service.ordergroove import OrdergrooveClient


@dataclass(frozen=True)
class SwapProductParams:
    product_id: str
    expected_product_id: str

    @classmethod
    def from_record(cls, fields: Fields) -> SwapProductParams:
        return cls(text(fields, "product_id"), text(fields, "expected_product_id"))

    def record(self) -> dict[str, str]:
        return {"product_id": self.product_id, "expected_product_id": self.expected_product_id}

    def product_ids(self) -> tuple[str, ...]:
        """Both products are read: the one asked for is checked, both are named."""
        return (self.expected_product_id, self.product_id)


@dataclass(frozen=True)
class SwapProduct:
    action: Action = Action.SWAP_PRODUCT
    params: type[SwapProductParams] = SwapProductParams
    done: str = "Product swapped"
    reads: frozenset[Reading] = frozenset({Reading.PRODUCTS})
    attempted: str = "swap the product of"

    def offered(self, card: CardState) -> bool:
        return card.subscription.status is Status.ACTIVE

    async def validate(
        self, params: SwapProductParams, merchant: MerchantSettings, today: date
    ) -> None:
        check_optional_id("product_id", required("product_id", params.product_id))
        check_optional_id(
            "expected_product_id", required("expected_product_id", params.expected_product_id)
        )
        require_change("product_id", params.expected_product_id, params.product_id)
        allowed = merchant.swap_products
        if allowed and params.product_id not in allowed:
            raise InvalidArgument("product_id", "is not among the products this store offers")

    def refuse(self, state: State, params: SwapProductParams) -> None:
        sub = state.subscription
        require_active(sub)
        if sub.product_id != params.expected_product_id:
            names = state.products
            raise form_changed(
                "product",
                _name(names, params.expected_product_id),
                _name(names, sub.product_id),
            )
        product = state.products.get(params.product_id)
        if product is None or not product.offered_for_subscription:
            # Ordergroove refuses a product that is not live and autoship-enabled (docs:
            # change_product is for live products only).
            raise ActionError(
                Reason.ORDERGROOVE_REJECTED,
                f"Product {params.product_id} is not offered for subscriptions (Ordergroove has "
                f"it not live, not autoship-enabled or not at all): nothing was changed.",
                product_id=params.product_id,
            )

    async def write(
        self,
        ordergroove: OrdergrooveClient,
        point: RecoveryPoint,
        params: SwapProductParams,
        today: date,
    ) -> int:
        return await ordergroove.change_product(point.subscription_id, params.product_id)

    def proof(self, point: RecoveryPoint, state: State, params: SwapProductParams) -> Finding:
        change = (params.expected_product_id, params.product_id, state.subscription.product_id)
        return as_asked(point, state, "product", change, lambda pid: _name(state.products, pid))

    def before_after(
        self,
        point: RecoveryPoint,
        state: State,
        params: SwapProductParams,
        merchant: MerchantSettings,
    ) -> str:
        sub, names = state.subscription, state.products
        currency = f" {sub.currency_code}" if sub.currency_code else ""
        return (
            f"Product: {_name(names, params.expected_product_id)} ({point.subscription_price}"
            f"{currency}) → {_name(names, sub.product_id)} ({sub.price}{currency})"
        )


def _name(products: Mapping[str, Product], product_id: str) -> str:
    """ "Decaf Coffee (sku-42)"; the id alone for a product Ordergroove did not name."""
    found = products.get(product_id)
    return f"{found.name} ({product_id})" if found is not None and found.name else product_id
