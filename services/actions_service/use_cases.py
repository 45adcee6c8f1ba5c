"""The use cases: read a customer's subscriptions, and run any action of the catalogue on one.

Transport-free: the gRPC servicer translates requests into these calls and results back. Every
action runs the same way, by its declaration in `catalogue`: validate, read what it needs from
Ordergroove concurrently, refuse what its rules refuse, make at most one Ordergroove write inside
its action record (`ledger`), read Ordergroove again and answer what it now holds, with the
timeline summary that the deliverer then posts to Gladly.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, TypeVar

from services.actions_service import catalogue, domain
from services.actions_service.catalogue.base import (
    CardState,
    Definition,
    Discounts,
    MerchantSettings,
    NamesProducts,
    Params,
    Reading,
    State,
)
from services.actions_service.concurrency import task_group
from services.actions_service.domain import (
    Action,
    CancelReason,
    Customer,
    Finding,
    Incentive,
    Order,
    OrderLine,
    Product,
    Proof,
    RecoveryPoint,
    ShippingAddress,
    Status,
    Subscription,
    SubscriptionView,
    TimelineEntry,
)
from services.actions_service.errors import ActionError, InvalidArgument, Reason
from services.actions_service.gladly import GladlyClient
from services.actions_service.ledger import ActionRequest, Attempt, Ledger, Unconfirmed
from services.actions_service.ordergroove import OrdergrooveClient
from services.actions_service.results import (
    ActionOutcome,
    Finished,
    ResultCodec,
    settled_note,
)
from services.actions_service.store.rows import ActionRecord

log = logging.getLogger(__name__)

T = TypeVar("T")
# A subscription without an order to come.
_NONE: tuple[None, tuple[OrderLine, ...]] = (None, ())


@dataclass(frozen=True)
class _Extras:
    """What a declaration reads besides the subscription and its orders (`Definition.reads`)."""

    addresses: tuple[ShippingAddress, ...] = ()
    products: Mapping[str, Product] = field(default_factory=dict)
    incentives: tuple[Incentive, ...] = ()

    def state(
        self,
        subscription: Subscription,
        next_order: Order | None,
        order: Order | None,
        order_lines: tuple[OrderLine, ...],
    ) -> State:
        """The state read now, with these."""
        return State(
            subscription,
            next_order,
            order,
            _now(),
            order_lines,
            addresses=self.addresses,
            products=self.products,
            incentives=self.incentives,
        )


@dataclass(frozen=True)
class ActionContext:
    agent_id: str = ""
    gladly_customer_id: str = ""
    conversation_id: str = ""


@dataclass(frozen=True)
class ActionCall:
    """One call of a catalogue action: on which subscription, its typed parameters (the state
    its caller was shown among them, `expected_*`), its request id and who calls where."""

    action: Action
    subscription_id: str
    customer_id: str
    params: Params
    request_id: str = ""
    context: ActionContext = field(default_factory=ActionContext)

    def record(self) -> dict[str, str]:
        """The request as its action record keeps (and fingerprints) it: strings."""
        context = self.context
        return {
            "subscription_id": self.subscription_id,
            "customer_id": self.customer_id,
            "agent_id": context.agent_id,
            "gladly_customer_id": context.gladly_customer_id,
            "conversation_id": context.conversation_id,
            **self.params.record(),
        }

    @classmethod
    def from_record(cls, record: ActionRecord) -> ActionCall:
        """The call a stored record was made for (records of every version are strings)."""
        request, action = record.request, Action(record.action)
        return cls(
            action,
            request["subscription_id"],
            request["customer_id"],
            catalogue.CATALOGUE[action].params.from_record(request),
            request_id=record.request_id,
            context=ActionContext(
                request.get("agent_id", ""),
                request.get("gladly_customer_id", ""),
                request.get("conversation_id", ""),
            ),
        )


@dataclass(frozen=True)
class CustomerSubscriptions:
    customer: Customer | None
    views: tuple[SubscriptionView, ...] = ()
    total_count: int = 0
    active_count: int = 0
    addresses: tuple[ShippingAddress, ...] = ()  # the customer's live addresses (full view)

    @property
    def linked(self) -> bool:
        return self.customer is not None


class UseCases:
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
        max_days_ahead: int,
        discounts: Discounts | None = None,
        swap_products: Collection[str] = (),
    ) -> None:
        self._ordergroove = ordergroove
        self._gladly = gladly
        discounts = discounts or Discounts()
        # A discount needs the merchant's consent (DISCOUNTS_ENABLED) besides ACTIONS_ENABLED.
        switched_off = () if discounts.enabled else (Action.ISSUE_DISCOUNT.value,)
        self._enabled = frozenset(enabled) - frozenset(switched_off)
        self._ledger = ledger
        # The merchant's words for its integer reason codes (CANCEL_REASON_NAMES).
        self._reason_names: Mapping[str, str] = dict(reason_names or {})
        self.reason_required = reason_required
        # What the rules read besides the state, the same for every action.
        self.merchant = MerchantSettings(
            max_quantity=max_quantity,
            max_days_ahead=max_days_ahead,
            enabled=self._enabled,
            reason_required=reason_required,
            reason_names=self._reason_names,
            reason_codes=ordergroove.list_cancel_reason_codes,
            discounts=discounts,
            swap_products=frozenset(swap_products),
        )

    # --- reads ---------------------------------------------------------------------------------

    async def get_subscriptions(
        self,
        *,
        customer_id: str | None = None,
        gladly_customer_id: str | None = None,
        email: str = "",
        full: bool = True,
    ) -> CustomerSubscriptions:
        """By Ordergroove customer id, by the Gladly customer linked to one, or by e-mail."""
        if gladly_customer_id is not None:
            domain.require_id("gladly_customer_id", gladly_customer_id)
            if self._gladly is None:
                raise InvalidArgument("gladly_customer_id", "needs Gladly API credentials")
            customer_id = await self._gladly.linked_customer_id(gladly_customer_id)
            if not customer_id:
                return CustomerSubscriptions(customer=None)
        if customer_id is not None:
            domain.require_id("customer_id", customer_id)
            async with task_group() as group:
                customer_task = group.create_task(self._ordergroove.get_customer(customer_id))
                listing_task = group.create_task(self._listing(customer_id, full))
            customer, (subscriptions, views, addresses) = (
                customer_task.result(),
                listing_task.result(),
            )
        else:
            customer = await self._ordergroove.find_customer_by_email(domain.check_email(email))
            subscriptions, views, addresses = (
                await self._listing(customer.customer_id, full) if customer else ([], [], ())
            )
        if customer is None:
            return CustomerSubscriptions(customer=None)
        return CustomerSubscriptions(
            customer=customer,
            views=tuple(views),
            total_count=len(subscriptions),
            active_count=sum(s.status is Status.ACTIVE for s in subscriptions),
            addresses=addresses,
        )

    async def list_swap_products(
        self, subscription_id: str, customer_id: str, search: str = ""
    ) -> list[Product]:
        """The products the subscription may be swapped to: the merchant's live,
        autoship-enabled products (those of SWAP_PRODUCTS only, when set), its own excluded."""
        domain.require_id("subscription_id", subscription_id)
        domain.require_id("customer_id", customer_id)
        if len(search) > domain.MAX_SEARCH_LENGTH:
            raise InvalidArgument(
                "search", f"must be at most {domain.MAX_SEARCH_LENGTH} characters"
            )
        og = self._ordergroove
        subscription = await og.get_subscription(subscription_id)
        if subscription is None or subscription.customer_id != customer_id:
            raise domain.subscription_not_found(subscription_id)
        allowed = self.merchant.swap_products
        return [
            product
            for product in await og.list_swap_products(customer_id, search.strip())
            if product.product_id != subscription.product_id
            and (not allowed or product.product_id in allowed)
        ]

    async def list_cancel_reasons(self) -> list[CancelReason]:
        """Exactly the merchant's codes, each with the merchant's words for it."""
        codes = await self._ordergroove.list_cancel_reason_codes()
        return domain.named_reasons(codes, self._reason_names)

    async def _listing(
        self, customer_id: str, full: bool
    ) -> tuple[list[Subscription], list[SubscriptionView], tuple[ShippingAddress, ...]]:
        """The customer's subscriptions and, when `full`, their views and the customer's
        addresses. Products, next orders and addresses are asked for per product, per order and
        per customer, not per subscription: orders ship several subscriptions at once and
        subscriptions share addresses, so a large card needs far fewer requests."""
        if not full:
            return await self._ordergroove.list_subscriptions(customer_id), [], ()
        async with task_group() as group:
            listed_task = group.create_task(self._subscriptions_and_products(customer_id))
            next_orders_task = group.create_task(self._next_orders(customer_id))
            addresses_task = group.create_task(self._ordergroove.list_addresses(customer_id))
        subscriptions, products = listed_task.result()
        next_orders, addresses = next_orders_task.result(), tuple(addresses_task.result())
        views = []
        for s in subscriptions:
            upcoming, lines = next_orders.get(s.subscription_id, _NONE)
            views.append(self._view(s, products.get(s.product_id), upcoming, lines, addresses))
        return subscriptions, views, addresses

    async def _subscriptions_and_products(
        self, customer_id: str
    ) -> tuple[list[Subscription], dict[str, Product]]:
        subscriptions = await self._ordergroove.list_subscriptions(customer_id)
        product_ids = sorted({s.product_id for s in subscriptions if s.product_id})
        return subscriptions, await self._ordergroove.get_products(product_ids, customer_id)

    async def _next_orders(
        self, customer_id: str
    ) -> dict[str, tuple[Order, tuple[OrderLine, ...]]]:
        """Each subscription's next order and what that order holds."""
        held: list[tuple[Order, asyncio.Task[list[OrderLine]]]] = []
        async with task_group() as group:

            def read_items(orders: list[Order]) -> None:
                # As each page of orders arrives, not after the last one: a round trip fewer
                # for customers with more orders to come than one page holds.
                held.extend(
                    (
                        order,
                        group.create_task(
                            self._ordergroove.order_lines(order.order_id, customer_id)
                        ),
                    )
                    for order in orders
                )

            await self._ordergroove.read_customer_unsent_orders(customer_id, on_page=read_items)
        lines = {order.order_id: tuple(task.result()) for order, task in held}
        upcoming = domain.next_orders((order, lines[order.order_id]) for order, _ in held)
        return {sid: (order, lines[order.order_id]) for sid, order in upcoming.items()}

    def _view(
        self,
        subscription: Subscription,
        product: Product | None,
        upcoming: Order | None,
        lines: tuple[OrderLine, ...] = (),
        addresses: tuple[ShippingAddress, ...] = (),
    ) -> SubscriptionView:
        if subscription.status is not Status.ACTIVE:
            upcoming, lines = None, ()  # only live subscriptions have orders to come
        card = CardState(subscription, upcoming, lines, addresses)
        ships_to = _ships_to(subscription, addresses)
        return SubscriptionView(
            subscription=subscription,
            product=product or Product(subscription.product_id),
            next_order=upcoming,
            available_actions=catalogue.offered(card, self._enabled),
            cancel_reason_text=self.reason_words(subscription.cancel_reason_code),
            next_order_lines=lines,
            shipping_address=ships_to,
        )

    def reason_words(self, code: str) -> str:
        """The merchant's words for a reason code; no code, no words."""
        return domain.reason_words(code, self._reason_names) if code else ""

    # --- every action: one use case for every declaration of the catalogue ------------------

    async def run_action(self, call: ActionCall) -> ActionOutcome:
        """Run one action of the catalogue, at most once per request id."""
        definition = catalogue.CATALOGUE[call.action]
        self._validate_common(call)
        await definition.validate(call.params, self.merchant, self.today())
        request = self._request(call)
        async with self._ledger.attempt(request, ResultCodec()) as attempt:
            if attempt.replayed is not None:
                return attempt.replayed
            return attempt.finish(
                await self._run_in_turn(definition, call, request.request_id, attempt)
            )

    async def _run_in_turn(
        self,
        definition: Definition[Any],
        call: ActionCall,
        request_id: str,
        attempt: Attempt[ActionOutcome],
    ) -> Finished[ActionOutcome]:
        """In the customer's turn: read and refuse, record the target and its snapshot, write
        once, read again — the answer is what Ordergroove now holds. A resumed attempt first
        settles by the declaration's proof against the recorded snapshot."""
        domain.check_enabled(definition.action, self._enabled)
        point = attempt.recovery
        customer_id = (
            point.customer_id
            if point is not None
            else call.customer_id or await self._linked_customer_id(call.context)
        )
        if point is None:
            # Before the turn: from the Ordergroove reads to the write nothing else is waited
            # for (Gladly may be slow, or rate-limited), so the state checked is the state
            # written over, but for a change in the moment no conditional write could close.
            await self._require_open_conversation(call.context)
        async with self._ledger.turn(customer_id):
            if point is None:
                state = await self._checked_state(definition, call, customer_id)
                point = _recovery_point(state, request_id)
            else:
                state = await self._read_state(definition, point, call.params)
                finding = definition.proof(point, state, call.params)
                if finding.proof is Proof.APPLIED:
                    return await self._outcome(definition, call, request_id, point, state, None)
                if finding.proof is not Proof.NOT_YET:
                    raise _unsettled(definition, point, finding)
            await attempt.before_write(point)
            status = await definition.write(self._ordergroove, point, call.params, self.today())
            after = await self._read_state(definition, point, call.params)
            if definition.proof(point, after, call.params).proof is not Proof.APPLIED:
                before_after = definition.before_after(point, after, call.params, self.merchant)
                raise _not_as_asked(before_after)
            return await self._outcome(definition, call, request_id, point, after, status)

    def today(self) -> date:
        """The merchant's today (Ordergroove's dates are in the merchant's zone)."""
        return datetime.now(self._ordergroove.timezone).date()

    async def _checked_state(
        self, definition: Definition[Any], call: ActionCall, customer_id: str
    ) -> State:
        """The customer, the subscription and its unsent orders, read concurrently (with what
        else the declaration reads); then what the rules and the shown state refuse."""
        og, subscription_id, reads = self._ordergroove, call.subscription_id, definition.reads
        async with task_group() as group:
            customer_task = group.create_task(og.get_customer(customer_id))
            subscription_task = group.create_task(og.get_subscription(subscription_id))
            orders_task = group.create_task(og.list_unsent_orders(subscription_id, customer_id))
            extra_task = group.create_task(self._read_extra(reads, call.params, customer_id))
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
        upcoming = domain.next_order(orders_task.result())
        lines = (
            tuple(await og.order_lines(upcoming.order_id, customer_id))
            if upcoming is not None and Reading.ORDER_ITEMS in reads
            else ()
        )
        state = extra_task.result().state(subscription, upcoming, None, lines)
        definition.refuse(state, call.params)
        return state

    async def _read_state(
        self, definition: Definition[Any], point: RecoveryPoint, params: Params
    ) -> State:
        """The subscription, its next order and the recorded order (with what else the
        declaration's proof reads), as Ordergroove holds them now."""
        og, reads = self._ordergroove, definition.reads
        async with task_group() as group:
            subscription_task = group.create_task(og.get_subscription(point.subscription_id))
            orders_task = group.create_task(
                og.list_unsent_orders(point.subscription_id, point.customer_id)
            )
            order_task = group.create_task(og.get_order(point.order_id)) if point.order_id else None
            lines_task = (
                group.create_task(og.order_lines(point.order_id, point.customer_id))
                if point.order_id and Reading.ORDER_ITEMS in reads
                else None
            )
            extra_task = group.create_task(self._read_extra(reads, params, point.customer_id))
        subscription = subscription_task.result()
        if subscription is None:
            raise domain.subscription_not_found(point.subscription_id)
        return extra_task.result().state(
            subscription,
            domain.next_order(orders_task.result()),
            order_task.result() if order_task is not None else None,
            tuple(lines_task.result()) if lines_task is not None else (),
        )

    async def _read_extra(
        self, reads: frozenset[Reading], params: Params, customer_id: str
    ) -> _Extras:
        """What a declaration reads besides the subscription and its orders."""
        og = self._ordergroove
        async with task_group() as group:
            addresses = (
                group.create_task(og.list_addresses(customer_id))
                if Reading.ADDRESSES in reads
                else None
            )
            named = params.product_ids() if isinstance(params, NamesProducts) else ()
            products = (
                group.create_task(og.find_products(named))
                if Reading.PRODUCTS in reads and named
                else None
            )
            incentives = (
                group.create_task(og.list_incentives(customer_id))
                if Reading.INCENTIVES in reads
                else None
            )
        return _Extras(
            tuple(addresses.result()) if addresses else (),
            products.result() if products else {},
            tuple(incentives.result()) if incentives else (),
        )

    async def _outcome(
        self,
        definition: Definition[Any],
        call: ActionCall,
        request_id: str,
        point: RecoveryPoint,
        state: State,
        status: int | None,
    ) -> Finished[ActionOutcome]:
        """The subscription as Ordergroove now holds it, and the timeline's before → after."""
        sub = state.subscription
        product, lines, addresses = await self._view_parts(definition, point, state)
        view = self._view(sub, product, state.next_order, lines, addresses)
        label = product.name or product.sku or product.product_id or "subscription"
        context = call.context
        by = f" by agent {context.agent_id}" if context.agent_id else ""
        where = f" in conversation {context.conversation_id}" if context.conversation_id else ""
        now = datetime.now(UTC)
        if point.order_lines:
            products = await self._ordergroove.get_products(
                sorted({line.product_id for line in point.order_lines}), sub.customer_id
            )
            names = {pid: p.name or p.sku for pid, p in products.items()}
            state = replace(state, product_names=names)
        before_after = definition.before_after(point, state, call.params, self.merchant)
        body = (
            f"{before_after}. Subscription {sub.subscription_id} ({label}){by}{where}, "
            f"{now:%Y-%m-%d %H:%M} UTC."
        )
        title = f"{definition.done}: {label}"[:100]
        item_id = domain.timeline_item_id(definition.action, request_id)
        target = (
            Order(point.order_id, domain.ORDER_STATUS_UNSENT, point.order_place_at)
            if point.order_id
            else None
        )
        return Finished(
            ActionOutcome(view=view, summary=body, target=target),
            timeline=self._timeline(context, TimelineEntry(item_id, title, body, now)),
            ordergroove_status=status,
            before_after=before_after[:500],
        )

    async def _view_parts(
        self, definition: Definition[Any], point: RecoveryPoint, state: State
    ) -> tuple[Product, tuple[OrderLine, ...], tuple[ShippingAddress, ...]]:
        """What the answer's view needs besides the state read: the product, what the next
        order holds and the customer's addresses (the offers read them), unless already read."""
        og, sub, upcoming = self._ordergroove, state.subscription, state.next_order
        same_order = upcoming is not None and upcoming.order_id == point.order_id
        have_lines = same_order and Reading.ORDER_ITEMS in definition.reads
        async with task_group() as group:
            product = group.create_task(og.get_product(sub.product_id, sub.customer_id))
            lines = (
                group.create_task(og.order_lines(upcoming.order_id, sub.customer_id))
                if upcoming is not None and not have_lines and sub.status is Status.ACTIVE
                else None
            )
            addresses = (
                None
                if Reading.ADDRESSES in definition.reads
                else group.create_task(og.list_addresses(sub.customer_id))
            )
        return (
            product.result(),
            state.order_lines if have_lines else tuple(lines.result() if lines else ()),
            state.addresses if addresses is None else tuple(addresses.result()),
        )

    # --- settling records that no retry took over ---------------------------------------------

    async def settle(self, record: ActionRecord, idle_since: datetime) -> bool:
        """Settle an abandoned record by its declaration's proof, never writing: done
        (reconciled) when Ordergroove shows the write applied, else closed as not applied with a
        timeline note. False when a retry or another settler took the record first."""
        call = ActionCall.from_record(record)
        definition, context = catalogue.CATALOGUE[call.action], call.context
        # The audit log names the settler, not the agent.
        request = self._request(replace(call, context=replace(context, agent_id="")))
        proven = partial(self._proven, definition, call, record.request_id)
        note = partial(self._settled_note, request, record.recovery, context, definition.attempted)
        return await self._ledger.settle(record, idle_since, request, proven, ResultCodec(), note)

    async def _proven(
        self,
        definition: Definition[Any],
        call: ActionCall,
        request_id: str,
        point: RecoveryPoint,
    ) -> Finished[ActionOutcome] | Unconfirmed | None:
        """The action's result when the declaration's proof shows its write applied; None when
        it shows it was not; Unconfirmed when the state moved on since. Read in the customer's
        turn, so that no action of ours is halfway through its write meanwhile."""
        async with self._ledger.turn(point.customer_id):
            try:
                state = await self._read_state(definition, point, call.params)
            except ActionError as error:
                if error.reason is Reason.SUBSCRIPTION_NOT_FOUND:
                    return Unconfirmed(f"subscription {point.subscription_id} is gone")
                raise
            finding = definition.proof(point, state, call.params)
            if finding.proof is Proof.UNKNOWN:
                return Unconfirmed(finding.evidence)
            if finding.proof is not Proof.APPLIED:
                return None
            return await self._outcome(definition, call, request_id, point, state, None)

    def _settled_note(
        self,
        request: ActionRequest,
        point: RecoveryPoint | None,
        context: ActionContext,
        attempted: str,
        unconfirmed: str,
    ) -> tuple[str, TimelineEntry] | None:
        now = datetime.now(UTC)
        order_id = point.order_id if point else request.order_id
        title, body = settled_note(
            request.action,
            request.subscription_id,
            order_id,
            context.agent_id,
            now,
            attempted,
            unconfirmed,
        )
        item_id = domain.timeline_item_id(request.action, request.request_id, "not-applied")
        return self._timeline(context, TimelineEntry(item_id, title, body, now))

    # --- shared checks -------------------------------------------------------------------------

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

    async def _require_open_conversation(self, context: ActionContext) -> None:
        if not await self._conversation_open(context):
            raise ActionError(
                Reason.CONVERSATION_NOT_OPEN,
                "Actions need an open conversation with this customer in Gladly.",
            )

    async def _conversation_open(self, context: ActionContext) -> bool:
        """Not closed: the conversation the context names (it must be the customer's), else
        any of the customer's."""
        if self._gladly is None or not context.gladly_customer_id:
            return True  # nothing to check against: internal callers act without a conversation
        return await self._gladly.conversation_allows_actions(
            context.gladly_customer_id, context.conversation_id
        )

    # --- records ------------------------------------------------------------------------------

    def _request(self, call: ActionCall) -> ActionRequest:
        """The action as its record knows it. Without a request id the same machinery runs under
        a fresh one: the action is still recorded and audited, it just cannot be repeated."""
        payload = call.record()
        return ActionRequest(
            request_id=call.request_id or str(uuid.uuid4()),
            action=call.action,
            payload=payload,
            subscription_id=call.subscription_id,
            customer_id=call.customer_id,
            order_id=payload.get("order_id", ""),
            agent_id=call.context.agent_id,
        )

    def _timeline(
        self, context: ActionContext, entry: TimelineEntry
    ) -> tuple[str, TimelineEntry] | None:
        """The entry goes to the context's Gladly customer, when there is one to tell."""
        if self._gladly is None or not context.gladly_customer_id:
            return None
        return context.gladly_customer_id, entry

    def _validate_common(self, call: ActionCall) -> None:
        domain.require_id("subscription_id", call.subscription_id)
        domain.check_optional_id("customer_id", call.customer_id)
        domain.check_request_id(call.request_id)
        context = call.context
        domain.check_optional_id("context.agent_id", context.agent_id)
        domain.check_optional_id("context.gladly_customer_id", context.gladly_customer_id)
        domain.check_optional_id("context.conversation_id", context.conversation_id)
        if not call.customer_id and not (self._gladly and context.gladly_customer_id):
            raise InvalidArgument(
                "customer_id", "is required unless the context names a linked Gladly customer"
            )


