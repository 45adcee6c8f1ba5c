"""Ordergroove's endpoints: which paths exist and what each method does there.

Reads: customers, products (the list as documented: autoship-enabled, not discontinued),
addresses, cancel reasons, subscriptions, orders, items, one-time incentives. Writes: the
subscription actions (`subscriptions/{id}/...`), the order actions
(`orders/{id}/skip_subscription/`, `send_now/`, `cancel/`), the item actions
(`items/{id}/change_quantity/`, `delete/`) and `POST one_time_incentives/create/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from starlette.datastructures import URL, QueryParams
from starlette.responses import JSONResponse, Response

from services.ordergroove_sandbox import render
from services.ordergroove_sandbox.dates import PERIOD_DAYS, is_bare_date, parse_timestamp
from services.ordergroove_sandbox.errors import field_error
from services.ordergroove_sandbox.fields import REQUIRED, Fields, parse_json
from services.ordergroove_sandbox.model import Incentive, Product
from services.ordergroove_sandbox.pagination import paginate, query_of
from services.ordergroove_sandbox.store import (
    MERCHANT_ID,
    RENEWAL_BEHAVIORS,
    Store,
    does_not_exist,
)

T = TypeVar("T")
Json = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One authenticated API request, as the endpoint functions see it."""

    store: Store
    params: Mapping[str, str]  # from the path, e.g. {"id": "..."}
    url: URL
    cursor_pages: bool  # X-OG-API-VERSION: 2
    body: bytes

    @property
    def query(self) -> QueryParams:
        return query_of(self.url)

    def filter(self, name: str) -> str | None:
        """A filter parameter; like django-filter, an empty value means no filter."""
        return self.query.get(name) or None

    def page(self, records: Sequence[T], render_one: Callable[[T], Json]) -> Json:
        return paginate(records, render_one, self.url, self.cursor_pages)


@dataclass(frozen=True)
class Answer:
    """An answer other than 200 with a JSON body: a 201, or a body-less success."""

    status: int
    body: Json | None = None

    def response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status)
        return JSONResponse(self.body, self.status)


Endpoint = Callable[[Call], Json | Answer]


@dataclass(frozen=True)
class Resource:
    pattern: re.Pattern[str]
    methods: Mapping[str, Endpoint]


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


# --- customers and products -------------------------------------------------------------------


def list_customers(call: Call) -> Json:
    records = list(call.store.customers.values())
    if (email := call.filter("email")) is not None:
        records = [c for c in records if c.email.casefold() == email.casefold()]
    return call.page(records, render.customer)


def get_customer(call: Call) -> Json:
    return render.customer(call.store.customer(call.params["id"]))


# Ordergroove docs, Products List: what `fields` names `search` to match against.
SEARCH_FIELDS = ("name", "sku", "external_product_id")


def list_products(call: Call) -> Json:
    """Ordergroove docs, Products List: "all merchant's products that are autoship enabled and
    not discontinued", unless `autoship_enabled` ("all", "false") or `allow_discontinued` say
    otherwise; `search` matched against the field `fields` names, `id_or_name` "case
    insensitive partial match for Product ID or Name"."""
    records = list(call.store.products.values())
    # Several products at once, as Gladly's own app reads them (recorded products pulls).
    if wanted := [pid for pid in call.query.getlist("external_product_ids[]") if pid]:
        records = [p for p in records if p.external_product_id in set(wanted)]
    autoship = _autoship_filter(call)
    if autoship is not None:
        records = [p for p in records if p.autoship_enabled == autoship]
    if not _boolean_filter(call, "allow_discontinued"):
        records = [p for p in records if not p.discontinued]
    if (search := call.filter("search")) is not None:
        names = _search_fields(call)
        records = [p for p in records if any(_contains(p, name, search) for name in names)]
    if (id_or_name := call.filter("id_or_name")) is not None:
        names = ("external_product_id", "name")
        records = [p for p in records if any(_contains(p, name, id_or_name) for name in names)]
    return call.page(records, render.product)


def _autoship_filter(call: Call) -> bool | None:
    """Autoship-enabled products only by default; "all" for any, "false" for the others."""
    raw = (call.filter("autoship_enabled") or "true").lower()
    if raw == "all":
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise field_error(
        "autoship_enabled", f"Select a valid choice. {raw} is not one of the available choices."
    )


