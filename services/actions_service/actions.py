"""The use cases: read a customer's card, cancel a subscription, skip its next order.

Transport-free: the gRPC servicer translates requests into these calls and results back. Each
use case validates, reads what it needs from Ordergroove concurrently, applies the rules of
`domain`, and makes at most one Ordergroove write — inside its action record (`ledger`), which
stores the outcome with the timeline summary that the deliverer then posts to Gladly.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from services.actions_service import catalogue, domain
from services.actions_service.catalogue.base import Definition, Limits, State
from services.actions_service.concurrency import task_group
from services.actions_service.domain import (
    Action,
    CancelReason,
    Customer,
    Order,
    Product,
    Settled,
    Status,
    Subscription,
    SubscriptionCard,
    TimelineEntry,
)
from services.actions_service.errors import ActionError, InvalidArgument, Reason
from services.actions_service.gladly import GladlyClient
from services.actions_service.idempotency import ActionRecord, RecoveryPoint, is_final_refusal
from services.actions_service.ledger import ActionRequest, Attempt, Ledger
from services.actions_service.ordergroove import OrdergrooveClient, Written
from services.actions_service.outcomes import (
    CancelCodec,
    CancelOutcome,
    ChangeCodec,
    ChangeOutcome,
    Finished,
    SkipCodec,
    SkipOutcome,
    not_applied_note,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


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
class ChangeCommand:
    """A catalogue action: its own fields and the state its caller was shown (`expected_*`)."""

    action: Action
    subscription_id: str
    customer_id: str
    fields: Mapping[str, str]
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


class Actions:
    def __init__(
        self,
        ordergroove: OrdergrooveClient,
        gladly: GladlyClient | None,
        enabled: Collection[str],
        ledger: Ledger,
        *,
        reason_names: Mapping[str, str] | None = None,
        reason_required: bool = False,
        max_quantity: int = 12,
    ) -> None:
        self._ordergroove = ordergroove
        self._gladly = gladly
        self._enabled = frozenset(enabled)
        self._ledger = ledger
        # The merchant's words for its integer reason codes (CANCEL_REASON_NAMES).
        self._reason_names: Mapping[str, str] = dict(reason_names or {})
        self.reason_required = reason_required
        self.max_quantity = max_quantity

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
                listing_task = group.create_task(self._listing(customer_id, full))
            customer, (subscriptions, cards) = customer_task.result(), listing_task.result()
        else:
            customer = await self._ordergroove.find_customer_by_email(domain.check_email(email))
            subscriptions, cards = (
                await self._listing(customer.customer_id, full) if customer else ([], [])
            )
        if customer is None:
            return CustomerCards(customer=None)
        return CustomerCards(
            customer=customer,
            cards=tuple(cards),
            total_count=len(subscriptions),
            active_count=sum(s.status is Status.ACTIVE for s in subscriptions),
        )

    async def list_cancel_reasons(self) -> list[CancelReason]:
        """Exactly the merchant's codes, each with the merchant's words for it."""
        codes = await self._ordergroove.list_cancel_reason_codes()
        return domain.named_reasons(codes, self._reason_names)

    async def _listing(
        self, customer_id: str, full: bool
    ) -> tuple[list[Subscription], list[SubscriptionCard]]:
        """The customer's subscriptions and, when `full`, their cards. Products and next orders
        are asked for per product and per order, not per subscription: orders ship several
        subscriptions at once, so a large card needs far fewer requests."""
        if not full:
            return await self._ordergroove.list_subscriptions(customer_id), []
        async with task_group() as group:
            listed_task = group.create_task(self._subscriptions_and_products(customer_id))
            next_orders_task = group.create_task(self._next_orders(customer_id))
        subscriptions, products = listed_task.result()
        next_orders = next_orders_task.result()
        cards = [
            self._card(s, products.get(s.product_id), next_orders.get(s.subscription_id))
            for s in subscriptions
        ]
        return subscriptions, cards

    async def _subscriptions_and_products(
        self, customer_id: str
    ) -> tuple[list[Subscription], dict[str, Product]]:
        subscriptions = await self._ordergroove.list_subscriptions(customer_id)
        product_ids = sorted({s.product_id for s in subscriptions if s.product_id})
        return subscriptions, await self._ordergroove.get_products(product_ids, customer_id)

    async def _next_orders(self, customer_id: str) -> dict[str, Order]:
        held: list[tuple[Order, asyncio.Task[set[str]]]] = []
        async with task_group() as group:

            def read_items(orders: list[Order]) -> None:
                # As each page of orders arrives, not after the last one: a round trip fewer
                # for customers with more orders to come than one page holds.
                held.extend(
                    (
                        order,
                        group.create_task(
                            self._ordergroove.subscriptions_in_order(order.order_id, customer_id)
                        ),
                    )
                    for order in orders
                )

            await self._ordergroove.read_customer_unsent_orders(customer_id, on_page=read_items)
        return domain.next_orders((order, task.result()) for order, task in held)

    def _card(
        self, subscription: Subscription, product: Product | None, upcoming: Order | None
    ) -> SubscriptionCard:
        if subscription.status is not Status.ACTIVE:
            upcoming = None  # only live subscriptions have orders to come
        return SubscriptionCard(
            subscription=subscription,
            product=product or Product(subscription.product_id),
            next_order=upcoming,
            available_actions=catalogue.offered(subscription, upcoming, self._enabled),
            cancel_reason_text=self.reason_words(subscription.cancel_reason_code),
        )

    # --- cancel --------------------------------------------------------------------------------

    async def cancel(self, command: CancelCommand) -> CancelOutcome:
        self._validate_common(
            command.subscription_id, command.customer_id, command.request_id, command.context
        )
        domain.check_cancel_reason_form(
            command.reason_code, command.reason_details, self.reason_required
        )
        # (A switched-off action is refused, and audited, in `_cancel` without any read.)
        if command.reason_code and Action.CANCEL.value in self._enabled:
            codes = await self._ordergroove.list_cancel_reason_codes()
            domain.check_reason_known(command.reason_code, codes)
        request = self._request(
            Action.CANCEL,
            command.request_id,
            command.subscription_id,
            command.customer_id,
            command.context,
            reason_code=command.reason_code,
            reason_details=command.reason_details,
        )
        return await self._ledger.run(request, partial(self._cancel, command), CancelCodec())

    async def _cancel(self, command: CancelCommand, attempt: Attempt) -> Finished[CancelOutcome]:
        domain.check_enabled(Action.CANCEL, self._enabled)
        if attempt.recovery is None:
            subscription, _ = await self._checked_subscription(
                Action.CANCEL, command.subscription_id, command.customer_id, command.context
            )
            point = RecoveryPoint(subscription.subscription_id, subscription.customer_id)
        else:
            point = attempt.recovery
            current, settled = await self._cancel_settled(point)
            if settled is Settled.IMPOSSIBLE:
                raise domain.not_active(current)
            if settled is Settled.APPLIED:
                return await self._cancel_result(command, current, None)
            subscription = current
        await attempt.before_write(point)
        write = self._ordergroove.cancel_subscription(
            point.subscription_id,
            domain.cancel_reason_value(command.reason_code, command.reason_details),
        )
        return await self._cancel_result(command, subscription, write)

    async def _cancel_settled(self, point: RecoveryPoint) -> tuple[Subscription, Settled]:
        """Whether the recorded subscription is cancelled."""
        current = await self._ordergroove.get_subscription(point.subscription_id)
        if current is None:
            raise domain.subscription_not_found(point.subscription_id)
        return current, domain.cancel_settled(current)

    async def _cancel_result(
        self,
        command: CancelCommand,
        subscription: Subscription,
        write: Coroutine[Any, Any, Written[Subscription]] | None,
    ) -> Finished[CancelOutcome]:
        """Send the write while reading what the summary needs, then describe the cancelled
        subscription. Without a write, reconciliation found `subscription` already cancelled."""
        async with task_group() as group:
            write_task = group.create_task(write) if write is not None else None
            product_task = group.create_task(
                self._ordergroove.get_product(subscription.product_id, subscription.customer_id)
            )
        written = write_task.result() if write_task is not None else None
        cancelled = written.value if written is not None else subscription
        card = self._card(cancelled, product_task.result(), None)
        now = datetime.now(UTC)
        title, body = domain.cancel_summary(
            card,
            self._reason(command.reason_code),
            command.reason_details,
            command.context.agent_id,
            now,
        )
        item_id = domain.timeline_item_id(
            Action.CANCEL, command.request_id or cancelled.subscription_id
        )
        return Finished(
            CancelOutcome(card=card, summary=body),
            timeline=self._timeline(command.context, TimelineEntry(item_id, title, body, now)),
            ordergroove_status=written.status if written is not None else None,
        )

    def _reason(self, code: str) -> CancelReason:
        return CancelReason(code, self.reason_words(code))

    def reason_words(self, code: str) -> str:
        """The merchant's words for a reason code; no code, no words."""
        return domain.reason_words(code, self._reason_names) if code else ""

    # --- skip ----------------------------------------------------------------------------------

    async def skip(self, command: SkipCommand) -> SkipOutcome:
        self._validate_common(
            command.subscription_id, command.customer_id, command.request_id, command.context
        )
        domain.check_optional_id("order_id", command.order_id)
        request = self._request(
            Action.SKIP,
            command.request_id,
            command.subscription_id,
            command.customer_id,
            command.context,
            order_id=command.order_id,
        )
        return await self._ledger.run(request, partial(self._skip, command), SkipCodec())

    async def _skip(self, command: SkipCommand, attempt: Attempt) -> Finished[SkipOutcome]:
        domain.check_enabled(Action.SKIP, self._enabled)
        if attempt.recovery is None:
            subscription, orders = await self._checked_subscription(
                Action.SKIP, command.subscription_id, command.customer_id, command.context
            )
            target = domain.order_to_skip(orders, command.order_id)
            point = RecoveryPoint(
                subscription.subscription_id,
                subscription.customer_id,
                target.order_id,
                target.place_at,
            )
        else:
            point = attempt.recovery
            subscription, settled = await self._skip_settled(point)
            if settled is Settled.APPLIED:
                return await self._skip_result(command, subscription, point, None)
            if settled is Settled.IMPOSSIBLE:
                raise domain.skip_no_longer_possible(subscription, point.order_id)
        await attempt.before_write(point)
        written = await self._ordergroove.skip_subscription(
            point.order_id, subscription.subscription_id
        )
        return await self._skip_result(command, subscription, point, written.status)

    async def _skip_settled(self, point: RecoveryPoint) -> tuple[Subscription, Settled]:
        """Whether the recorded order still holds the subscription's items."""
        async with task_group() as group:
            subscription_task = group.create_task(
                self._ordergroove.get_subscription(point.subscription_id)
            )
            order_task = group.create_task(self._ordergroove.get_order(point.order_id))
            held_task = group.create_task(
                self._ordergroove.subscriptions_in_order(point.order_id, point.customer_id)
            )
        subscription = subscription_task.result()
        if subscription is None:
            raise domain.subscription_not_found(point.subscription_id)
        still_held = point.subscription_id in held_task.result()
        settled = domain.skip_settled(subscription, order_task.result(), still_held)
        return subscription, settled

    async def _skip_result(
        self,
        command: SkipCommand,
        subscription: Subscription,
        point: RecoveryPoint,
        status: int | None,
    ) -> Finished[SkipOutcome]:
        """Re-read rather than compute: the new date is whatever Ordergroove generated. Without
        a write (status None) reconciliation has just read `subscription`: no need to again."""
        async with task_group() as group:
            product_task = group.create_task(
                self._ordergroove.get_product(subscription.product_id, subscription.customer_id)
            )
            refreshed_task = (
                group.create_task(self._ordergroove.get_subscription(subscription.subscription_id))
                if status is not None
                else None
            )
            orders_task = group.create_task(
                self._ordergroove.list_unsent_orders(
                    subscription.subscription_id, subscription.customer_id
                )
            )
        refreshed = refreshed_task.result() if refreshed_task is not None else None
        new_next = domain.next_order(orders_task.result())
        card = self._card(refreshed or subscription, product_task.result(), new_next)
        skipped = Order(point.order_id, domain.ORDER_STATUS_UNSENT, point.order_place_at)
        title, body = domain.skip_summary(card, skipped, new_next, command.context.agent_id)
        item_id = domain.timeline_item_id(
            Action.SKIP,
            command.request_id or f"{subscription.subscription_id}:{point.order_id}",
        )
        entry = TimelineEntry(item_id, title, body, datetime.now(UTC))
        return Finished(
            SkipOutcome(card=card, skipped=skipped, new_next_order=new_next, summary=body),
            timeline=self._timeline(command.context, entry),
            ordergroove_status=status,
        )

    # --- the catalogue's actions: one use case for every declaration -------------------------

    async def change(self, command: ChangeCommand) -> ChangeOutcome:
        definition = catalogue.CHANGES[command.action]
        self._validate_common(
            command.subscription_id, command.customer_id, command.request_id, command.context
        )
        definition.validate(command.fields, self.limits())
        request = self._request(
            command.action,
            command.request_id,
            command.subscription_id,
            command.customer_id,
            command.context,
            **command.fields,
        )
        work = partial(self._change, definition, command, request.request_id)
        return await self._ledger.run(request, work, ChangeCodec())

    async def _change(
        self, definition: Definition, command: ChangeCommand, request_id: str, attempt: Attempt
    ) -> Finished[ChangeOutcome]:
        """Read and refuse, record the target, write once, re-read: the answer is what
        Ordergroove now holds. A resumed attempt first settles by the declaration's proof."""
        domain.check_enabled(definition.action, self._enabled)
        limits = self.limits()
        if attempt.recovery is None:
            state = await self._checked_state(definition, command, limits)
            upcoming = state.next_order
            point = RecoveryPoint(
                state.subscription.subscription_id,
                state.subscription.customer_id,
                upcoming.order_id if upcoming else "",
                upcoming.place_at if upcoming else None,
            )
        else:
            point = attempt.recovery
            state = await self._read_state(point)
            settled = definition.proof(point, state, command.fields)
            if settled is Settled.APPLIED:
                return await self._change_result(
                    definition, command, request_id, point, state, None
                )
            if settled is Settled.IMPOSSIBLE:
                raise _no_longer_possible(definition, point)
        await attempt.before_write(point)
        status = await definition.write(self._ordergroove, point, command.fields, limits)
        after = await self._read_state(point)
        if definition.proof(point, after, command.fields) is not Settled.APPLIED:
            raise _not_as_asked(definition, point, after, command.fields)
        return await self._change_result(definition, command, request_id, point, after, status)

    def limits(self) -> Limits:
        today = datetime.now(self._ordergroove.timezone).date()
        return Limits(today=today, max_quantity=self.max_quantity)

    async def _checked_state(
        self, definition: Definition, command: ChangeCommand, limits: Limits
    ) -> State:
        """The customer, the subscription, its unsent orders and the conversation, read
        concurrently; then what the rules and the shown state refuse."""
        customer_id = command.customer_id or await self._linked_customer_id(command.context)
        subscription_id = command.subscription_id
        async with task_group() as group:
            customer_task = group.create_task(self._ordergroove.get_customer(customer_id))
            subscription_task = group.create_task(
                self._ordergroove.get_subscription(subscription_id)
            )
            conversation_task = group.create_task(self._conversation_open(command.context))
            orders_task = group.create_task(
                self._ordergroove.list_unsent_orders(subscription_id, customer_id)
            )
        if customer_task.result() is None:
            raise ActionError(
                Reason.CUSTOMER_NOT_LINKED,
                f"No Ordergroove customer {customer_id}.",
                customer_id=customer_id,
            )
        subscription = subscription_task.result()
        if subscription is None or subscription.customer_id != customer_id:
            # Same answer for another customer's: do not reveal other customers' subscriptions.
            raise domain.subscription_not_found(subscription_id)
        state = State(subscription, domain.next_order(orders_task.result()), None, _now())
        definition.refuse(state, command.fields, limits)
        if not conversation_task.result():
            raise ActionError(
                Reason.CONVERSATION_NOT_OPEN,
                "Actions need an open conversation with this customer in Gladly.",
            )
        return state

    async def _read_state(self, point: RecoveryPoint) -> State:
        """The subscription, its next order and the recorded order, as Ordergroove holds them."""
        async with task_group() as group:
            subscription_task = group.create_task(
                self._ordergroove.get_subscription(point.subscription_id)
            )
            orders_task = group.create_task(
                self._ordergroove.list_unsent_orders(point.subscription_id, point.customer_id)
            )
            order_task = (
                group.create_task(self._ordergroove.get_order(point.order_id))
                if point.order_id
                else None
            )
        subscription = subscription_task.result()
        if subscription is None:
            raise domain.subscription_not_found(point.subscription_id)
        order = order_task.result() if order_task is not None else None
        return State(subscription, domain.next_order(orders_task.result()), order, _now())

    async def _change_result(
        self,
        definition: Definition,
        command: ChangeCommand,
        request_id: str,
        point: RecoveryPoint,
        state: State,
        status: int | None,
    ) -> Finished[ChangeOutcome]:
        """The card as Ordergroove now holds it, and the timeline's before → after."""
        sub = state.subscription
        product = await self._ordergroove.get_product(sub.product_id, sub.customer_id)
        card = self._card(sub, product, state.next_order)
        label = product.name or product.sku or product.product_id or "subscription"
        context = command.context
        by = f" by agent {context.agent_id}" if context.agent_id else ""
        where = f" in conversation {context.conversation_id}" if context.conversation_id else ""
        now = datetime.now(UTC)
        body = (
            f"{definition.change(point, state, command.fields)}. Subscription "
            f"{sub.subscription_id} ({label}){by}{where}, {now:%Y-%m-%d %H:%M} UTC."
        )
        title = f"{definition.done}: {label}"[:100]
        item_id = domain.timeline_item_id(definition.action, request_id)
        return Finished(
            ChangeOutcome(card=card, summary=body),
            timeline=self._timeline(context, TimelineEntry(item_id, title, body, now)),
            ordergroove_status=status,
        )

    # --- settling records that no retry took over ---------------------------------------------

    async def settle(self, record: ActionRecord, idle_since: datetime) -> bool:
        """Settle an abandoned record by the retry path's reconciliation, never writing: done
        (reconciled) when Ordergroove shows the write applied, else closed as not applied with a
        timeline note. False when a retry or another settler took the record first."""
        payload = dict(record.request)
        context = ActionContext(
            payload.pop("agent_id", ""),
            payload.pop("gladly_customer_id", ""),
            payload.pop("conversation_id", ""),
        )
        action = Action(record.action)
        subscription_id, customer_id = payload["subscription_id"], payload["customer_id"]
        details = {k: v for k, v in payload.items() if k not in ("subscription_id", "customer_id")}
        request = self._request(
            action,
            record.request_id,
            subscription_id,
            customer_id,
            replace(context, agent_id=""),  # the audit log names the settler, not the agent
            **details,
        )
        note = partial(self._not_applied_note, request, record.recovery, context)
        if action in catalogue.CHANGES:
            definition = catalogue.CHANGES[action]
            change = ChangeCommand(
                action,
                subscription_id,
                customer_id,
                details,
                request_id=record.request_id,
                context=context,
            )
            proven = partial(self._change_proven, definition, change, record.request_id)
            note = partial(
                self._not_applied_note, request, record.recovery, context, definition.attempted
            )
            return await self._ledger.settle(
                record, idle_since, request, proven, ChangeCodec(), note
            )
        if action is Action.CANCEL:
            cancel = CancelCommand(
                subscription_id,
                customer_id,
                payload.get("reason_code", ""),
                payload.get("reason_details", ""),
                request_id=record.request_id,
                context=context,
            )
            found = partial(self._cancel_found, cancel)
            reconcile = partial(self._settled_result, self._cancel_settled, found)
            return await self._ledger.settle(
                record, idle_since, request, reconcile, CancelCodec(), note
            )
        skip = SkipCommand(
            subscription_id,
            customer_id,
            payload.get("order_id", ""),
            request_id=record.request_id,
            context=context,
        )
        found_skip = partial(self._skip_found, skip)
        reconcile_skip = partial(self._settled_result, self._skip_settled, found_skip)
        return await self._ledger.settle(
            record, idle_since, request, reconcile_skip, SkipCodec(), note
        )

    async def _change_proven(
        self,
        definition: Definition,
        command: ChangeCommand,
        request_id: str,
        point: RecoveryPoint,
    ) -> Finished[ChangeOutcome] | None:
        """The action's result when the declaration's proof shows its write applied."""
        try:
            state = await self._read_state(point)
        except ActionError as error:
            if is_final_refusal(error.reason):
                return None
            raise
        if definition.proof(point, state, command.fields) is not Settled.APPLIED:
            return None
        return await self._change_result(definition, command, request_id, point, state, None)

    def _not_applied_note(
        self,
        request: ActionRequest,
        point: RecoveryPoint | None,
        context: ActionContext,
        attempted: str = "",
    ) -> tuple[str, TimelineEntry] | None:
        now = datetime.now(UTC)
        order_id = point.order_id if point else request.order_id
        title, body = not_applied_note(
            request.action, request.subscription_id, order_id, context.agent_id, now, attempted
        )
        item_id = domain.timeline_item_id(request.action, request.request_id, "not-applied")
        return self._timeline(context, TimelineEntry(item_id, title, body, now))

    @staticmethod
    async def _settled_result(
        settled_by: Callable[[RecoveryPoint], Awaitable[tuple[Subscription, Settled]]],
        result: Callable[[Subscription, RecoveryPoint], Awaitable[Finished[T]]],
        point: RecoveryPoint,
    ) -> Finished[T] | None:
        """The action's result when Ordergroove shows its write applied, else None."""
        try:
            subscription, settled = await settled_by(point)
        except ActionError as error:
            if is_final_refusal(error.reason):
                return None  # e.g. the subscription is gone: nothing of ours was applied
            raise
        return await result(subscription, point) if settled is Settled.APPLIED else None

    async def _cancel_found(
        self, command: CancelCommand, subscription: Subscription, _point: RecoveryPoint
    ) -> Finished[CancelOutcome]:
        return await self._cancel_result(command, subscription, None)

    async def _skip_found(
        self, command: SkipCommand, subscription: Subscription, point: RecoveryPoint
    ) -> Finished[SkipOutcome]:
        return await self._skip_result(command, subscription, point, None)

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
            orders_task = group.create_task(
                self._unsent_orders_for(action, subscription_id, customer_id)
            )
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

    async def _unsent_orders_for(
        self, action: Action, subscription_id: str, customer_id: str
    ) -> list[Order]:
        if action is not Action.SKIP:
            return []  # only a skip needs to know the orders
        return await self._ordergroove.list_unsent_orders(subscription_id, customer_id)

    async def _linked_customer_id(self, context: ActionContext) -> str:
        """The Ordergroove customer that Gladly links the context's customer to."""
        assert self._gladly is not None  # _validate_common refused the request otherwise
        linked = await self._gladly.linked_customer_id(context.gladly_customer_id)
        if not linked:
            raise ActionError(
                Reason.CUSTOMER_NOT_LINKED,
                _not_linked_message(self._gladly.lookup_app_id),
                gladly_customer_id=context.gladly_customer_id,
            )
        return linked

    async def _conversation_open(self, context: ActionContext) -> bool:
        """Not closed: the conversation the context names (it must be the customer's), else
        any of the customer's."""
        if self._gladly is None or not context.gladly_customer_id:
            return True  # nothing to check against: internal callers act without a conversation
        return await self._gladly.conversation_allows_actions(
            context.gladly_customer_id, context.conversation_id
        )

    # --- records ------------------------------------------------------------------------------

    def _request(
        self,
        action: Action,
        request_id: str,
        subscription_id: str,
        customer_id: str,
        context: ActionContext,
        **details: str,
    ) -> ActionRequest:
        """The action as its record knows it. Without a request id the same machinery runs under
        a fresh one: the action is still recorded and audited, it just cannot be repeated."""
        payload = {
            "subscription_id": subscription_id,
            "customer_id": customer_id,
            "agent_id": context.agent_id,
            "gladly_customer_id": context.gladly_customer_id,
            "conversation_id": context.conversation_id,
            **details,
        }
        return ActionRequest(
            request_id=request_id or str(uuid.uuid4()),
            action=action,
            payload=payload,
            subscription_id=subscription_id,
            customer_id=customer_id,
            order_id=details.get("order_id", ""),
            agent_id=context.agent_id,
        )

    def _timeline(
        self, context: ActionContext, entry: TimelineEntry
    ) -> tuple[str, TimelineEntry] | None:
        """The entry goes to the context's Gladly customer, when there is one to tell."""
        if self._gladly is None or not context.gladly_customer_id:
            return None
        return context.gladly_customer_id, entry

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


