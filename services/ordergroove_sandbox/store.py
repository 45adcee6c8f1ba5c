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

from services.ordergroove_sandbox.dates import Clock, add_frequency, ordergroove_now
from services.ordergroove_sandbox.errors import (
    ORDER_ALREADY_CANCELLED,
    ApiError,
    field_error,
    not_found,
    order_not_found,
    order_not_open,
    refused,
    subscription_not_found,
)
from services.ordergroove_sandbox.model import (
    CANCELLED,
    CENT,
    SEND_NOW,
    UNSENT,
    Address,
    CancelReason,
    Customer,
    Incentive,
    Item,
    OneTimeIncentive,
    Order,
    Product,
    Subscription,
    reason_code_of,
)
from services.ordergroove_sandbox.switches import (
    ReactivateStartDate,
    SendNowFollowUp,
    SharedOrderDateChange,
    Switches,
)

# Recorded cancelSubscription error_case (400).
NOT_EDITABLE = "This subscription is not in a state which it can edited"
# The reference: `cancel/` refuses prepaid subscriptions with 400 (the words are the sandbox's own).
PREPAID_NOT_CANCELLABLE = "Prepaid subscriptions cannot be cancelled."
# Recorded reactivateSubscription 400: `{"subscription": ["This subscription is already in active
# state"]}`.
ALREADY_ACTIVE = "This subscription is already in active state"
# The reference: `change_quantity/` answers 400 on a prepaid subscription (the words are ours).
PREPAID_QUANTITY_FIXED = "The quantity of a prepaid subscription cannot be changed."
# Recorded changePrepaidRenewalBehavior/rejected (400).
NOT_PREPAID = "This subscription is not prepaid"
NO_NEXT_ORDER = "This subscription has no upcoming order."
RENEWAL_BEHAVIORS = ("autorenew", "cancel", "downgrade")
# Recorded skipSubscription/400: `{"subscription": ["Invalid subscription ID for this order"]}`.
NOT_IN_ORDER = "Invalid subscription ID for this order"
# ENDPOINTS.md, changeItemQuantity and deleteOrderItem: Gladly's app explains a 400 without a
# detail as prepaid subscriptions refusing the change. UNVERIFIED: whether Ordergroove sends a
# detail, and its words (these are the sandbox's own).
PREPAID_ITEM_QUANTITY_FIXED = "The quantity of a prepaid subscription's item cannot be changed."
PREPAID_ITEM_NOT_REMOVABLE = "Prepaid items cannot be removed"
# UNVERIFIED: a one-time incentive on an order that is no longer open (the words are ours).
ORDER_NOT_DISCOUNTABLE = "One time incentives can only be added to unsent orders."
# UNVERIFIED: the words of change_product/'s refusals of a product no swap may offer (Ordergroove
# docs, Products List: only products "autoship enabled and not discontinued" are offered).
PRODUCT_DISCONTINUED = "This product is discontinued."
PRODUCT_NOT_AUTOSHIP = "This product is not available for autoship."

T = TypeVar("T")

# Generated ids are uuid5s of a counter: a fresh store hands out the same ids in the same order,
# which keeps test runs reproducible.
_ID_NAMESPACE = uuid.UUID("5f0c2a8e-3b7d-4c1a-9e62-0a0f6b0d9c11")


def stable_id(name: str) -> str:
    """A 32-hex public_id derived from a name."""
    return uuid.uuid5(_ID_NAMESPACE, name).hex


# The sandbox is one merchant's store.
MERCHANT_ID = stable_id("merchant")


def home_address_id(customer_id: str) -> str:
    """The address every subscription and order of the customer names unless told otherwise."""
    return stable_id(f"address/{customer_id}")


def does_not_exist(value: str) -> str:
    """DRF's words for a related record outside what the field may name."""
    return f'Invalid pk "{value}" - object does not exist.'