def _search_fields(call: Call) -> tuple[str, ...]:
    """UNVERIFIED: without `fields`, `search` is matched against all three."""
    named = call.filter("fields")
    if named is None:
        return SEARCH_FIELDS
    if named not in SEARCH_FIELDS:
        raise field_error(
            "fields", f"Select a valid choice. {named} is not one of the available choices."
        )
    return (named,)


def _contains(product: Product, name: str, text: str) -> bool:
    """UNVERIFIED for `search`: a case-insensitive partial match, as `id_or_name` documents."""
    value: str = getattr(product, name)
    return text.casefold() in value.casefold()


def get_product(call: Call) -> Json:
    return render.product(call.store.product(call.params["id"]))


def list_cancel_reasons(call: Call) -> Json:
    return call.page(call.store.cancel_reasons, render.cancel_reason)


# --- addresses --------------------------------------------------------------------------------


def list_addresses(call: Call) -> Json:
    """Ordergroove docs, Addresses List: filters `customer` and `live`."""
    records = list(call.store.addresses.values())
    if (customer := call.filter("customer")) is not None:
        records = [a for a in records if a.customer == customer]
    if (live := _boolean_filter(call, "live")) is not None:
        records = [a for a in records if a.live == live]
    return call.page(records, render.address)


def get_address(call: Call) -> Json:
    """Recorded getShippingAddress (`GET /addresses/{id}/`)."""
    return render.address(call.store.address(call.params["id"]))


# --- subscriptions ----------------------------------------------------------------------------


def list_subscriptions(call: Call) -> Json:
    records = list(call.store.subscriptions.values())
    if (customer := call.filter("customer")) is not None:
        records = [s for s in records if s.customer == customer]
    if (product := call.filter("product")) is not None:
        records = [s for s in records if s.product == product]
    if (live := _boolean_filter(call, "live")) is not None:
        records = [s for s in records if s.live == live]
    return call.page(records, render.subscription)


def get_subscription(call: Call) -> Json:
    return render.subscription(call.store.subscription(call.params["id"]))


def cancel_subscription(call: Call) -> Json:
    body = _object_body(call)
    reason = body.get("cancel_reason")
    if reason is not None and not isinstance(reason, str):
        raise field_error("cancel_reason", "Not a valid string.")
    return render.subscription(call.store.cancel(call.params["id"], reason or None))


# --- orders and items -------------------------------------------------------------------------


def list_orders(call: Call) -> Json:
    store = call.store
    customer = call.filter("customer")
    if (subscription := call.filter("subscription")) is not None:
        holding = store.orders_holding(subscription)
        # Insertion order, as the full list has it: Ordergroove promises no sorting.
        records = sorted((store.orders[o] for o in holding), key=store.order_position)
        if customer is not None:
            records = [o for o in records if o.customer == customer]
    elif customer is not None:
        records = store.orders_of(customer)  # already only the customer's
    else:
        records = list(store.orders.values())
    if (status := _integer_filter(call, "status")) is not None:
        records = [o for o in records if o.status == status]
    if (start := _time_filter(call, "place_start", end_of_day=False)) is not None:
        records = [o for o in records if o.place >= start]
    if (end := _time_filter(call, "place_end", end_of_day=True)) is not None:
        records = [o for o in records if o.place <= end]
    return call.page(records, lambda order: render.order(order, store))


def get_order(call: Call) -> Json:
    return render.order(call.store.order(call.params["id"]), call.store)


def skip_subscription(call: Call) -> Json:
    subscription = _pk(call, "subscription")
    order = call.store.skip(call.params["id"], subscription)
    return render.order(order, call.store)


def cancel_order(call: Call) -> Json:
    """Recorded cancelOrder: no body; the answer is the order, cancelled."""
    return render.order(call.store.cancel_order(call.params["id"]), call.store)


def change_product(call: Call) -> Json:
    product = _pk(call, "product")
    return render.subscription(call.store.change_product(call.params["id"], product))


def change_shipping(call: Call) -> Json:
    address = _pk(call, "shipping_address")
    return render.subscription(call.store.change_shipping(call.params["id"], address))


