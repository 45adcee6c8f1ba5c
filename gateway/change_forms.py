"""The forms of the catalogue's actions (reactivate, change the next order date, frequency,
quantity or renewal, send the next order now): each shows the state it was opened on, which its
action URL then names (signed), so that a submission on a changed state is refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Final

from actions.contract import DEFAULT_MAX_DAYS_AHEAD, PERIOD_NAMES, PERIODS
from actions.v1 import actions_pb2 as pb
from gateway.card import frequency_text
from gateway.wire import Form, Input, InputSection, Option, Section, TextSection

EVERY_ATTR: Final = "every"
PERIOD_ATTR: Final = "period"
FIRST_DATE_ATTR: Final = "firstOrderDate"
ORDER_DATE_ATTR: Final = "orderDate"
QUANTITY_ATTR: Final = "quantity"
RENEWAL_ATTR: Final = "renewal"
# The service refuses dates further ahead (its MAX_DAYS_AHEAD; the refusal names the last date
# allowed). The gateway does not read the service's settings: the hints give its default.
_REACH: Final = f"at most {DEFAULT_MAX_DAYS_AHEAD} days ahead"
# The form field of each request field, to point the service's errors at it.
FIELD_ATTRS: Final[Mapping[str, str]] = {
    "every": EVERY_ATTR,
    "period": PERIOD_ATTR,
    "first_order_date": FIRST_DATE_ATTR,
    "order_date": ORDER_DATE_ATTR,
    "quantity": QUANTITY_ATTR,
    "renewal_behavior": RENEWAL_ATTR,
}
# Ordergroove's renewal behaviours, in the words of the catalogue.
RENEWALS: Final = {
    "autorenew": "Renew automatically",
    "cancel": "Stop after the prepaid orders",
    "downgrade": "Switch to pay per order",
}


def _product(subscription: pb.Subscription) -> str:
    return subscription.product.name or subscription.product.product_id


def _form(title: str, submit: str, action_url: str, sections: list[Section]) -> Form:
    return Form(
        title=title,
        submit_button=submit,
        close_button="Close",
        action_url=action_url,
        sections=sections,
    )


def _text(text: str) -> TextSection:
    return TextSection(text=text)


def _input(label: str, attr: str, hint: str, default: str, kind: Input) -> InputSection:
    return InputSection(label=label, attr=attr, hint=hint, default_value=default, input=kind)


def _frequency_inputs(frequency: pb.Frequency) -> list[Section]:
    period_options = [Option(text=f"{name}s", value=name) for name in PERIODS]
    return [
        _input(
            "Every",
            EVERY_ATTR,
            "A whole number, 1 to 365.",
            str(frequency.every or ""),
            Input(type="text"),
        ),
        _input(
            "Period",
            PERIOD_ATTR,
            "",
            PERIOD_NAMES.get(frequency.period, ""),
            Input(type="select", options=period_options),
        ),
    ]


def reactivate_form(action_url: str, subscription: pb.Subscription, today: date) -> Form:
    return _form(
        "Reactivate subscription",
        "Reactivate",
        action_url,
        [
            _text(f"Ships {_product(subscription)} again, from the first order date on."),
            *_frequency_inputs(subscription.frequency),
            _input(
                "First order date",
                FIRST_DATE_ATTR,
                f"YYYY-MM-DD, today or later, {_REACH}.",
                (today + timedelta(days=1)).isoformat(),
                Input(type="text"),
            ),
        ],
    )


def change_date_form(action_url: str, subscription: pb.Subscription) -> Form:
    order = subscription.next_order
    return _form(
        "Change next order date",
        "Change date",
        action_url,
        [
            _text(
                f"The next order of {_product(subscription)} (order {order.order_id}) is "
                f"placed on {order.place_date}."
            ),
            _input(
                "New date",
                ORDER_DATE_ATTR,
                f"YYYY-MM-DD, after today, {_REACH}.",
                "",
                Input(type="text"),
            ),
        ],
    )


def change_frequency_form(action_url: str, subscription: pb.Subscription) -> Form:
    current = frequency_text(subscription.frequency) or "not set"
    return _form(
        "Change frequency",
        "Change frequency",
        action_url,
        [
            _text(f"{_product(subscription)} ships now: {current.lower()}."),
            *_frequency_inputs(subscription.frequency),
        ],
    )


def change_quantity_form(action_url: str, subscription: pb.Subscription) -> Form:
    return _form(
        "Change quantity",
        "Change quantity",
        action_url,
        [
            _text(f"Each order ships {subscription.quantity} of {_product(subscription)}."),
            _input(
                "New quantity",
                QUANTITY_ATTR,
                "A whole number, up to the store's maximum.",
                "",
                Input(type="text"),
            ),
        ],
    )


def send_now_form(action_url: str, subscription: pb.Subscription, names: Mapping[str, str]) -> Form:
    """Ordergroove places the whole order: everything in it is listed, this subscription's
    items first. `names` are the card's product names by subscription."""
    order = subscription.next_order
    lines = sorted(
        order.lines, key=lambda line: line.subscription_id != subscription.subscription_id
    )
    shipped = "; ".join(_line_words(line, subscription, names) for line in lines)
    return _form(
        "Send next order now",
        "Send now",
        action_url,
        [
            _text(
                f"Places the whole order {order.order_id} of {order.place_date} now (within 24 "
                f"hours). Everything in it ships: {shipped or _product(subscription)}."
            )
        ],
    )


def _line_words(line: pb.OrderLine, subscription: pb.Subscription, names: Mapping[str, str]) -> str:
    product = names.get(line.subscription_id) or line.product_id
    if line.subscription_id == subscription.subscription_id:
        return f"{line.quantity} of {product} (this subscription)"
    if line.subscription_id:
        return f"{line.quantity} of {product} (subscription {line.subscription_id})"
    return f"{line.quantity} of {product} (a one-off item)"


def change_renewal_form(action_url: str, subscription: pb.Subscription) -> Form:
    current = subscription.prepaid_plan.renewal_behavior
    options = [Option(text=words, value=value) for value, words in RENEWALS.items()]
    return _form(
        "Change renewal",
        "Change renewal",
        action_url,
        [
            _text(
                f"When the prepaid orders of {_product(subscription)} run out, it now will: "
                f"{RENEWALS.get(current, 'not set').lower()}."
            ),
            _input("Then", RENEWAL_ATTR, "", current, Input(type="select", options=options)),
        ],
    )
