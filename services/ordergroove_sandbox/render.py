"""The JSON shapes Ordergroove answers with, one function per resource."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.ordergroove_sandbox.dates import format_timestamp
from services.ordergroove_sandbox.model import (
    CENT,
    CancelReason,
    Customer,
    Item,
    Order,
    Product,
    Subscription,
)
from services.ordergroove_sandbox.store import Store

Json = dict[str, Any]


def money(amount: Decimal) -> str:
    """Ordergroove sends amounts as strings with two decimals ("19.99")."""
    return str(amount.quantize(CENT))


def customer(record: Customer) -> Json:
    return {
        "merchant_user_id": record.merchant_user_id,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "email": record.email,
        "phone_number": record.phone_number,
        "live": record.live,
        "created": format_timestamp(record.created),
    }


def product(record: Product) -> Json:
    # No `public_id`: the id is `external_product_id` (recorded products answers).
    return {
        "external_product_id": record.external_product_id,
        "name": record.name,
        "sku": record.sku,
        "image_url": record.image_url,
        "price": money(record.price),
        "live": record.live,
        "created": format_timestamp(record.created),
    }


def subscription(record: Subscription) -> Json:
    prepaid = record.prepaid
    return {
        "public_id": record.public_id,
        "customer": record.customer,
        "product": record.product,
        "quantity": record.quantity,
        "price": money(record.price),
        "currency_code": record.currency_code,
        "frequency_days": record.frequency_days,
        "every": record.every,
        "every_period": record.every_period,
        "start_date": format_timestamp(record.start_date),
        "created": format_timestamp(record.created),
        "updated": format_timestamp(record.updated),
        "live": str(record.live) if record.live_as_text else record.live,
        "cancelled": format_timestamp(record.cancelled),
        "cancel_reason": record.cancel_reason,
        "cancel_reason_code": record.cancel_reason_code,
        "prepaid_subscription_context": None
        if prepaid is None
        else {
            # Field for field as in the recorded getSubscriptionById answer.
            "prepaid_orders_remaining": prepaid.orders_remaining,
            "prepaid_orders_per_billing": prepaid.orders_per_billing,
            "renewal_behavior": prepaid.renewal_behavior,
            "last_renewal_revenue": prepaid.last_renewal_revenue,
            "prepaid_origin_merchant_order_id": prepaid.origin_merchant_order_id,
        },
        "components": [],
        "extra_data": dict(record.extra_data),
    }


def order(record: Order, store: Store) -> Json:
    # The sandbox charges neither shipping nor tax, so the total equals the sub-total.
    total = money(store.sub_total(record.public_id))
    return {
        "public_id": record.public_id,
        "customer": record.customer,
        "status": record.status,
        "place": format_timestamp(record.place),
        "sub_total": total,
        "total": total,
        "cancelled": format_timestamp(record.cancelled),
        "locked": record.locked,
        "created": format_timestamp(record.created),
        "updated": format_timestamp(record.updated),
    }


def item(record: Item) -> Json:
    return {
        "public_id": record.public_id,
        "order": record.order,
        "subscription": record.subscription,
        "product": record.product,
        "quantity": record.quantity,
        "price": money(record.price),
    }


def cancel_reason(record: CancelReason) -> Json:
    # Recorded getCancellationReasons: an integer code, the application, no words.
    return {"cancel_reason": record.code, "application": record.application}
