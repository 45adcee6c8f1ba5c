"""The Subscriptions card: a lookup result and its SUBSCRIPTION transactions, built in one place.

Gladly wants camelCase keys and string values (its public ORDER sample): the shapes are
gateway/wire.py's, every scalar a string, dates RFC 3339, and a value that is absent ("") is left
out rather than sent empty.
Actions appear only when the service says they are available now, and only when the Gladly
customer is known (their URLs name it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple, cast
from urllib.parse import quote

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from actions.contract import PERIOD_NAMES, STATUS_NAMES, frequency_words
from actions.v1 import actions_pb2 as pb
from gateway.wire import ActionButton, Address, LookupResult, SubscriptionCard, SubscriptionStatus

# The base of the form and action URLs (app.py's routes and the URLs below: one template, so
# they cannot part). Every id an action needs is a path segment: the signature covers the path
# and Gladly hands it back unchanged (reference/gladly.md §2).
SUBSCRIPTION_ROUTE: Final = (
    "/gladly/customers/{gladly_customer_id}/ordergroove/{og_customer_id}"
    "/subscriptions/{subscription_id}"
)
# Cards rendered before the Ordergroove customer was in the path: their URLs keep working.
LEGACY_SUBSCRIPTION_ROUTE: Final = (
    "/gladly/customers/{gladly_customer_id}/subscriptions/{subscription_id}"
)
SUBMISSION_ROUTE: Final = "/submissions/{submission_id}"


class Button(NamedTuple):
    """A card button: the action it runs, its name in Gladly (the contract's) and its URL
    segment. Each has its spec in gateway/action_endpoints.py (SPECS, in this order)."""

    action: pb.Action
    name: str
    segment: str


CANCEL: Final = "cancel"
SKIP: Final = "skip"
REACTIVATE: Final = "reactivate"
CHANGE_NEXT_ORDER_DATE: Final = "change-next-order-date"
CHANGE_FREQUENCY: Final = "change-frequency"
CHANGE_QUANTITY: Final = "change-quantity"
SEND_NOW: Final = "send-now"
CHANGE_RENEWAL: Final = "change-renewal"
CANCEL_ORDER: Final = "cancel-order"
CHANGE_ITEM_QUANTITY: Final = "change-item-quantity"
REMOVE_FROM_ORDER: Final = "remove-from-order"
ISSUE_DISCOUNT: Final = "issue-discount"
SWAP_PRODUCT: Final = "swap-product"
CHANGE_SHIPPING_ADDRESS: Final = "change-shipping-address"
BUTTONS: Final = (
    Button(pb.ACTION_CANCEL, "Cancel Order", CANCEL),
    Button(pb.ACTION_SKIP, "Skip Next Order", SKIP),
    Button(pb.ACTION_REACTIVATE, "Reactivate", REACTIVATE),
    Button(pb.ACTION_CHANGE_NEXT_ORDER_DATE, "Change Next Order Date", CHANGE_NEXT_ORDER_DATE),
    Button(pb.ACTION_CHANGE_FREQUENCY, "Change Frequency", CHANGE_FREQUENCY),
    Button(pb.ACTION_CHANGE_QUANTITY, "Change Quantity", CHANGE_QUANTITY),
    Button(pb.ACTION_SEND_NOW, "Send Next Order Now", SEND_NOW),
    Button(pb.ACTION_CHANGE_RENEWAL, "Change Renewal", CHANGE_RENEWAL),
    # "Cancel Order" above cancels the subscription (the contract's name): this one, the order.
    Button(pb.ACTION_CANCEL_ORDER, "Cancel This Order", CANCEL_ORDER),
    Button(pb.ACTION_CHANGE_ITEM_QUANTITY, "Change Item Quantity", CHANGE_ITEM_QUANTITY),
    Button(pb.ACTION_REMOVE_FROM_ORDER, "Remove From Order", REMOVE_FROM_ORDER),
    Button(pb.ACTION_ISSUE_DISCOUNT, "Issue Discount", ISSUE_DISCOUNT),
    Button(pb.ACTION_SWAP_PRODUCT, "Swap Product", SWAP_PRODUCT),
    Button(pb.ACTION_CHANGE_SHIPPING_ADDRESS, "Change Shipping Address", CHANGE_SHIPPING_ADDRESS),
)
BUTTON_OF: Final = {button.action: button for button in BUTTONS}

# The card's status words: the contract's names ("ACTIVE"), the one table of them.
_STATUS_NAMES: Final[Mapping[int, str]] = {
    value: name.upper() for value, name in STATUS_NAMES.items()
}


@dataclass(frozen=True)
class SubscriptionRef:
    """One subscription of one linked customer, as the path of its URLs names it."""

    gladly_customer_id: str
    og_customer_id: str
    subscription_id: str


def _segment(value: str) -> str:
    return quote(value, safe="")


def subscription_path(ref: SubscriptionRef) -> str:
    """The base of the subscription's URLs (ids percent-encoded as path segments)."""
    return SUBSCRIPTION_ROUTE.format(
        gladly_customer_id=_segment(ref.gladly_customer_id),
        og_customer_id=_segment(ref.og_customer_id),
        subscription_id=_segment(ref.subscription_id),
    )


def form_url(ref: SubscriptionRef, action: str) -> str:
    """`GET` → the action's form."""
    return f"{subscription_path(ref)}/{action}"


def action_url(
    ref: SubscriptionRef,
    action: str,
    submission_id: str,
    state: Sequence[tuple[str, str]] = (),
) -> str:
    """`POST` → runs the action once per submission id. `state` is what the form showed and
    the action must still find (e.g. `("orders", order_id)`), as name/value segment pairs."""
    named = "".join(f"/{name}/{_segment(value)}" for name, value in state)
    return f"{form_url(ref, action)}{named}/submissions/{_segment(submission_id)}"


def customer_result(found: pb.GetSubscriptionsResponse) -> LookupResult:
    """A lookup result without transactions (BASIC), with the subscription counts."""
    customer = found.customer
    return LookupResult(
        external_customer_id=customer.customer_id,
        name=" ".join(part for part in (customer.first_name, customer.last_name) if part),
        emails=[Address(original=customer.email)] if customer.email else [],
        phones=[Address(original=customer.phone_number)] if customer.phone_number else [],
        custom_attributes={
            "activeSubscriptions": str(found.active_count),
            "totalSubscriptions": str(found.total_count),
        },
    )


def detailed_result(found: pb.GetSubscriptionsResponse, gladly_customer_id: str) -> LookupResult:
    """The DETAILED result: the customer and one SUBSCRIPTION card per subscription."""
    result = customer_result(found)
    result.transactions = [
        subscription_card(subscription, gladly_customer_id, found.customer.customer_id)
        for subscription in found.subscriptions
    ]
    return result


def subscription_card(
    subscription: pb.Subscription, gladly_customer_id: str, og_customer_id: str = ""
) -> SubscriptionCard:
    product, next_order = subscription.product, subscription.next_order
    ref = SubscriptionRef(gladly_customer_id, og_customer_id, subscription.subscription_id)
    renewal, remaining, per_billing = _prepaid_fields(subscription)
    return SubscriptionCard(
        subscription_id=subscription.subscription_id,
        status=cast(SubscriptionStatus, _STATUS_NAMES.get(subscription.status, "UNKNOWN")),
        created_at=_rfc3339(subscription, "create_time"),
        updated_at=_rfc3339(subscription, "update_time"),
        frequency=frequency_text(subscription.frequency),
        next_order_id=next_order.order_id,
        # The merchant's calendar date (RFC 3339 full-date): not shifted across midnight.
        next_order_date=next_order.place_date,
        cancelled_at=_rfc3339(subscription, "cancel_time"),
        cancellation_reason=subscription.cancel_reason_text,
        cancellation_reason_code=subscription.cancel_reason_code,
        cancellation_details=subscription.cancel_reason_details,
        price=subscription.price,
        currency=subscription.currency_code,
        quantity=str(subscription.quantity),
        prepaid="true" if subscription.prepaid else "false",
        prepaid_renewal_behavior=renewal,
        prepaid_orders_remaining=remaining,
        prepaid_orders_per_billing=per_billing,
        product_id=product.product_id,
        product_name=product.name,
        product_sku=product.sku,
        product_image_url=product.image_url,
        ships_to=subscription.shipping_address.text,
        actions=_actions(subscription, ref) if gladly_customer_id and og_customer_id else [],
    )


def _prepaid_fields(subscription: pb.Subscription) -> tuple[str, str, str]:
    """What a prepaid subscription has left and what happens when it runs out: its renewal
    behaviour, orders remaining and orders per billing ("" when not prepaid or not known)."""
    if not subscription.HasField("prepaid_plan"):
        return "", "", ""
    plan = subscription.prepaid_plan
    remaining = str(plan.orders_remaining) if plan.HasField("orders_remaining") else ""
    per_billing = str(plan.orders_per_billing) if plan.HasField("orders_per_billing") else ""
    return plan.renewal_behavior, remaining, per_billing


def frequency_text(frequency: pb.Frequency) -> str:
    """In words, like "Every 2 weeks" or "Every month"; "" when Ordergroove gave none."""
    return frequency_words(frequency.every, PERIOD_NAMES.get(frequency.period, "")).capitalize()


def _actions(subscription: pb.Subscription, ref: SubscriptionRef) -> list[ActionButton]:
    available = subscription.available_actions
    return [
        ActionButton(name=name, form_url=form_url(ref, segment))
        for action, name, segment in BUTTONS
        if action in available
    ]


def _rfc3339(message: Message, field: str) -> str:
    """The timestamp field as RFC 3339 UTC ("…Z"), or "" when it is unset."""
    if not message.HasField(field):
        return ""
    stamp: Timestamp = getattr(message, field)
    return stamp.ToJsonString()
