"""gRPC transport: translate `actions.v1` messages to use-case calls and results back.

Every RPC runs under min(caller's deadline, ACTIONS_DEADLINE_SECONDS); every failure leaves as a
`google.rpc.Status` with an `ErrorInfo` (or `BadRequest` for malformed input), never as UNKNOWN,
and with the trace id in the trailing metadata (`trace-id`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NoReturn, TypeAlias, TypeVar

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from actions.contract import MEANINGS
from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from services.actions_service import deadline, spans
from services.actions_service.catalogue.base import Params, day, optional_day, period_named
from services.actions_service.catalogue.cancel import CancelParams
from services.actions_service.catalogue.change_frequency import ChangeFrequencyParams
from services.actions_service.catalogue.change_item_quantity import ChangeItemQuantityParams
from services.actions_service.catalogue.change_next_order_date import ChangeNextOrderDateParams
from services.actions_service.catalogue.change_quantity import ChangeQuantityParams
from services.actions_service.catalogue.change_renewal import ChangeRenewalParams
from services.actions_service.catalogue.change_shipping_address import (
    ChangeShippingAddressParams,
)
from services.actions_service.catalogue.issue_discount import IssueDiscountParams
from services.actions_service.catalogue.orders import ShownOrderParams
from services.actions_service.catalogue.reactivate import ReactivateParams
from services.actions_service.catalogue.skip import SkipParams
from services.actions_service.catalogue.swap_product import SwapProductParams
from services.actions_service.domain import (
    Action,
    Order,
    OrderLine,
    Period,
    PrepaidPlan,
    Product,
    ShippingAddress,
    Status,
    SubscriptionView,
)
from services.actions_service.errors import ActionError, InvalidArgument, Reason
from services.actions_service.observe import RpcObservation, trace_trailer
from services.actions_service.results import ActionOutcome
from services.actions_service.use_cases import ActionCall, ActionContext, UseCases

log = logging.getLogger(__name__)

ERROR_DOMAIN: Final = "actions.v1.ActionsService"

# From `actions.contract.MEANINGS`, the one table of what each reason means.
STATUS_CODES: Final[dict[Reason, grpc.StatusCode]] = {
    reason: grpc.StatusCode[MEANINGS[reason].grpc_code] for reason in Reason
}

# The domain's enums and the proto's, matched by name (tests/test_grpc_surface.py checks that
# every member has its counterpart).
_STATUS: Final[dict[Status, pb.SubscriptionStatus]] = {
    s: getattr(pb.SubscriptionStatus, f"SUBSCRIPTION_STATUS_{s.name}") for s in Status
}
_PERIOD: Final[dict[Period, pb.FrequencyPeriod]] = {
    p: getattr(pb.FrequencyPeriod, f"FREQUENCY_PERIOD_{p.name}") for p in Period
}
_ACTION: Final[dict[Action, pb.Action]] = {
    a: getattr(pb.Action, f"ACTION_{a.name}") for a in Action
}
_PERIOD_OF: Final[dict[int, Period]] = {value: period for period, value in _PERIOD.items()}

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
ResponseT = TypeVar("ResponseT")


# --- the actions' RPCs: one row each ---------------------------------------------------------


@dataclass(frozen=True)
class ActionRpc:
    """One action's RPC: its method, its `Action`, its typed parameters from the request (the
    request's common fields — subscription, customer, request id, context — are every
    action's) and its answer from the outcome."""

    method: str
    action: Action
    params: Callable[[Any], Params]
    answer: Callable[[ActionOutcome], Message]


def _answer(response: Callable[..., Message]) -> Callable[[ActionOutcome], Message]:
    """The answer of most actions: the subscription read back and the summary."""
    return lambda outcome: response(
        subscription=subscription_message(outcome.view), summary=outcome.summary
    )


def _skip_answer(outcome: ActionOutcome) -> pb.SkipNextOrderResponse:
    skipped, new_next = outcome.target, outcome.view.next_order
    return pb.SkipNextOrderResponse(
        subscription=subscription_message(outcome.view),
        skipped_order_id=skipped.order_id if skipped else "",
        previous_next_order_time=_timestamp(skipped.place_at if skipped else None),
        next_order_time=_timestamp(new_next.place_at if new_next else None),
        summary=outcome.summary,
    )


def _period(name: str, value: int) -> Period:
    """A period the request must name (an unspecified one is missing)."""
    return _PERIOD_OF[value] if value in _PERIOD_OF else period_named(name, "")


def _shown_order(request: Any) -> ShownOrderParams:
    """The order a request names as shown: its id, and its date and subscriptions when the
    request carries them."""
    return ShownOrderParams(
        request.expected_order_id,
        optional_day("expected_date", getattr(request, "expected_date", "")),
        tuple(sorted(set(getattr(request, "expected_subscriptions", ())))),
    )