class Store:
    def __init__(self, clock: Clock = ordergroove_now, switches: Switches | None = None) -> None:
        self.clock = clock
        self.switches = switches or Switches()
        self.customers: dict[str, Customer] = {}
        self.products: dict[str, Product] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.orders: dict[str, Order] = {}
        self.items: dict[str, Item] = {}
        self.addresses: dict[str, Address] = {}
        self.incentives: dict[str, OneTimeIncentive] = {}
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

    def add_address(self, address: Address) -> Address:
        self.addresses[address.public_id] = address
        return address

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
        return _found(self.subscriptions.get(public_id), subscription_not_found())

    def order(self, public_id: str) -> Order:
        return _found(self.orders.get(public_id), order_not_found())

    def item(self, public_id: str) -> Item:
        return _found(self.items.get(public_id))

    def address(self, public_id: str) -> Address:
        return _found(self.addresses.get(public_id))

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
        order = self._open_order(order_id)
        subscription, skipped = self._skippable(order, subscription_id)
        following = self._following_order(order, subscription, [])
        self._move_items(skipped, order, following)
        return order

    def cancel_order(self, order_id: str) -> Order:
        """Cancel an unsent order (reference: `orders/{id}/cancel/`, "the next order is
        generated"). The order keeps its items, as the recorded cancelOrder/success answer
        keeps its totals; each live subscription in it gets a new order one frequency later,
        as a skip generates it."""
        order = self._open_order(order_id)
        now = self.clock()
        order.status, order.cancelled, order.updated = CANCELLED, now, now
        held = dict.fromkeys(item.subscription for item in self.items_of(order_id))
        for subscription_id in held:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is not None and subscription.live:
                self._following_order(order, subscription, [subscription])
        return order

    def change_item_quantity(self, item_id: str, quantity: int) -> Item:
        """Reference: `items/{id}/change_quantity/` `{"quantity"}`: this item only, in this
        order only; the subscription keeps its quantity."""
        item = self.item(item_id)
        order = self._open_order(item.order)
        if self._prepaid_item(item):
            raise refused(PREPAID_ITEM_QUANTITY_FIXED)
        item.quantity = quantity
        order.updated = self.clock()
        return item

    def delete_item(self, item_id: str) -> None:
        """Reference: `items/{id}/delete/`. An order left without items is cancelled. UNVERIFIED:
        no next order is generated for the item's subscription (nothing documents one; the
        subscription's later orders, if any, stay)."""
        item = self.item(item_id)
        self._open_order(item.order)
        if self._prepaid_item(item):
            raise refused(PREPAID_ITEM_NOT_REMOVABLE)
        self._remove_items([item])

    def issue_incentive(
        self,
        customer_id: str,
        target: tuple[str | None, str | None],
        incentive: Incentive,
        description: str | None,
        external_code: str | None,
    ) -> OneTimeIncentive:
        """Reference: `POST one_time_incentives/create/`, on one `item` or one `order` (the
        pair, exactly one set). ENDPOINTS.md, issueOneTimeDiscount: 404 for an unknown
        customer, item or order; one of another customer is as unknown (UNVERIFIED)."""
        customer = self.customer(customer_id)
        item_id, order_id = target
        placed_in = self.item(item_id).order if item_id is not None else order_id
        order = self.orders.get(placed_in or "")
        if order is None or order.customer != customer.merchant_user_id:
            raise not_found()
        if order.status == CANCELLED:
            raise refused(ORDER_ALREADY_CANCELLED)
        if order.status != UNSENT:
            raise refused(ORDER_NOT_DISCOUNTABLE)
        now = self.clock()
        record = OneTimeIncentive(
            self.new_id(),
            MERCHANT_ID,
            customer.merchant_user_id,
            item_id,
            None if item_id is not None else order.public_id,
            incentive,
            created=now,
            description=description,
            external_code=external_code,
        )
        self.incentives[record.public_id] = record
        return record

    def reactivate(
        self,
        subscription_id: str,
        every: int,
        every_period: int,
        start: datetime,
        next_order: datetime | None,
    ) -> Subscription:
        """Make a cancelled or inactive subscription live again at the given frequency, with a
        new unsent order (reference: `reactivate/`, required `every`, `every_period`,
        `start_date`; optional `next_order_date`, not in the past). Without `next_order_date`
        the first order is one frequency after `start_date` (issue 21, item 2); with it, the
        first order is on that date — or on a later `start_date`, which is a switch."""
        subscription = self.reactivatable(subscription_id)
        if next_order is None:
            first = add_frequency(start, every, every_period)
        elif self.switches.reactivate_start_date is ReactivateStartDate.DELAYS:
            first = max(start, next_order)
        else:
            first = next_order
        subscription.live = True
        subscription.cancelled = None
        subscription.cancel_reason = None
        subscription.cancel_reason_code = None
        subscription.every, subscription.every_period = every, every_period
        subscription.updated = self.clock()
        self.add_order(subscription.customer, first, UNSENT, [subscription])
        return subscription

    def reactivatable(self, subscription_id: str) -> Subscription:
        """The subscription, unless it is live (recorded reactivateSubscription/400)."""
        subscription = self.subscription(subscription_id)
        if subscription.live:
            raise field_error("subscription", ALREADY_ACTIVE)
        return subscription

    def change_next_order_date(self, subscription_id: str, place: datetime) -> Subscription:
        """Move the subscription's next unsent order (reference: `change_next_order_date/`
        `{"order_date"}` in the future). An order of this subscription alone keeps its id; a
        shared one is split or moved whole, by a switch (Ordergroove does not say)."""
        subscription = self._live(subscription_id)
        upcoming = self.next_unsent_order(subscription_id)
        if upcoming is None:
            raise refused(NO_NEXT_ORDER)
        held = self.items_of(upcoming.public_id)
        mine = [i for i in held if i.subscription == subscription_id]
        now = self.clock()
        whole = self.switches.shared_order_date_change is SharedOrderDateChange.MOVE_ORDER
        if whole or len(mine) == len(held):
            upcoming.place, upcoming.updated = place, now
        else:
            moved = self.add_order(upcoming.customer, place, UNSENT, [])
            self._move_items(mine, upcoming, moved)
        subscription.updated = now
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
        """`orders/{id}/send_now/` answers the order with status 6 (SEND_NOW) and `place` and
        `updated` now (recorded sendOrderNow/live_response). Whether the subscriptions in it
        get their next order at once is not documented: a switch."""
        order = self._open_order(order_id)
        now = self.clock()
        order.status, order.place, order.updated = SEND_NOW, now, now
        if self.switches.send_now_follow_up is SendNowFollowUp.NEXT_ORDER:
            for item in self.items_of(order_id):
                subscription = self.subscriptions[item.subscription]
                place = add_frequency(now, subscription.every, subscription.every_period)
                self.add_order(order.customer, place, UNSENT, [subscription])
        return order

    def change_product(self, subscription_id: str, product_id: str) -> Subscription:
        """Reference: `change_product/` `{"product": "<external_product_id>"}`, live only;
        "prepaid: same price", others take the product's price. The subscription's items in
        its unsent orders follow."""
        subscription = self._live(subscription_id)
        product = self.products.get(product_id)
        if product is None:
            raise field_error("product", does_not_exist(product_id))
        if product.discontinued:
            raise field_error("product", PRODUCT_DISCONTINUED)
        if not (product.live and product.autoship_enabled):
            raise field_error("product", PRODUCT_NOT_AUTOSHIP)
        now = self.clock()
        subscription.product = product.external_product_id
        if subscription.prepaid is None:
            subscription.price = product.price
        subscription.updated = now
        for item in self._items_of_subscription(subscription_id):
            order = self.orders[item.order]
            if order.status == UNSENT:
                item.product, item.price = subscription.product, subscription.price
                order.updated = now
        return subscription

    def change_shipping(self, subscription_id: str, address_id: str) -> Subscription:
        """Reference: `change_shipping/` `{"shipping_address": "<address record id>"}`. Only a
        live address of the subscription's own customer may be named; UNVERIFIED: any other is
        refused as DRF refuses a record outside the field's choices. The orders keep theirs
        (Ordergroove has a separate endpoint for an order's address)."""
        subscription = self._live(subscription_id)
        address = self.addresses.get(address_id)
        if address is None or not address.live or address.customer != subscription.customer:
            raise field_error("shipping_address", does_not_exist(address_id))
        subscription.shipping_address = address.public_id
        subscription.updated = self.clock()
        return subscription

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

    def _open_order(self, order_id: str) -> Order:
        """An order that order actions may change: unsent. A cancelled one is refused in words
        (recorded `{"detail": "Order is already cancelled"}`); one being or already placed
        gets Ordergroove's 500 with an empty body (ENDPOINTS.md, "Shared error handling")."""
        order = self.order(order_id)
        if order.status == CANCELLED:
            raise refused(ORDER_ALREADY_CANCELLED)
        if order.status != UNSENT:
            raise order_not_open()
        return order

    def _following_order(
        self, order: Order, subscription: Subscription, holding: Sequence[Subscription]
    ) -> Order:
        """The order that follows `order` for `subscription`: one frequency later (reference:
        skip, "the new date = skipped order's date + frequency")."""
        place = add_frequency(order.place, subscription.every, subscription.every_period)
        return self.add_order(order.customer, place, UNSENT, holding)

    def _prepaid_item(self, item: Item) -> bool:
        subscription = self.subscriptions.get(item.subscription)
        return subscription is not None and subscription.prepaid is not None

    def _skippable(self, order: Order, subscription_id: str) -> tuple[Subscription, list[Item]]:
        """The subscription and its items in the order, or Ordergroove's refusal."""
        subscription = self.subscriptions.get(subscription_id)
        items = [i for i in self.items_of(order.public_id) if i.subscription == subscription_id]
        if subscription is None or not items:
            raise field_error("subscription", NOT_IN_ORDER)
        if not subscription.live:
            raise refused(NOT_EDITABLE)
        return subscription, items

    def _move_items(self, items: Sequence[Item], source: Order, target: Order) -> None:
        for item in items:
            del self._order_items[source.public_id][item.public_id]
            self._order_items[target.public_id][item.public_id] = item
            item.order = target.public_id
        self._after_items_left(source)

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


def _found(record: T | None, error: ApiError | None = None) -> T:
    if record is None:
        raise error or not_found()
    return record