def _ships_to(
    subscription: Subscription, addresses: tuple[ShippingAddress, ...]
) -> ShippingAddress | None:
    """Where it ships: one of the customer's live addresses, in words; an address that is not
    one of them is named by its id alone (a form must still name the address it showed)."""
    address_id = subscription.shipping_address_id
    if not address_id:
        return None
    known = next((a for a in addresses if a.address_id == address_id), None)
    return known or ShippingAddress(address_id, subscription.customer_id, live=False)


def _now() -> datetime:
    return datetime.now(UTC)


def _recovery_point(state: State, request_id: str) -> RecoveryPoint:
    """What the write targets — the subscription and its next order as read in the turn — and
    the snapshot its proof compares with."""
    upcoming, sub = state.next_order, state.subscription
    return RecoveryPoint(
        sub.subscription_id,
        sub.customer_id,
        upcoming.order_id if upcoming else "",
        upcoming.place_at if upcoming else None,
        subscription_updated_at=sub.updated_at,
        order_lines=state.order_lines,
        subscription_price=sub.price,
        request_id=request_id,
        order_discounts=_discounts_on(upcoming, state),
    )


def _discounts_on(order: Order | None, state: State) -> tuple[str, ...]:
    """The one-time discounts on the order or its items, as read (for a declaration that
    reads INCENTIVES): what the order held before the write."""
    if order is None:
        return ()
    items = {line.item_id for line in state.order_lines if line.item_id}
    return tuple(
        i.incentive_id
        for i in state.incentives
        if i.order_id == order.order_id or i.item_id in items
    )


def _unsettled(definition: Definition[Any], point: RecoveryPoint, finding: Finding) -> ActionError:
    """An earlier attempt's lost answer that a retry cannot complete: not applied and no longer
    possible, or unknown because the state moved on since. Nothing more is sent either way."""
    attempt = f"The earlier attempt to {definition.attempted} subscription {point.subscription_id}"
    if finding.proof is Proof.UNKNOWN:
        return ActionError(
            Reason.ACTION_UNCONFIRMED,
            f"{attempt} lost its answer, and whether it was applied could not be confirmed: "
            f"{finding.evidence}. Nothing more was sent; the card shows the state now.",
        )
    return ActionError(
        Reason.STATE_CHANGED,
        f"{attempt} was not applied ({finding.evidence}), and it cannot be any more: nothing "
        f"more was sent. Open the form again.",
    )


def _not_as_asked(before_after: str) -> ActionError:
    """Ordergroove accepted the write but holds something else: the agent must know."""
    return ActionError(
        Reason.STATE_CHANGED,
        f"Ordergroove accepted the change but does not hold what was asked: "
        f"{before_after}. Check the subscription before trying again.",
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