def _enum_word(message: Any, field: str, prefix: str) -> str:
    """A proto enum field as its lower-case name without the prefix ("" when unspecified)."""
    value: int = getattr(message, field)
    name = message.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number[value].name
    return "" if value == 0 else name.removeprefix(prefix).lower()


ACTION_RPCS: Final = (
    ActionRpc(
        "CancelSubscription",
        Action.CANCEL,
        lambda r: CancelParams(r.reason_code, r.reason_details),
        _answer(pb.CancelSubscriptionResponse),
    ),
    ActionRpc(
        "SkipNextOrder",
        Action.SKIP,
        lambda r: SkipParams(r.order_id, optional_day("expected_date", r.expected_date)),
        _skip_answer,
    ),
    ActionRpc(
        "ReactivateSubscription",
        Action.REACTIVATE,
        lambda r: ReactivateParams(
            r.frequency.every,
            _period("period", r.frequency.period),
            day("first_order_date", r.first_order_date),
        ),
        _answer(pb.ReactivateSubscriptionResponse),
    ),
    ActionRpc(
        "ChangeNextOrderDate",
        Action.CHANGE_NEXT_ORDER_DATE,
        lambda r: ChangeNextOrderDateParams(
            day("order_date", r.order_date), day("expected_date", r.expected_date)
        ),
        _answer(pb.ChangeNextOrderDateResponse),
    ),
    ActionRpc(
        "ChangeFrequency",
        Action.CHANGE_FREQUENCY,
        lambda r: ChangeFrequencyParams(
            r.frequency.every,
            _period("period", r.frequency.period),
            r.expected_frequency.every,
            _period("expected_period", r.expected_frequency.period),
        ),
        _answer(pb.ChangeFrequencyResponse),
    ),
    ActionRpc(
        "ChangeQuantity",
        Action.CHANGE_QUANTITY,
        lambda r: ChangeQuantityParams(r.quantity, r.expected_quantity),
        _answer(pb.ChangeQuantityResponse),
    ),
    ActionRpc(
        "SendNextOrderNow", Action.SEND_NOW, _shown_order, _answer(pb.SendNextOrderNowResponse)
    ),
    ActionRpc(
        "ChangeRenewal",
        Action.CHANGE_RENEWAL,
        lambda r: ChangeRenewalParams(r.renewal_behavior, r.expected_renewal_behavior),
        _answer(pb.ChangeRenewalResponse),
    ),
    ActionRpc("CancelOrder", Action.CANCEL_ORDER, _shown_order, _answer(pb.CancelOrderResponse)),
    ActionRpc(
        "ChangeItemQuantity",
        Action.CHANGE_ITEM_QUANTITY,
        lambda r: ChangeItemQuantityParams(r.quantity, r.expected_order_id, r.expected_quantity),
        _answer(pb.ChangeItemQuantityResponse),
    ),
    ActionRpc(
        "RemoveFromOrder",
        Action.REMOVE_FROM_ORDER,
        _shown_order,
        _answer(pb.RemoveFromOrderResponse),
    ),
    ActionRpc(
        "IssueDiscount",
        Action.ISSUE_DISCOUNT,
        lambda r: IssueDiscountParams(
            r.expected_order_id,
            _enum_word(r, "target", "DISCOUNT_TARGET_"),
            _enum_word(r, "kind", "DISCOUNT_KIND_"),
            r.value.strip(),
            r.reason,
        ),
        _answer(pb.IssueDiscountResponse),
    ),
    ActionRpc(
        "SwapProduct",
        Action.SWAP_PRODUCT,
        lambda r: SwapProductParams(r.product_id, r.expected_product_id),
        _answer(pb.SwapProductResponse),
    ),
    ActionRpc(
        "ChangeShippingAddress",
        Action.CHANGE_SHIPPING_ADDRESS,
        lambda r: ChangeShippingAddressParams(r.address_id, r.expected_address_id),
        _answer(pb.ChangeShippingAddressResponse),
    ),
)
# Every action has its RPC.
assert {rpc.action for rpc in ACTION_RPCS} == set(Action)
_BY_METHOD: Final = {rpc.method: rpc for rpc in ACTION_RPCS}


def _action_method(method: str) -> Any:
    """The servicer's method of an action's RPC, made from its row (the generated base declares
    one method per RPC)."""
    rpc = _BY_METHOD[method]

    async def serve(self: ActionsServicer, request: Any, context: Context) -> Message:
        return await self.run_action(rpc, request, context)

    serve.__name__ = serve.__qualname__ = method
    return serve