def reactivate(call: Call) -> Json:
    """Recorded reactivateSubscription success: the answer is `{"success": true}`. A live
    subscription is refused before the fields are read (recorded reactivateSubscription/400:
    its `every` is 0, the answer names the state)."""
    call.store.reactivatable(call.params["id"])
    body = _object_body(call)
    every, period = _positive_int(body, "every"), _period(body)
    start = _date(call, "start_date", required=True)
    assert start is not None
    # Reference: `next_order_date` "not in the past": today is allowed.
    first = _date(call, "next_order_date", required=False, earliest=Earliest.TODAY)
    call.store.reactivate(call.params["id"], every, period, start, first)
    return {"success": True}


def change_next_order_date(call: Call) -> Json:
    place = _date(call, "order_date", required=True, earliest=Earliest.TOMORROW)
    assert place is not None
    return render.subscription(call.store.change_next_order_date(call.params["id"], place))


def change_frequency(call: Call) -> Json:
    body = _object_body(call)
    every, period = _positive_int(body, "every"), _period(body)
    return render.subscription(call.store.change_frequency(call.params["id"], every, period))


def change_quantity(call: Call) -> Json:
    quantity = _positive_int(_object_body(call), "quantity")
    return render.subscription(call.store.change_quantity(call.params["id"], quantity))


def send_now(call: Call) -> Json:
    return render.order(call.store.send_now(call.params["id"]), call.store)


def change_renewal_behavior(call: Call) -> Json:
    behavior = _object_body(call).get("renewal_behavior")
    if behavior not in RENEWAL_BEHAVIORS:
        raise field_error("renewal_behavior", f'"{behavior}" is not a valid choice.')
    return render.subscription(call.store.change_renewal(call.params["id"], str(behavior)))


def list_items(call: Call) -> Json:
    store = call.store
    order = call.filter("order")
    records = list(store.items.values()) if order is None else store.items_of(order)
    if (subscription := call.filter("subscription")) is not None:
        records = [i for i in records if i.subscription == subscription]
    return call.page(records, lambda item: render.item(item, store))


def get_item(call: Call) -> Json:
    return render.item(call.store.item(call.params["id"]), call.store)


def change_item_quantity(call: Call) -> Json:
    """ENDPOINTS.md, changeItemQuantity: `{"quantity": <int>}`, answered with the item."""
    quantity = _positive_int(_object_body(call), "quantity")
    item = call.store.change_item_quantity(call.params["id"], quantity)
    return render.item(item, call.store)


def delete_item(call: Call) -> Answer:
    """Recorded deleteOrderItem/success: 200 with an empty body."""
    call.store.delete_item(call.params["id"])
    return Answer(200)


# --- one-time incentives ----------------------------------------------------------------------

# Ordergroove docs, One Time Incentives: Create; recorded issueOneTimeDiscount request bodies;
# reference ordergroove.md (`incentive.target` = item/order/shipping_total).
DISCOUNT_TYPES = ("Discount Amount", "Discount Percent")
DISCOUNTED_FIELDS = ("total_price", "sub_total", "shipping_total")
INCENTIVE_TYPES = ("Discount",)
TARGETS = ("item", "order", "shipping_total")
# UNVERIFIED: the words of the refusals of a body naming both or neither of `item` and `order`
# (the docs: "mutually exclusive, but one is required"), and of a target that does not match.
ITEM_OR_ORDER = "Send either an item or an order."
TARGET_MISMATCH = (
    'The incentive\'s target must be "item" for an item, "order" or "shipping_total" for an order.'
)


def create_incentive(call: Call) -> Answer:
    """`POST /one_time_incentives/create/`: 201 with the record (ENDPOINTS.md). The body is
    checked field by field first, then as a whole, as DRF does; the records it names after."""
    fields = Fields(_object_body(call))
    merchant = fields.string("merchant", required=True)
    if merchant.strip() and merchant != MERCHANT_ID:
        # UNVERIFIED: the sandbox is one merchant's store; another merchant is unknown to it.
        fields.fail("merchant", does_not_exist(merchant))
    customer = fields.string("customer", required=True)
    item = fields.optional_string("item") or None
    order = fields.optional_string("order") or None
    description = fields.optional_string("description")
    external_code = fields.optional_string("external_code")
    incentive = _incentive(fields)
    fields.check()
    assert incentive is not None
    if (item is None) == (order is None):
        raise field_error("non_field_errors", ITEM_OR_ORDER)
    targets = ("item",) if item is not None else ("order", "shipping_total")
    if incentive.target not in targets:
        raise field_error("non_field_errors", TARGET_MISMATCH)
    record = call.store.issue_incentive(
        customer, (item, order), incentive, description, external_code
    )
    return Answer(201, render.one_time_incentive(record))


