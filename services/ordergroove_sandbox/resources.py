"""Ordergroove's endpoints: which paths exist and what each method does there."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from starlette.datastructures import URL, QueryParams

from services.ordergroove_sandbox import render
from services.ordergroove_sandbox.dates import PERIOD_DAYS, is_bare_date, parse_timestamp
from services.ordergroove_sandbox.errors import field_error
from services.ordergroove_sandbox.fields import REQUIRED, parse_json
from services.ordergroove_sandbox.pagination import paginate, query_of
from services.ordergroove_sandbox.store import RENEWAL_BEHAVIORS, Store

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


Endpoint = Callable[[Call], Json]


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


def list_products(call: Call) -> Json:
    records = list(call.store.products.values())
    # Several products at once, as Gladly's own app reads them (recorded products pulls).
    if wanted := [pid for pid in call.query.getlist("external_product_ids[]") if pid]:
        records = [p for p in records if p.external_product_id in set(wanted)]
    return call.page(records, render.product)


def get_product(call: Call) -> Json:
    return render.product(call.store.product(call.params["id"]))


def list_cancel_reasons(call: Call) -> Json:
    return call.page(call.store.cancel_reasons, render.cancel_reason)


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
    subscription = _object_body(call).get("subscription")
    if subscription is None or subscription == "":
        raise field_error("subscription", REQUIRED)
    if not isinstance(subscription, str):
        kind = type(subscription).__name__
        raise field_error("subscription", f"Incorrect type. Expected pk value, received {kind}.")
    order = call.store.skip(call.params["id"], subscription)
    return render.order(order, call.store)


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


# --- parameters -------------------------------------------------------------------------------


def _object_body(call: Call) -> Mapping[str, Any]:
    data = parse_json(call.body)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise field_error(
            "non_field_errors", f"Invalid data. Expected a dictionary, but got {kind}."
        )
    return data


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
    Resource(_pattern("/items/"), {"GET": list_items}),
    Resource(_pattern("/items/{id}/"), {"GET": get_item}),
)


def resolve(path: str) -> tuple[Resource, dict[str, str]] | None:
    for resource in RESOURCES:
        if match := resource.pattern.match(path):
            return resource, match.groupdict()
    return None
