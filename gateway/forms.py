"""The Gladly action forms: what the agent sees after pressing a card's button."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from actions.v1 import actions_pb2 as pb
from gateway.card import frequency_text
from gateway.payloads import Json

REASON_ATTR: Final = "reason"
DETAILS_ATTR: Final = "details"
MAX_DETAILS: Final = 500
# The form field each request field of CancelSubscription comes from, to point errors at it.
CANCEL_FIELD_ATTRS: Final[Mapping[str, str]] = {
    "reason_code": REASON_ATTR,
    "reason_details": DETAILS_ATTR,
}


def cancel_form(action_url: str, reasons: pb.ListCancelReasonsResponse) -> Json:
    """Offers exactly the merchant's reason codes (words shown, the code as the value); the
    reason is optional unless the merchant requires one."""
    reason_input: Json = {
        "type": "select",
        "options": [{"text": r.text or r.code, "value": r.code} for r in reasons.reasons],
    }
    if not reasons.reason_required:
        reason_input["optional"] = True
    return {
        "title": "Cancel subscription",
        "submitButton": "Cancel subscription",
        "closeButton": "Keep subscription",
        "actionUrl": action_url,
        "sections": [
            {
                "type": "text",
                "text": "Cancels the subscription and all its later shipments.",
            },
            {
                "type": "input",
                "label": "Cancellation reason",
                "attr": REASON_ATTR,
                "input": reason_input,
            },
            {
                "type": "input",
                "label": "Details",
                "attr": DETAILS_ATTR,
                "hint": f"Optional, at most {MAX_DETAILS} characters.",
                "input": {
                    "type": "text",
                    "placeholder": "What the customer said",
                    "optional": True,
                },
            },
        ],
    }


def skip_form(action_url: str, subscription: pb.Subscription) -> Json:
    """`subscription` must have a next order."""
    order = subscription.next_order
    day = order.place_date  # the merchant's calendar date
    product = subscription.product.name or subscription.product.product_id
    every = frequency_text(subscription.frequency).lower() or "on its schedule"
    return {
        "title": "Skip next order",
        "submitButton": "Skip order",
        "closeButton": "Keep order",
        "actionUrl": action_url,
        "sections": [
            {
                "type": "text",
                "text": (
                    f"Skips the order of {day} (order {order.order_id}) for {product}. "
                    f"The next order then follows {every}."
                ),
            }
        ],
    }
