"""The forms of the catalogue's actions (reactivate, change the next order date, frequency,
quantity or renewal, send the next order now or cancel it, change or remove this subscription's
item in it, discount it, swap the product, change the shipping address): each shows the state it
was opened on, which its action URL then names (signed), so that a submission on a changed state
is refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
TARGET_ATTR: Final = "target"
KIND_ATTR: Final = "kind"
VALUE_ATTR: Final = "value"
REASON_ATTR: Final = "reason"
PRODUCT_ATTR: Final = "product"
ADDRESS_ATTR: Final = "address"
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
# The same for Issue Discount, Swap Product and Change Shipping Address, whose requests name
# fields the others use otherwise (a discount's `reason` is its name, not a cancel reason).
DISCOUNT_FIELD_ATTRS: Final[Mapping[str, str]] = {
    "target": TARGET_ATTR,
    "kind": KIND_ATTR,
    "value": VALUE_ATTR,
    "reason": REASON_ATTR,
}
SWAP_FIELD_ATTRS: Final[Mapping[str, str]] = {"product_id": PRODUCT_ATTR}
ADDRESS_FIELD_ATTRS: Final[Mapping[str, str]] = {"address_id": ADDRESS_ATTR}
# A discount's target and kind as the form offers them (the select's values).
DISCOUNT_TARGETS: Final[Mapping[str, pb.DiscountTarget]] = {
    "order": pb.DISCOUNT_TARGET_ORDER,
    "item": pb.DISCOUNT_TARGET_ITEM,
}
DISCOUNT_KINDS: Final[Mapping[str, pb.DiscountKind]] = {
    "amount": pb.DISCOUNT_KIND_AMOUNT,
    "percent": pb.DISCOUNT_KIND_PERCENT,
}
MAX_DISCOUNT_REASON: Final = 200  # the service's limit (IssueDiscountRequest.reason)
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


def _order_words(subscription: pb.Subscription, names: Mapping[str, str]) -> str:
    """Everything the next order holds, this subscription's items first. `names` are the card's
    product names by subscription."""
    lines = sorted(
        subscription.next_order.lines,
        key=lambda line: line.subscription_id != subscription.subscription_id,
    )
    listed = "; ".join(_line_words(line, subscription, names) for line in lines)
    return listed or _product(subscription)


def send_now_form(action_url: str, subscription: pb.Subscription, names: Mapping[str, str]) -> Form:
    """Ordergroove places the whole order: everything in it is listed, this subscription's
    items first. `names` are the card's product names by subscription."""
    order = subscription.next_order
    shipped = _order_words(subscription, names)
    return _form(
        "Send next order now",
        "Send now",
        action_url,
        [
            _text(
                f"Places the whole order {order.order_id} of {order.place_date} now (within 24 "
                f"hours). Everything in it ships: {shipped}."
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


def cancel_order_form(
    action_url: str, subscription: pb.Subscription, names: Mapping[str, str]
) -> Form:
    """Ordergroove cancels the whole order: everything in it is listed, as in Send Now."""
    order = subscription.next_order
    return Form(
        title="Cancel this order",
        submit_button="Cancel order",
        close_button="Keep order",
        action_url=action_url,
        sections=[
            _text(
                f"Cancels the whole order {order.order_id} of {order.place_date}, and with it "
                f"everything it holds: {_order_words(subscription, names)}. Each subscription "
                "in it stays active and gets its next order on its schedule."
            )
        ],
    )


def change_item_quantity_form(
    action_url: str, subscription: pb.Subscription, line: pb.OrderLine
) -> Form:
    """`line`: this subscription's item in its next order."""
    order = subscription.next_order
    return _form(
        "Change item quantity",
        "Change quantity",
        action_url,
        [
            _text(
                f"The next order {order.order_id} of {order.place_date} ships {line.quantity} of "
                f"{_product(subscription)}. The new quantity is for that order only: the "
                f"subscription keeps its own quantity ({subscription.quantity}) for later orders."
            ),
            _input(
                "Quantity in this order",
                QUANTITY_ATTR,
                "A whole number, up to the store's maximum.",
                "",
                Input(type="text"),
            ),
        ],
    )


def remove_from_order_form(
    action_url: str, subscription: pb.Subscription, line: pb.OrderLine
) -> Form:
    """`line`: this subscription's item in its next order."""
    order = subscription.next_order
    return Form(
        title="Remove from order",
        submit_button="Remove item",
        close_button="Keep item",
        action_url=action_url,
        sections=[
            _text(
                f"Takes {line.quantity} of {_product(subscription)} out of order "
                f"{order.order_id} of {order.place_date}. The rest of the order still ships, "
                "and the subscription stays active."
            )
        ],
    )


def issue_discount_form(action_url: str, subscription: pb.Subscription) -> Form:
    order, product = subscription.next_order, _product(subscription)
    currency = subscription.currency_code or "the order's currency"
    targets = [
        Option(text=f"The whole order {order.order_id}", value="order"),
        Option(text=f"{product} in that order", value="item"),
    ]
    kinds = [
        Option(text=f"An amount ({currency})", value="amount"),
        Option(text="A percentage", value="percent"),
    ]
    return _form(
        "Issue discount",
        "Issue discount",
        action_url,
        [
            _text(
                f"A one-time discount on the next order {order.order_id} of {order.place_date}, "
                f"or on {product} in it. Later orders are not discounted."
            ),
            _input("Discount on", TARGET_ATTR, "", "order", Input(type="select", options=targets)),
            _input("Kind", KIND_ATTR, "", "amount", Input(type="select", options=kinds)),
            _input(
                "Value",
                VALUE_ATTR,
                "A positive number with at most two decimals, e.g. 5 or 7.50; up to the "
                "store's limit.",
                "",
                Input(type="text"),
            ),
            _input(
                "Reason",
                REASON_ATTR,
                f"Required, at most {MAX_DISCOUNT_REASON} characters: the discount's name at "
                "Ordergroove.",
                "",
                Input(type="text", placeholder="Why the customer gets it"),
            ),
        ],
    )


def swap_product_form(
    action_url: str,
    subscription: pb.Subscription,
    products: Sequence[pb.SwapProduct],
    search: str = "",
) -> Form:
    """`products`: what ListSwapProducts offers (at least one), each option naming its price
    against the subscription's."""
    currency = subscription.currency_code
    before = subscription.price or "?"
    options = [
        Option(
            text=f"{_named(offer.product)}: {_price(before, currency)} → "
            f"{_price(offer.price or '?', currency)}",
            value=offer.product.product_id,
        )
        for offer in products
    ]
    matching = f" Products whose name holds “{search}”:" if search else ""
    return _form(
        "Swap product",
        "Swap product",
        action_url,
        [
            _text(
                f"Ships {_product(subscription)} now, at {_price(before, currency)}. The product "
                f"chosen ships instead, at its own price, from the next order on.{matching}"
            ),
            _input("Ship instead", PRODUCT_ATTR, "", "", Input(type="select", options=options)),
        ],
    )


def _price(value: str, currency: str) -> str:
    return f"{value} {currency}" if currency else value


def _named(product: pb.Product) -> str:
    return product.name or product.product_id


def change_shipping_address_form(
    action_url: str, subscription: pb.Subscription, addresses: Sequence[pb.ShippingAddress]
) -> Form:
    """`addresses`: the customer's live addresses, the current one marked."""
    current_id = subscription.shipping_address.address_id
    options = [
        Option(
            text=_address_words(address)
            + (" (current)" if address.address_id == current_id else ""),
            value=address.address_id,
        )
        for address in addresses
    ]
    now = (
        f"ships to {_address_words(subscription.shipping_address)}"
        if subscription.HasField("shipping_address")
        else "has no shipping address"
    )
    return _form(
        "Change shipping address",
        "Change address",
        action_url,
        [
            _text(f"{_product(subscription)} {now}. Its next orders ship to the address chosen."),
            _input("Ship to", ADDRESS_ATTR, "", "", Input(type="select", options=options)),
        ],
    )


def _address_words(address: pb.ShippingAddress) -> str:
    """ "Home: Dana Demo, 1 Main St, …" (the label when the customer named it)."""
    text = address.text or address.address_id
    return f"{address.label}: {text}" if address.label else text