class ActionsServicer(actions_pb2_grpc.ActionsServiceServicer):
    # Each action's RPC, from its row in ACTION_RPCS.
    CancelSubscription = _action_method("CancelSubscription")
    SkipNextOrder = _action_method("SkipNextOrder")
    ReactivateSubscription = _action_method("ReactivateSubscription")
    ChangeNextOrderDate = _action_method("ChangeNextOrderDate")
    ChangeFrequency = _action_method("ChangeFrequency")
    ChangeQuantity = _action_method("ChangeQuantity")
    SendNextOrderNow = _action_method("SendNextOrderNow")
    ChangeRenewal = _action_method("ChangeRenewal")
    CancelOrder = _action_method("CancelOrder")
    ChangeItemQuantity = _action_method("ChangeItemQuantity")
    RemoveFromOrder = _action_method("RemoveFromOrder")
    IssueDiscount = _action_method("IssueDiscount")
    SwapProduct = _action_method("SwapProduct")
    ChangeShippingAddress = _action_method("ChangeShippingAddress")

    def __init__(self, use_cases: UseCases, deadline_seconds: float) -> None:
        self._use_cases = use_cases
        self._deadline_seconds = deadline_seconds

    async def GetSubscriptions(
        self, request: pb.GetSubscriptionsRequest, context: Context
    ) -> pb.GetSubscriptionsResponse:
        async def run() -> pb.GetSubscriptionsResponse:
            by = request.WhichOneof("customer")
            if by is None:
                raise InvalidArgument(
                    "customer", "customer_id, email or gladly_customer_id is required"
                )
            spans.annotate_lookup(request.customer_id, request.gladly_customer_id)
            result = await self._use_cases.get_subscriptions(
                customer_id=request.customer_id if by == "customer_id" else None,
                gladly_customer_id=request.gladly_customer_id
                if by == "gladly_customer_id"
                else None,
                email=request.email,
                full=request.view != pb.SUBSCRIPTIONS_VIEW_BASIC,
            )
            if result.customer is None:
                return pb.GetSubscriptionsResponse(linked=False)
            customer = result.customer
            return pb.GetSubscriptionsResponse(
                linked=True,
                customer=pb.Customer(
                    customer_id=customer.customer_id,
                    first_name=customer.first_name,
                    last_name=customer.last_name,
                    email=customer.email,
                    phone_number=customer.phone_number,
                ),
                subscriptions=[subscription_message(view) for view in result.views],
                total_count=result.total_count,
                active_count=result.active_count,
                addresses=[_address(address) for address in result.addresses],
            )

        return await self._serve("GetSubscriptions", context, run)

    async def run_action(self, rpc: ActionRpc, request: Any, context: Context) -> Message:
        """One action's RPC: its parameters parsed once, then the one use case of every action."""

        async def run() -> Message:
            call = ActionCall(
                rpc.action,
                request.subscription_id,
                request.customer_id,
                rpc.params(request),
                request_id=request.request_id,
                context=_context(request.context),
            )
            return rpc.answer(await self._use_cases.run_action(call))

        return await self._serve(rpc.method, context, run)

    async def ListSwapProducts(
        self, request: pb.ListSwapProductsRequest, context: Context
    ) -> pb.ListSwapProductsResponse:
        async def run() -> pb.ListSwapProductsResponse:
            products = await self._use_cases.list_swap_products(
                request.subscription_id, request.customer_id, request.search
            )
            return pb.ListSwapProductsResponse(
                products=[pb.SwapProduct(product=_product(p), price=p.price) for p in products]
            )

        return await self._serve("ListSwapProducts", context, run)

    async def ListCancelReasons(
        self, request: pb.ListCancelReasonsRequest, context: Context
    ) -> pb.ListCancelReasonsResponse:
        async def run() -> pb.ListCancelReasonsResponse:
            reasons = await self._use_cases.list_cancel_reasons()
            return pb.ListCancelReasonsResponse(
                reasons=[pb.CancelReason(code=r.code, text=r.text) for r in reasons],
                reason_required=self._use_cases.reason_required,
            )

        return await self._serve("ListCancelReasons", context, run)

    async def _serve(
        self, method: str, context: Context, run: Callable[[], Awaitable[ResponseT]]
    ) -> ResponseT:
        """Run under the deadline and turn every failure into a rich status."""
        with RpcObservation(method, context.invocation_metadata()) as rpc:
            try:
                async with deadline.deadline(self._time_allowed(context)):
                    return await run()
            except Exception as error:
                status, rpc.answer = failure_status(error)
                await abort(context, status)

    def _time_allowed(self, context: Context) -> float:
        caller = context.time_remaining()
        return self._deadline_seconds if caller is None else min(caller, self._deadline_seconds)