def _now() -> datetime:
    return datetime.now(UTC)


def _no_longer_possible(definition: Definition, point: RecoveryPoint) -> ActionError:
    return ActionError(
        Reason.STATE_CHANGED,
        f"The earlier attempt to {definition.attempted} subscription {point.subscription_id} "
        f"was not applied, and the subscription has changed since: nothing was sent. Open the "
        f"form again.",
    )


def _not_as_asked(
    definition: Definition, point: RecoveryPoint, state: State, fields: Mapping[str, str]
) -> ActionError:
    """Ordergroove accepted the write but holds something else: the agent must know."""
    return ActionError(
        Reason.STATE_CHANGED,
        f"Ordergroove accepted the change but does not hold what was asked: "
        f"{definition.change(point, state, fields)}. Check the subscription before trying again.",
    )


def _not_linked_message(lookup_app_id: str) -> str:
    """What to fix: the link is read from `externalCustomerIds[GLADLY_LOOKUP_APP_ID]` (or from
    `externalCustomerId` of profiles linked before 05/12/21)."""
    where = (
        f"externalCustomerIds[{lookup_app_id!r}]"
        if lookup_app_id
        else "externalCustomerIds (GLADLY_LOOKUP_APP_ID is not set: set it to the id Gladly gave"
        " the lookup integration)"
    )
    return (
        f"This Gladly customer is not linked to an Ordergroove customer: its profile has no"
        f" {where} and no externalCustomerId. Pass customer_id, or link the customer in Gladly."
    )
