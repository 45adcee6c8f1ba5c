"""The in-memory data and Ordergroove's rules for changing it (no I/O).

Every method runs to completion without awaiting, so requests served on one event loop never
see a half-applied change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from services.ordergroove_sandbox.dates import Clock, add_frequency, utc_now
from services.ordergroove_sandbox.errors import field_error, not_found, refused
from services.ordergroove_sandbox.model import (
    CANCELLED,
    CENT,
    SEND_NOW,
    UNSENT,
    CancelReason,
    Customer,
    Item,
    Order,
    Product,
    Subscription,
    reason_code_of,
)

# Recorded cancelSubscription error_case (400).
NOT_EDITABLE = "This subscription is not in a state which it can edited"
# The reference: `cancel/` refuses prepaid subscriptions with 400 (the words are the sandbox's own).
PREPAID_NOT_CANCELLABLE = "Prepaid subscriptions cannot be cancelled."
ONLY_UNSENT_SKIPPABLE = "Only unsent orders can be skipped."
# Recorded reactivateSubscription 400: `{"subscription": ["This subscription is already in active
# state"]}`.
ALREADY_ACTIVE = "This subscription is already in active state"
# The reference: `change_quantity/` answers 400 on a prepaid subscription (the words are ours).
PREPAID_QUANTITY_FIXED = "The quantity of a prepaid subscription cannot be changed."
# The reference: `change_renewal_behavior/` is the prepaid route (the words are ours).
NOT_PREPAID = "Only prepaid subscriptions have a renewal behavior."
# The reference: `send_now/` places an unsent order (the words are ours).
ONLY_UNSENT_SENDABLE = "Only unsent orders can be sent now."
NO_NEXT_ORDER = "This subscription has no upcoming order."
RENEWAL_BEHAVIORS = ("autorenew", "cancel", "downgrade")
NOT_IN_ORDER = "Subscription is not part of this order."

T = TypeVar("T")

# Generated ids are uuid5s of a counter: a fresh store hands out the same ids in the same order,
# which keeps test runs reproducible.
_ID_NAMESPACE = uuid.UUID("5f0c2a8e-3b7d-4c1a-9e62-0a0f6b0d9c11")


def stable_id(name: str) -> str:
    """A 32-hex public_id derived from a name."""
    return uuid.uuid5(_ID_NAMESPACE, name).hex


class Store:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.customers: dict[str, Customer] = {}
        self.products: dict[str, Product] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.orders: dict[str, Order] = {}
        self.items: dict[str, Item] = {}
        # Items by order and by subscription, and orders by customer, so that the list filters a
        # card uses do not scan every record (benchmarks seed thousands).
        self._customer_orders: dict[str, list[str]] = {}
        self._order_items: dict[str, dict[str, Item]] = {}
        self._subscription_items: dict[str, dict[str, Item]] = {}
        self._order_positions: dict[str, int] = {}
        self.cancel_reasons: list[CancelReason] = []
        self._serial = 0

    def new_id(self) -> str:
        self._serial += 1
        return stable_id(f"generated/{self._serial}")

    # --- building ---------------------------------------------------------------------------

    def add_customer(self, customer: Customer) -> Customer:
        self.customers[customer.merchant_user_id] = customer
        return customer

    def add_product(self, product: Product) -> Product:
        self.products[product.external_product_id] = product
        return product

    def add_subscription(self, subscription: Subscription) -> Subscription:
        self.subscriptions[subscription.public_id] = subscription
        return subscription

    def add_order(
        self,
        customer: str,
        place: datetime,
        status: int,
        subscriptions: Iterable[Subscription],
        public_id: str | None = None,
    ) -> Order:
        """An order holding one item per subscription, at the subscription's quantity and price."""
        now = self.clock()
        order = Order(public_id or self.new_id(), customer, status, place, created=now, updated=now)
        self.orders[order.public_id] = order
        self._order_positions[order.public_id] = len(self._order_positions)
        self._customer_orders.setdefault(customer, []).append(order.public_id)
        self._order_items[order.public_id] = {}
        for subscription in subscriptions:
            self._add_item(order.public_id, subscription)
        return order

    def _add_item(self, order_id: str, subscription: Subscription) -> Item:
        item = Item(
            self.new_id(),
            order_id,
            subscription.public_id,
            subscription.product,
            subscription.quantity,
            subscription.price,
        )
        self.items[item.public_id] = item
        self._order_items[order_id][item.public_id] = item
        self._subscription_items.setdefault(item.subscription, {})[item.public_id] = item
        return item

    # --- reading ----------------------------------------------------------------------------

    def customer(self, merchant_user_id: str) -> Customer:
        return _found(self.customers.get(merchant_user_id))

    def product(self, external_product_id: str) -> Product:
        return _found(self.products.get(external_product_id))

    def product_with_sku(self, sku: str) -> Product:
        # A scan: only the sandbox's pictures look products up by sku, one per card shown.
        return _found(next((p for p in self.products.values() if p.sku == sku), None))

    def subscription(self, public_id: str) -> Subscription:
        return _found(self.subscriptions.get(public_id))

    def order(self, public_id: str) -> Order:
        return _found(self.orders.get(public_id))

    def item(self, public_id: str) -> Item:
        return _found(self.items.get(public_id))

    def items_of(self, order_id: str) -> list[Item]:
        """An unknown order has no items, as django-filter answers a free-text order id."""
        return list(self._order_items.get(order_id, {}).values())

    def orders_of(self, customer: str) -> list[Order]:
        """The customer's orders, in insertion order."""
        return [self.orders[order_id] for order_id in self._customer_orders.get(customer, ())]

    def orders_holding(self, subscription_id: str) -> set[str]:
        """Ids of the orders that hold at least one item of the subscription."""
        return {item.order for item in self._items_of_subscription(subscription_id)}

    def order_position(self, order: Order) -> int:
        """Where the order stands in insertion order (the order of the full list)."""
        return self._order_positions[order.public_id]

    def _items_of_subscription(self, subscription_id: str) -> list[Item]:
        return list(self._subscription_items.get(subscription_id, {}).values())

    def sub_total(self, order_id: str) -> Decimal:
        total = sum((i.price * i.quantity for i in self.items_of(order_id)), Decimal(0))
        return total.quantize(CENT)

    # --- Ordergroove's writes ---------------------------------------------------------------

    def cancel(self, subscription_id: str, reason: str | None) -> Subscription:
        """Cancel a live, non-prepaid subscription and take it out of every unsent order."""
        subscription = self.subscription(subscription_id)
        if subscription.prepaid is not None:
            raise refused(PREPAID_NOT_CANCELLABLE)
        if not subscription.live:
            raise refused(NOT_EDITABLE)
        now = self.clock()
        subscription.live = False
        subscription.cancelled = now
        subscription.cancel_reason = reason
        subscription.cancel_reason_code = reason_code_of(reason)
        subscription.updated = now
        unsent = [
            item
            for item in self._items_of_subscription(subscription_id)
            if self.orders[item.order].status == UNSENT
        ]
        self._remove_items(unsent)
        return subscription

    def skip(self, order_id: str, subscription_id: str) -> Order:
        """Take a subscription's items out of an unsent order and place them in a new order one
        frequency later. Other subscriptions' items stay where they are."""
        order = self.order(order_id)
        subscription, skipped = self._skippable(order, subscription_id)
        place = add_frequency(order.place, subscription.every, subscription.every_period)
        following = self.add_order(order.customer, place, UNSENT, [])
        for item in skipped:
            del self._order_items[order_id][item.public_id]
            self._order_items[following.public_id][item.public_id] = item
            item.order = following.public_id
        self._after_items_left(order)
        return order

    def reactivate(
        self, subscription_id: str, every: int, every_period: int, first_order: datetime
    ) -> Subscription:
        """Make a cancelled or inactive subscription live again at the given frequency, with a
        new unsent order at `first_order` (reference: `reactivate/`, required `every`,
        `every_period`, `start_date`; optional `next_order_date`)."""
        subscription = self.subscription(subscription_id)
        if subscription.live:
            raise field_error("subscription", ALREADY_ACTIVE)
        now = self.clock()
        subscription.live = True
        subscription.cancelled = None
        subscription.cancel_reason = None
        subscription.cancel_reason_code = None
        subscription.every, subscription.every_period = every, every_period
        subscription.updated = now
        self.add_order(subscription.customer, first_order, UNSENT, [subscription])
        return subscription

    def change_next_order_date(self, subscription_id: str, place: datetime) -> Subscription:
        """Move the subscription's next unsent order (reference: `change_next_order_date/`
        `{"order_date"}` in the future). Items of other subscriptions in a shared order stay on
        their date: this subscription's items move to an order of their own."""
        subscription = self._live(subscription_id)
        upcoming = self.next_unsent_order(subscription_id)
        if upcoming is None:
            raise refused(NO_NEXT_ORDER)
        mine = [i for i in self.items_of(upcoming.public_id) if i.subscription == subscription_id]
        if len(mine) == len(self.items_of(upcoming.public_id)):
            upcoming.place = place
            upcoming.updated = self.clock()
        else:
            moved = self.add_order(upcoming.customer, place, UNSENT, [])
            for item in mine:
                del self._order_items[upcoming.public_id][item.public_id]
                self._order_items[moved.public_id][item.public_id] = item
                item.order = moved.public_id
            self._after_items_left(upcoming)
        subscription.updated = self.clock()
        return subscription

    def change_frequency(self, subscription_id: str, every: int, every_period: int) -> Subscription:
        """Reference: `change_frequency/` `{"every", "every_period": 1-4}`."""
        subscription = self._live(subscription_id)
        subscription.every, subscription.every_period = every, every_period
        subscription.updated = self.clock()
        return subscription

    def change_quantity(self, subscription_id: str, quantity: int) -> Subscription:
        """Reference: `change_quantity/` `{"quantity"}`, 400 on prepaid. The unsent orders'
        items follow the subscription's quantity."""
        subscription = self.subscription(subscription_id)
        if subscription.prepaid is not None:
            raise refused(PREPAID_QUANTITY_FIXED)
        self._live(subscription_id)
        subscription.quantity = quantity
        subscription.updated = self.clock()
        for item in self._items_of_subscription(subscription_id):
            if self.orders[item.order].status == UNSENT:
                item.quantity = quantity
        return subscription

    def send_now(self, order_id: str) -> Order:
        """Reference: `orders/{id}/send_now/` places an unsent order within 24 h and answers
        the order with `status: 6` (SEND_NOW) and `place` now (recorded
        `sendOrderNow/live_response/rawData.json`)."""
        order = self.order(order_id)
        if order.status != UNSENT:
            raise refused(ONLY_UNSENT_SENDABLE)
        order.place = self.clock()
        order.status = SEND_NOW
        order.updated = order.place
        return order

    def change_renewal(self, subscription_id: str, behavior: str) -> Subscription:
        """Reference: `change_renewal_behavior/` `{"renewal_behavior": "autorenew"|"cancel"|
        "downgrade"}`, the prepaid subscriptions' route."""
        subscription = self.subscription(subscription_id)
        if subscription.prepaid is None:
            raise refused(NOT_PREPAID)
        subscription.prepaid = replace(subscription.prepaid, renewal_behavior=behavior)
        subscription.updated = self.clock()
        return subscription

    def next_unsent_order(self, subscription_id: str) -> Order | None:
        unsent = [
            self.orders[o]
            for o in self.orders_holding(subscription_id)
            if self.orders[o].status == UNSENT
        ]
        return min(unsent, key=lambda o: (o.place, o.public_id), default=None)

    def _live(self, subscription_id: str) -> Subscription:
        subscription = self.subscription(subscription_id)
        if not subscription.live:
            raise refused(NOT_EDITABLE)
        return subscription

    def _skippable(self, order: Order, subscription_id: str) -> tuple[Subscription, list[Item]]:
        """The subscription and its items in the order, or Ordergroove's refusal."""
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise field_error(
                "subscription", f'Invalid pk "{subscription_id}" - object does not exist.'
            )
        if order.status != UNSENT:
            raise refused(ONLY_UNSENT_SKIPPABLE)
        items = [i for i in self.items_of(order.public_id) if i.subscription == subscription_id]
        if not items:
            raise field_error("subscription", NOT_IN_ORDER)
        if not subscription.live:
            raise refused(NOT_EDITABLE)
        return subscription, items

    def _remove_items(self, items: Sequence[Item]) -> None:
        for item in items:
            del self.items[item.public_id]
            del self._order_items[item.order][item.public_id]
            del self._subscription_items[item.subscription][item.public_id]
        for order_id in {item.order for item in items}:
            self._after_items_left(self.orders[order_id])

    def _after_items_left(self, order: Order) -> None:
        """An order whose last item went away is cancelled, as Ordergroove does."""
        now = self.clock()
        order.updated = now
        if not self.items_of(order.public_id):
            order.status = CANCELLED
            order.cancelled = now


def _found(record: T | None) -> T:
    if record is None:
        raise not_found()
    return record