def list_incentives(call: Call) -> Json:
    """Ordergroove docs, One Time Incentives: List: filters `customer`, `order`, `item`,
    `external_code`."""
    records = list(call.store.incentives.values())
    for name in ("customer", "order", "item", "external_code"):
        if (wanted := call.filter(name)) is not None:
            records = [r for r in records if getattr(r, name) == wanted]
    return call.page(records, render.one_time_incentive)


def _incentive(fields: Fields) -> Incentive | None:
    """The nested `incentive` object; its errors nest under "incentive", as DRF nests them."""
    raw = fields.data.get("incentive")
    if raw is None:
        fields.fail("incentive", REQUIRED)
        return None
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        fields.fail("incentive", f"Invalid data. Expected a dictionary, but got {kind}.")
        return None
    inner = Fields(raw)
    name = inner.string("name", required=True)
    discount_type = _choice(inner, "discount_type", DISCOUNT_TYPES)
    value = _discount_value(inner, percent=discount_type == "Discount Percent")
    discounted = _choice(inner, "field", DISCOUNTED_FIELDS)
    kind = _choice(inner, "type", INCENTIVE_TYPES)
    target = _choice(inner, "target", TARGETS)
    if inner.errors:
        fields.errors["incentive"] = inner.errors
        return None
    return Incentive(name, discount_type, value, discounted, target, kind)


def _choice(fields: Fields, name: str, choices: Sequence[str]) -> str:
    value = fields.string(name, required=True)
    if name not in fields.errors and value not in choices:
        fields.fail(name, f'"{value}" is not a valid choice.')
    return value


def _discount_value(fields: Fields, percent: bool) -> str:
    """A positive amount with at most two decimals, sent as a string ("5", "7.50": recorded
    issueOneTimeDiscount); a percentage is at most 100. The words are DRF's DecimalField's;
    the bounds are UNVERIFIED."""
    raw = fields.data.get("value")
    if raw is None:
        fields.fail("value", REQUIRED)
        return ""
    try:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidOperation
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        fields.fail("value", "A valid number is required.")
        return ""
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or not isinstance(exponent, int):
        fields.fail("value", "A valid number is required.")
    elif amount < Decimal("0.01"):
        fields.fail("value", "Ensure this value is greater than or equal to 0.01.")
    elif percent and amount > 100:
        fields.fail("value", "Ensure this value is less than or equal to 100.")
    elif -exponent > 2:
        fields.fail("value", "Ensure that there are no more than 2 decimal places.")
    return str(raw)


# --- parameters -------------------------------------------------------------------------------


def _object_body(call: Call) -> Mapping[str, Any]:
    data = parse_json(call.body)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise field_error(
            "non_field_errors", f"Invalid data. Expected a dictionary, but got {kind}."
        )
    return data


def _pk(call: Call, name: str) -> str:
    """A record's id in the body, as DRF's related fields read one."""
    value = _object_body(call).get(name)
    if value is None or value == "":
        raise field_error(name, REQUIRED)
    if not isinstance(value, str):
        kind = type(value).__name__
        raise field_error(name, f"Incorrect type. Expected pk value, received {kind}.")
    return value


def _positive_int(body: Mapping[str, Any], name: str) -> int:
    """Zero or less is refused: an order of nothing, or a frequency of never."""
    value = body.get(name)
    if value is None:
        raise field_error(name, REQUIRED)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise field_error(name, "A valid integer is required.")
    try:
        number = int(value)
    except ValueError:
        raise field_error(name, "A valid integer is required.") from None
    if number < 1:
        raise field_error(name, "Ensure this value is greater than or equal to 1.")
    return number


def _period(body: Mapping[str, Any]) -> int:
    """`every_period` is 1-4 (days, weeks, months, years)."""
    value = body.get("every_period")
    if value not in PERIOD_DAYS or isinstance(value, bool):
        raise field_error("every_period", f'"{value}" is not a valid choice.')
    return int(value)


class Earliest(Enum):
    ANY = 0
    TODAY = 1  # reactivate's `next_order_date`: "not in the past"
    TOMORROW = 2  # the next order date: "in the future"


