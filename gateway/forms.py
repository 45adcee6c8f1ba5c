"""The Gladly action forms: what the agent sees after pressing a card's button."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from actions.contract import MAX_REASON_DETAILS
from actions.v1 import actions_pb2 as pb
from gateway.card import frequency_text
from gateway.wire import Form, Input, InputSection, Option, TextSection

# A form is a `Form` of text and input sections (gateway/wire.py); its inputs' `attr`s are the
# keys of the submitted body, declared in the action's submission shape.
REASON_ATTR: Final = "reason"
DETAILS_ATTR: Final = "details"
MAX_DETAILS: Final = MAX_REASON_DETAILS
# The form field each request field of CancelSubscription comes from, to point errors at it.
CANCEL_FIELD_ATTRS: Final[Mapping[str, str]] = {
    "reason_code": REASON_ATTR,
    "reason_details": DETAILS_ATTR,
}


def cancel_form(action_url: str, reasons: pb.ListCancelReasonsResponse) -> Form:
    """Offers exactly the merchant's reason codes (words shown, the code as the value); the
    reason is optional unless the merchant requires one."""
    return Form(
        title="Cancel subscription",
        submit_button="Cancel subscription",
        close_button="Keep subscription",
        action_url=action_url,
        sections=[
            TextSection(text="Cancels the subscription and all its later shipments."),
            InputSection(
                label="Cancellation reason",
                attr=REASON_ATTR,
                input=Input(
                    type="select",
                    options=[Option(text=r.text or r.code, value=r.code) for r in reasons.reasons],
                    optional=not reasons.reason_required,
                ),
            ),
            InputSection(
                label="Details",
                attr=DETAILS_ATTR,
                hint=f"Optional, at most {MAX_DETAILS} characters.",
                input=Input(type="text", placeholder="What the customer said", optional=True),
            ),
        ],
    )


def skip_form(action_url: str, subscription: pb.Subscription) -> Form:
    """`subscription` must have a next order."""
    order = subscription.next_order
    day = order.place_date  # the merchant's calendar date
    product = subscription.product.name or subscription.product.product_id
    every = frequency_text(subscription.frequency).lower() or "on its schedule"
    return Form(
        title="Skip next order",
        submit_button="Skip order",
        close_button="Keep order",
        action_url=action_url,
        sections=[
            TextSection(
                text=(
                    f"Skips the order of {day} (order {order.order_id}) for {product}. "
                    f"The next order then follows {every}."
                )
            )
        ],
    )
