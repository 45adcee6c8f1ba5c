"""The JSON shapes Ordergroove answers with, one function per resource.

Key for key and type for type as the newest recorded answers have them (files under
ordergroove-recorded/, named at each function): what the sandbox does not model (payments,
offers, taxes, sessions) is rendered as a fixed value of the recorded type, so that a client
reading these answers meets the same keys and types as it would at Ordergroove.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from services.ordergroove_sandbox.dates import format_timestamp
from services.ordergroove_sandbox.model import (
    CENT,
    Address,
    CancelReason,
    Customer,
    Item,
    OneTimeIncentive,
    Order,
    Product,
    Subscription,
)
from services.ordergroove_sandbox.store import MERCHANT_ID, Store, home_address_id, stable_id

Json = dict[str, Any]

MERCHANT: Final = MERCHANT_ID
ZERO: Final = Decimal(0)


def money(amount: Decimal) -> str:
    """Ordergroove sends amounts as strings with two decimals ("19.99")."""
    return str(amount.quantize(CENT))


def customer(record: Customer) -> Json:
    """Recorded data/pull/customers/success."""
    return {
        "merchant": MERCHANT,
        "merchant_user_id": record.merchant_user_id,
        "session_id": _session(record.merchant_user_id),
        "user_token_id": "",
        "first_name": record.first_name,
        "last_name": record.last_name,
        "email": record.email,
        "phone_number": record.phone_number,
        "phone_type": 2,
        "live": record.live,
        "created": format_timestamp(record.created),
        "last_updated": format_timestamp(record.created),
        "last_login": format_timestamp(record.created),
        "extra_data": {},
        "locale": 1,
        "price_code": "standard",
    }


def product(record: Product) -> Json:
    """Recorded data/pull/products/success_list. No `public_id`: the id is
    `external_product_id`."""
    return {
        "merchant": MERCHANT,
        "groups": [],
        "name": record.name,
        "price": money(record.price),
        "image_url": record.image_url,
        "detail_url": record.image_url,
        "external_product_id": record.external_product_id,
        "sku": record.sku,
        "autoship_enabled": record.autoship_enabled,
        "prepaid_eligible": True,
        "premier_enabled": 0,
        "created": format_timestamp(record.created),
        "last_update": format_timestamp(record.created),
        "live": record.live,
        "discontinued": record.discontinued,
        "extra_data": None,
        "product_type": "standard",
        "autoship_by_default": False,
        "every": 1,
        "every_period": 3,
        "offer_profile": None,
        "incentive_group": None,
    }


def subscription(record: Subscription) -> Json:
    """Recorded data/pull/subscriptions/success and prepaid_and_cadence (app 2.3.5)."""
    prepaid = record.prepaid
    return {
        "customer": record.customer,
        "merchant": MERCHANT,
        "product": record.product,
        "payment": _payment(record.customer),
        "shipping_address": record.shipping_address or home_address_id(record.customer),
        "offer": stable_id(f"offer/{record.product}"),
        "subscription_type": "Replenish",
        "components": None,
        "extra_data": dict(record.extra_data),
        "public_id": record.public_id,
        "product_attribute": None,
        "quantity": record.quantity,
        "price": money(record.price),
        "frequency_days": record.frequency_days,
        "reminder_days": 5,
        "every": record.every,
        "every_period": record.every_period,
        "start_date": format_timestamp(record.start_date),
        "cancelled": format_timestamp(record.cancelled),
        "cancel_reason": record.cancel_reason,
        "cancel_reason_code": record.cancel_reason_code,
        "currency_code": record.currency_code,
        "iteration": None,
        "sequence": None,
        "session_id": _session(record.customer),
        "merchant_order_id": stable_id(f"merchant-order/{record.public_id}")[:6],
        "customer_rep": None,
        "club": None,
        "created": format_timestamp(record.created),
        "updated": format_timestamp(record.updated),
        "live": str(record.live) if record.live_as_text else record.live,
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
        "free_trial_subscription_context": None,
    }


def order(record: Order, store: Store) -> Json:
    """Recorded actions/sendOrderNow/live_response (a live answer) and
    data/pull/orders/ordering_upcoming_first: `type` an integer, nulls where nothing is known.
    The sandbox charges neither shipping nor tax, so the total equals the sub-total."""
    total = money(store.sub_total(record.public_id))
    return {
        "merchant": MERCHANT,
        "customer": record.customer,
        "payment": _payment(record.customer),
        "shipping_address": home_address_id(record.customer),
        "public_id": record.public_id,
        "sub_total": total,
        "tax_total": money(ZERO),
        "shipping_total": money(ZERO),
        "discount_total": money(ZERO),
        "total": total,
        "created": format_timestamp(record.created),
        "updated": format_timestamp(record.updated),
        "place": format_timestamp(record.place),
        "cancelled": format_timestamp(record.cancelled),
        "tries": 0,
        "generic_error_count": 0,
        "status": record.status,
        "type": 1,
        "order_merchant_id": None,
        "rejected_message": None,
        "extra_data": None,
        "locked": record.locked,
        "oos_free_shipping": False,
        "currency_code": "USD",
    }


def item(record: Item, store: Store) -> Json:
    """Recorded data/pull/items/success."""
    placed = store.orders[record.order]
    return {
        "order": record.order,
        "offer": None,
        "subscription": record.subscription,
        "product": record.product,
        "quantity": record.quantity,
        "subscription_component": None,
        "components": [],
        "order_updated": format_timestamp(placed.updated),
        "public_id": record.public_id,
        "price": money(record.price),
        "extra_cost": money(ZERO),
        "total_price": money(record.price * record.quantity),
        "one_time": False,
        "frozen": False,
        "first_placed": format_timestamp(placed.created),
        "product_attribute": None,
    }


def address(record: Address) -> Json:
    """Recorded getShippingAddress/successful_response; what the sandbox does not model
    (tokens, stores) is null, as in getShippingAddress/minimal_address."""
    return {
        "customer": record.customer,
        "public_id": record.public_id,
        "label": record.label,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "company_name": record.company_name,
        "address": record.address,
        "address2": record.address2,
        "city": record.city,
        "state_province_code": record.state_province_code,
        "zip_postal_code": record.zip_postal_code,
        "phone": record.phone,
        "fax": None,
        "country_code": record.country_code,
        "live": record.live,
        "created": format_timestamp(record.created),
        "updated": format_timestamp(record.created),
        "token_id": None,
        "store_public_id": None,
    }


def one_time_incentive(record: OneTimeIncentive) -> Json:
    """The fixture answer of recorded issueOneTimeDiscount/success_percent (ENDPOINTS.md): the
    incentive as sent, with `limit_policy` and `limit_value` null."""
    incentive = record.incentive
    return {
        "public_id": record.public_id,
        "external_code": record.external_code,
        "description": record.description,
        "merchant": record.merchant,
        "customer": record.customer,
        "item": record.item,
        "order": record.order,
        "created": format_timestamp(record.created),
        "last_updated": format_timestamp(record.created),
        "incentive": {
            "name": incentive.name,
            "discount_type": incentive.discount_type,
            "value": incentive.value,
            "field": incentive.field,
            "type": incentive.type,
            "target": incentive.target,
            "limit_policy": None,
            "limit_value": None,
        },
    }


def cancel_reason(record: CancelReason) -> Json:
    """Recorded getCancellationReasons/merchant_reasons: a string code (or null), the
    application, and no words."""
    return {"cancel_reason": record.code, "application": record.application}


def _payment(customer_id: str) -> str:
    return stable_id(f"payment/{customer_id}")


def _session(customer_id: str) -> str:
    return f"{MERCHANT}.{stable_id(f'session/{customer_id}')[:6]}"