def _date(
    call: Call, name: str, *, required: bool, earliest: Earliest = Earliest.ANY
) -> datetime | None:
    """A YYYY-MM-DD date, no earlier than `earliest` in Ordergroove's zone (reference: the
    next order date must be in the future, reactivate's `next_order_date` not in the past)."""
    value = _object_body(call).get(name)
    if value is None or value == "":
        if required:
            raise field_error(name, REQUIRED)
        return None
    if not isinstance(value, str) or not is_bare_date(value):
        raise field_error(
            name, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        )
    moment = parse_timestamp(value)
    today = call.store.clock().date()
    if earliest is Earliest.TOMORROW and moment.date() <= today:
        raise field_error(name, "Date must be in the future.")
    if earliest is Earliest.TODAY and moment.date() < today:
        raise field_error(name, "Date cannot be in the past.")
    return moment


def _boolean_filter(call: Call, name: str) -> bool | None:
    raw = call.filter(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise field_error(name, f"Select a valid choice. {raw} is not one of the available choices.")


def _integer_filter(call: Call, name: str) -> int | None:
    raw = call.filter(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise field_error(name, "Enter a number.") from None


def _time_filter(call: Call, name: str, end_of_day: bool) -> datetime | None:
    """A bare date as an upper bound includes that whole day."""
    raw = call.filter(name)
    if raw is None:
        return None
    try:
        moment = parse_timestamp(raw)
    except ValueError:
        raise field_error(name, "Enter a valid date/time.") from None
    if end_of_day and is_bare_date(raw):
        moment += timedelta(days=1, seconds=-1)
    return moment


RESOURCES: tuple[Resource, ...] = (
    Resource(_pattern("/customers/"), {"GET": list_customers}),
    Resource(_pattern("/customers/{id}/"), {"GET": get_customer}),
    Resource(_pattern("/products/"), {"GET": list_products}),
    Resource(_pattern("/products/{id}/"), {"GET": get_product}),
    Resource(_pattern("/merchant/cancel_reason/"), {"GET": list_cancel_reasons}),
    Resource(_pattern("/addresses/"), {"GET": list_addresses}),
    Resource(_pattern("/addresses/{id}/"), {"GET": get_address}),
    Resource(_pattern("/subscriptions/"), {"GET": list_subscriptions}),
    Resource(_pattern("/subscriptions/{id}/"), {"GET": get_subscription}),
    Resource(_pattern("/subscriptions/{id}/cancel/"), {"PATCH": cancel_subscription}),
    Resource(_pattern("/orders/"), {"GET": list_orders}),
    Resource(_pattern("/orders/{id}/"), {"GET": get_order}),
    Resource(_pattern("/orders/{id}/skip_subscription/"), {"PATCH": skip_subscription}),
    Resource(_pattern("/subscriptions/{id}/reactivate/"), {"PATCH": reactivate}),
    Resource(
        _pattern("/subscriptions/{id}/change_next_order_date/"), {"PATCH": change_next_order_date}
    ),
    Resource(_pattern("/subscriptions/{id}/change_frequency/"), {"PATCH": change_frequency}),
    Resource(_pattern("/subscriptions/{id}/change_quantity/"), {"PATCH": change_quantity}),
    Resource(
        _pattern("/subscriptions/{id}/change_renewal_behavior/"),
        {"PATCH": change_renewal_behavior},
    ),
    Resource(_pattern("/orders/{id}/send_now/"), {"PATCH": send_now}),
    Resource(_pattern("/orders/{id}/cancel/"), {"PATCH": cancel_order}),
    Resource(_pattern("/subscriptions/{id}/change_product/"), {"PATCH": change_product}),
    Resource(_pattern("/subscriptions/{id}/change_shipping/"), {"PATCH": change_shipping}),
    Resource(_pattern("/items/"), {"GET": list_items}),
    Resource(_pattern("/items/{id}/"), {"GET": get_item}),
    Resource(_pattern("/items/{id}/change_quantity/"), {"PATCH": change_item_quantity}),
    Resource(_pattern("/items/{id}/delete/"), {"DELETE": delete_item}),
    Resource(_pattern("/one_time_incentives/"), {"GET": list_incentives}),
    Resource(_pattern("/one_time_incentives/create/"), {"POST": create_incentive}),
)


def resolve(path: str) -> tuple[Resource, dict[str, str]] | None:
    for resource in RESOURCES:
        if match := resource.pattern.match(path):
            return resource, match.groupdict()
    return None