def subscription_message(view: SubscriptionView) -> pb.Subscription:
    sub, product, upcoming = view.subscription, view.product, view.next_order
    return pb.Subscription(
        subscription_id=sub.subscription_id,
        customer_id=sub.customer_id,
        status=_STATUS[sub.status],
        product=_product(product),
        quantity=sub.quantity,
        price=sub.price,
        currency_code=sub.currency_code,
        frequency=pb.Frequency(
            every=sub.every,
            period=_PERIOD[sub.period] if sub.period else pb.FREQUENCY_PERIOD_UNSPECIFIED,
        ),
        next_order=_next_order(upcoming, view.next_order_lines),
        create_time=_timestamp(sub.created_at),
        update_time=_timestamp(sub.updated_at),
        cancel_time=_timestamp(sub.cancelled_at),
        cancel_reason_code=sub.cancel_reason_code,
        cancel_reason_details=sub.cancel_reason_details,
        cancel_reason_text=view.cancel_reason_text,
        prepaid=sub.prepaid,
        prepaid_plan=_prepaid_plan(sub.prepaid_plan),
        available_actions=[_ACTION[action] for action in view.available_actions],
        shipping_address=_address(view.shipping_address) if view.shipping_address else None,
    )


def _product(product: Product) -> pb.Product:
    return pb.Product(
        product_id=product.product_id,
        name=product.name,
        sku=product.sku,
        image_url=product.image_url,
    )


def _address(address: ShippingAddress) -> pb.ShippingAddress:
    return pb.ShippingAddress(address_id=address.address_id, label=address.label, text=address.text)


def _prepaid_plan(plan: PrepaidPlan | None) -> pb.PrepaidPlan | None:
    if plan is None:
        return None
    return pb.PrepaidPlan(
        orders_remaining=plan.orders_remaining,
        orders_per_billing=plan.orders_per_billing,
        renewal_behavior=plan.renewal_behavior,
    )


def _next_order(order: Order | None, lines: tuple[OrderLine, ...]) -> pb.NextOrder | None:
    if order is None:
        return None
    return pb.NextOrder(
        order_id=order.order_id,
        place_time=_timestamp(order.place_at),
        # Ordergroove's times are kept in the merchant's zone: this is the merchant's date.
        place_date=order.place_at.strftime("%Y-%m-%d") if order.place_at else "",
        lines=[
            pb.OrderLine(
                subscription_id=line.subscription_id,
                product_id=line.product_id,
                quantity=line.quantity,
                item_id=line.item_id,
                price=line.price,
            )
            for line in lines
        ],
    )


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _context(message: pb.ActionContext) -> ActionContext:
    return ActionContext(
        agent_id=message.agent_id,
        gladly_customer_id=message.gladly_customer_id,
        conversation_id=message.conversation_id,
    )


async def abort(context: Context, status: status_pb2.Status) -> NoReturn:
    """End the call with `status` as a rich status, naming the trace in the trailing metadata."""
    answer = rpc_status.to_status(status)
    await context.abort(answer.code, answer.details, (*answer.trailing_metadata, *trace_trailer()))


def failure_status(error: Exception) -> tuple[status_pb2.Status, str]:
    """The status a failure is answered with, and the answer it is counted as (metrics, log)."""
    if isinstance(error, deadline.DeadlineExceeded):
        error = ActionError(
            Reason.DEADLINE_EXCEEDED, "The action did not complete within its deadline."
        )
    if isinstance(error, ActionError):
        return error_status(error), error.reason.value
    if isinstance(error, InvalidArgument):
        return invalid_argument_status(error), grpc.StatusCode.INVALID_ARGUMENT.name
    log.exception("unexpected failure", exc_info=error)
    internal = grpc.StatusCode.INTERNAL
    return status_pb2.Status(code=internal.value[0], message="Internal error."), internal.name


def error_status(error: ActionError) -> status_pb2.Status:
    code = STATUS_CODES[error.reason]
    info = error_details_pb2.ErrorInfo(
        reason=error.reason.value, domain=ERROR_DOMAIN, metadata=error.metadata
    )
    status = status_pb2.Status(code=code.value[0], message=error.message)
    status.details.add().Pack(info)
    return status


def invalid_argument_status(error: InvalidArgument) -> status_pb2.Status:
    violation = error_details_pb2.BadRequest.FieldViolation(
        field=error.field, description=error.message
    )
    status = status_pb2.Status(
        code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=f"{error.field} {error.message}."
    )
    status.details.add().Pack(error_details_pb2.BadRequest(field_violations=[violation]))
    return status
