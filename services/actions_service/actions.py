"""The use cases: read a customer's card, cancel a subscription, skip its next order.

Transport-free: the gRPC servicer translates requests into these calls and results back. Each
use case validates, reads what it needs from Ordergroove concurrently, applies the rules of
`domain`, makes at most one Ordergroove write, and hands the timeline summary to the logbook.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.actions_service import domain
from services.actions_service.concurrency import gather, task_group
from services.actions_service.domain import (
    Action,
    CancelReason,
    Customer,
    Order,
    Product,
    Status,
    Subscription,
    SubscriptionCard,
    TimelineEntry,
)
from services.actions_service.errors import ActionError, InvalidArgument, Reason
from services.actions_service.gladly import GladlyClient
from services.actions_service.ordergroove import OrdergrooveClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionContext:
    agent_id: str = ""
    gladly_customer_id: str = ""
    conversation_id: str = ""


@dataclass(frozen=True)
class CancelCommand:
    subscription_id: str
    customer_id: str
    reason_code: str
    reason_details: str = ""
    request_id: str = ""
    context: ActionContext = field(default_factory=ActionContext)


@dataclass(frozen=True)
class SkipCommand:
    subscription_id: str
    customer_id: str
    order_id: str = ""
    request_id: str = ""
    context: ActionContext = field(default_factory=ActionContext)


@dataclass(frozen=True)
class CustomerCards:
    customer: Customer | None
    cards: tuple[SubscriptionCard, ...] = ()
    total_count: int = 0
    active_count: int = 0

    @property
    def linked(self) -> bool:
        return self.customer is not None


@dataclass(frozen=True)
class CancelOutcome:
    card: SubscriptionCard
    summary: str


@dataclass(frozen=True)
class SkipOutcome:
    card: SubscriptionCard
    skipped: Order
    new_next_order: Order | None
    summary: str


class Actions:
    def __init__(
        self,
        ordergroove: OrdergrooveClient,
        gladly: GladlyClient | None,
        enabled: Collection[str],
    ) -> None:
        self._ordergroove = ordergroove
        self._gladly = gladly
        self._enabled = frozenset(enabled)
        self._background: set[asyncio.Task[None]] = set()

    # --- reads ---------------------------------------------------------------------------------

    async def get_subscriptions(
        self,
        *,
        customer_id: str | None = None,
        gladly_customer_id: str | None = None,
        email: str = "",
        full: bool = True,
    ) -> CustomerCards:
        """By Ordergroove customer id, by the Gladly customer linked to one, or by e-mail."""
        if gladly_customer_id is not None:
            domain.require_id("gladly_customer_id", gladly_customer_id)
            if self._gladly is None:
                raise InvalidArgument("gladly_customer_id", "needs Gladly API credentials")
            customer_id = await self._gladly.linked_customer_id(gladly_customer_id)
            if not customer_id:
                return CustomerCards(customer=None)
        if customer_id is not None:
            domain.require_id("customer_id", customer_id)
            async with task_group() as group:
                customer_task = group.create_task(self._ordergroove.get_customer(customer_id))
                subscriptions_task = group.create_task(
                    self._ordergroove.list_subscriptions(customer_id)
                )
            customer, subscriptions = customer_task.result(), subscriptions_task.result()
        else:
            customer = await self._ordergroove.find_customer_by_email(domain.check_email(email))
            subscriptions = (
                await self._ordergroove.list_subscriptions(customer.customer_id) if customer else []
            )
        if customer is None:
            return CustomerCards(customer=None)
        cards = await self._cards(subscriptions) if full else []
        return CustomerCards(
            customer=customer,
            cards=tuple(cards),
            total_count=len(subscriptions),
            active_count=sum(s.status is Status.ACTIVE for s in subscriptions),
        )

    async def list_cancel_reasons(self) -> list[CancelReason]:
        return await self._ordergroove.list_cancel_reasons()

    async def _cards(self, subscriptions: list[Subscription]) -> list[SubscriptionCard]:
        """All next orders and all distinct products at once: one more round trip in total."""
        product_ids = sorted({s.product_id for s in subscriptions if s.product_id})
        async with task_group() as group:
            products_task = group.create_task(
                gather(self._ordergroove.get_product(pid) for pid in product_ids)
            )
            next_orders_task = group.create_task(gather(self._next_order(s) for s in subscriptions))
        products = dict(zip(product_ids, products_task.result(), strict=True))
        return [
            self._card(s, products.get(s.product_id), upcoming)
            for s, upcoming in zip(subscriptions, next_orders_task.result(), strict=True)
        ]

    async def _next_order(self, subscription: Subscription) -> Order | None:
        if subscription.status is not Status.ACTIVE:
            return None  # only live subscriptions have orders to come
        return domain.next_order(
            await self._ordergroove.list_unsent_orders(subscription.subscription_id)
        )

    def _card(
        self, subscription: Subscription, product: Product | None, upcoming: Order | None
    ) -> SubscriptionCard:
        return SubscriptionCard(
            subscription=subscription,
            product=product or Product(subscription.product_id),
            next_order=upcoming,
            available_actions=domain.available_actions(subscription, upcoming, self._enabled),
        )

    # --- cancel --------------------------------------------------------------------------------

    async def cancel(self, command: CancelCommand) -> CancelOutcome:
        self._validate_common(
            command.subscription_id, command.customer_id, command.request_id, command.context
        )
        domain.check_cancel_reason(command.reason_code, command.reason_details)
        domain.check_enabled(Action.CANCEL, self._enabled)
        subscription, _ = await self._checked_subscription(
            Action.CANCEL, command.subscription_id, command.customer_id, command.context
        )
        async with task_group() as group:
            cancel_task = group.create_task(
                self._ordergroove.cancel_subscription(
                    subscription.subscription_id,
                    domain.cancel_reason_value(command.reason_code, command.reason_details),
                )
            )
            product_task = group.create_task(self._ordergroove.get_product(subscription.product_id))
            reasons_task = group.create_task(self._reasons_or_empty())
        cancelled, product, reasons = (
            cancel_task.result(),
            product_task.result(),
            reasons_task.result(),
        )
        card = self._card(cancelled, product, None)
        reason = next(
            (r for r in reasons if r.code == command.reason_code),
            CancelReason(command.reason_code, ""),
        )
        now = datetime.now(UTC)
        title, body = domain.cancel_summary(
            card, reason, command.reason_details, command.context.agent_id, now
        )
        item_id = domain.timeline_item_id(
            Action.CANCEL, command.request_id or subscription.subscription_id
        )
        self._log_to_timeline(command.context, TimelineEntry(item_id, title, body, now))
        return CancelOutcome(card=card, summary=body)

    async def _reasons_or_empty(self) -> list[CancelReason]:
        # Only the summary's wording needs the reason texts: never fail a cancel for them.
        try:
            return await self._ordergroove.list_cancel_reasons()
        except ActionError:
            return []

    # --- skip ----------------------------------------------------------------------------------

    async def skip(self, command: SkipCommand) -> SkipOutcome:
        self._validate_common(
            command.subscription_id, command.customer_id, command.request_id, command.context
        )
        domain.check_optional_id("order_id", command.order_id)
        domain.check_enabled(Action.SKIP, self._enabled)
        subscription, orders = await self._checked_subscription(
            Action.SKIP, command.subscription_id, command.customer_id, command.context
        )
        target = domain.order_to_skip(orders, command.order_id)
        async with task_group() as group:
            group.create_task(
                self._ordergroove.skip_subscription(target.order_id, subscription.subscription_id)
            )
            product_task = group.create_task(self._ordergroove.get_product(subscription.product_id))
        # Re-read rather than compute: the new date is whatever Ordergroove generated.
        async with task_group() as group:
            refreshed_task = group.create_task(
                self._ordergroove.get_subscription(subscription.subscription_id)
            )
            orders_task = group.create_task(
                self._ordergroove.list_unsent_orders(subscription.subscription_id)
            )
        product, refreshed, remaining_orders = (
            product_task.result(),
            refreshed_task.result(),
            orders_task.result(),
        )
        new_next = domain.next_order(remaining_orders)
        card = self._card(refreshed or subscription, product, new_next)
        title, body = domain.skip_summary(card, target, new_next, command.context.agent_id)
        item_id = domain.timeline_item_id(
            Action.SKIP, command.request_id or f"{subscription.subscription_id}:{target.order_id}"
        )
        now = datetime.now(UTC)
        self._log_to_timeline(command.context, TimelineEntry(item_id, title, body, now))
        return SkipOutcome(card=card, skipped=target, new_next_order=new_next, summary=body)

    # --- shared checks -------------------------------------------------------------------------

    async def _checked_subscription(
        self, action: Action, subscription_id: str, customer_id: str, context: ActionContext
    ) -> tuple[Subscription, list[Order]]:
        """Read the customer, the subscription (and for a skip its unsent orders) and the
        conversation status concurrently, then refuse what the rules refuse."""
        customer_id = customer_id or await self._linked_customer_id(context)
        async with task_group() as group:
            customer_task = group.create_task(self._ordergroove.get_customer(customer_id))
            subscription_task = group.create_task(
                self._ordergroove.get_subscription(subscription_id)
            )
            conversation_task = group.create_task(self._conversation_open(context))
            orders_task = group.create_task(self._unsent_orders_for(action, subscription_id))
        if customer_task.result() is None:
            raise ActionError(
                Reason.CUSTOMER_NOT_LINKED,
                f"No Ordergroove customer {customer_id}.",
                customer_id=customer_id,
            )
        subscription = subscription_task.result()
        if subscription is None:
            raise domain.subscription_not_found(subscription_id)
        domain.check_action_allowed(action, subscription, customer_id, self._enabled)
        if not conversation_task.result():
            raise ActionError(
                Reason.CONVERSATION_NOT_OPEN,
                "Actions need an open conversation with this customer in Gladly.",
            )
        return subscription, orders_task.result()

    async def _unsent_orders_for(self, action: Action, subscription_id: str) -> list[Order]:
        if action is not Action.SKIP:
            return []  # only a skip needs to know the orders
        return await self._ordergroove.list_unsent_orders(subscription_id)

    async def _linked_customer_id(self, context: ActionContext) -> str:
        """The Ordergroove customer that Gladly links the context's customer to."""
        assert self._gladly is not None  # _validate_common refused the request otherwise
        linked = await self._gladly.linked_customer_id(context.gladly_customer_id)
        if not linked:
            raise ActionError(
                Reason.CUSTOMER_NOT_LINKED,
                "This Gladly customer is not linked to an Ordergroove customer.",
                gladly_customer_id=context.gladly_customer_id,
            )
        return linked

    async def _conversation_open(self, context: ActionContext) -> bool:
        if self._gladly is None or not context.gladly_customer_id:
            return True  # nothing to check against: internal callers act without a conversation
        return await self._gladly.has_open_conversation(context.gladly_customer_id)

    # --- timeline ------------------------------------------------------------------------------

    def _log_to_timeline(self, context: ActionContext, entry: TimelineEntry) -> None:
        """Post the summary in the background, outside the action's deadline: the action is done,
        and a failure to log must neither undo it nor fail the answer."""
        if self._gladly is None or not context.gladly_customer_id:
            return
        task = asyncio.create_task(
            self._post_entry(self._gladly, context.gladly_customer_id, entry),
            context=contextvars.Context(),
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @staticmethod
    async def _post_entry(gladly: GladlyClient, customer_id: str, entry: TimelineEntry) -> None:
        try:
            await gladly.post_timeline_entry(customer_id, entry)
        except Exception:
            log.exception("timeline entry %s was not delivered", entry.item_id)

    def _validate_common(
        self, subscription_id: str, customer_id: str, request_id: str, context: ActionContext
    ) -> None:
        domain.require_id("subscription_id", subscription_id)
        domain.check_optional_id("customer_id", customer_id)
        domain.check_request_id(request_id)
        domain.check_optional_id("context.agent_id", context.agent_id)
        domain.check_optional_id("context.gladly_customer_id", context.gladly_customer_id)
        domain.check_optional_id("context.conversation_id", context.conversation_id)
        if not customer_id and not (self._gladly and context.gladly_customer_id):
            raise InvalidArgument(
                "customer_id", "is required unless the context names a linked Gladly customer"
            )

    async def drain(self) -> None:
        """Wait for timeline posts still in flight (graceful shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
