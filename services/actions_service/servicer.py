"""gRPC transport: translate `actions.v1` messages to use-case calls and results back.

Every RPC runs under min(caller's deadline, ACTIONS_DEADLINE_SECONDS); every failure leaves as a
`google.rpc.Status` with an `ErrorInfo` (or `BadRequest` for malformed input), never as UNKNOWN,
and with the trace id in the trailing metadata (`trace-id`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final, NoReturn, Protocol, TypeAlias, TypeVar

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from services.actions_service import deadline, spans
from services.actions_service.domain import (
    Action,
    Order,
    OrderLine,
    Period,
    PrepaidPlan,
    Status,
    SubscriptionView,
)
from services.actions_service.errors import MEANINGS, ActionError, InvalidArgument, Reason
from services.actions_service.observe import RpcObservation, trace_trailer
from services.actions_service.results import ActionResult
from services.actions_service.use_cases import (
    ActionContext,
    ChangeCommand,
    UseCases,
)

log = logging.getLogger(__name__)

ERROR_DOMAIN: Final = "actions.v1.ActionsService"

# From `errors.MEANINGS`, the one table of what each reason means.
STATUS_CODES: Final[dict[Reason, grpc.StatusCode]] = {
    reason: grpc.StatusCode[meaning.grpc_code] for reason, meaning in MEANINGS.items()
}

_STATUS: Final = {
    Status.ACTIVE: pb.SUBSCRIPTION_STATUS_ACTIVE,
    Status.CANCELLED: pb.SUBSCRIPTION_STATUS_CANCELLED,
    Status.INACTIVE: pb.SUBSCRIPTION_STATUS_INACTIVE,
}
_PERIOD: Final = {
    Period.DAY: pb.FREQUENCY_PERIOD_DAY,
    Period.WEEK: pb.FREQUENCY_PERIOD_WEEK,
    Period.MONTH: pb.FREQUENCY_PERIOD_MONTH,
    Period.YEAR: pb.FREQUENCY_PERIOD_YEAR,
}
_PERIOD_NAMES: Final = {value: period.name.lower() for period, value in _PERIOD.items()}
_ACTION: Final = {
    Action.CANCEL: pb.ACTION_CANCEL,
    Action.SKIP: pb.ACTION_SKIP,
    Action.REACTIVATE: pb.ACTION_REACTIVATE,
    Action.CHANGE_NEXT_ORDER_DATE: pb.ACTION_CHANGE_NEXT_ORDER_DATE,
    Action.CHANGE_FREQUENCY: pb.ACTION_CHANGE_FREQUENCY,
    Action.CHANGE_QUANTITY: pb.ACTION_CHANGE_QUANTITY,
    Action.SEND_NOW: pb.ACTION_SEND_NOW,
    Action.CHANGE_RENEWAL: pb.ACTION_CHANGE_RENEWAL,
}


class ChangeRequest(Protocol):
    """What every catalogue action's request has."""

    @property
    def subscription_id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def request_id(self) -> str: ...
    @property
    def context(self) -> pb.ActionContext: ...


ResponseT = TypeVar("ResponseT")
# Every catalogue RPC answers its own message (buf STANDARD) of the same two fields.
ChangeResponse = TypeVar(
    "ChangeResponse",
    pb.ReactivateSubscriptionResponse,
    pb.ChangeNextOrderDateResponse,
    pb.ChangeFrequencyResponse,
    pb.ChangeQuantityResponse,
    pb.SendNextOrderNowResponse,
    pb.ChangeRenewalResponse,
)
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class ActionsServicer(actions_pb2_grpc.ActionsServiceServicer):
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
            )

        return await self._serve("GetSubscriptions", context, run)

    async def CancelSubscription(
        self, request: pb.CancelSubscriptionRequest, context: Context
    ) -> pb.CancelSubscriptionResponse:
        fields = {"reason_code": request.reason_code, "reason_details": request.reason_details}
        result = await self._run("CancelSubscription", context, Action.CANCEL, request, fields)
        return pb.CancelSubscriptionResponse(
            subscription=subscription_message(result.view), summary=result.summary
        )

    async def SkipNextOrder(
        self, request: pb.SkipNextOrderRequest, context: Context
    ) -> pb.SkipNextOrderResponse:
        fields = {"order_id": request.order_id, "expected_date": request.expected_date}
        result = await self._run("SkipNextOrder", context, Action.SKIP, request, fields)
        skipped, new_next = result.target, result.view.next_order
        return pb.SkipNextOrderResponse(
            subscription=subscription_message(result.view),
            skipped_order_id=skipped.order_id if skipped else "",
            previous_next_order_time=_timestamp(skipped.place_at if skipped else None),
            next_order_time=_timestamp(new_next.place_at if new_next else None),
            summary=result.summary,
        )

    # --- the catalogue's actions: each names its fields; `_change` does the rest --------------

    async def ReactivateSubscription(
        self, request: pb.ReactivateSubscriptionRequest, context: Context
    ) -> pb.ReactivateSubscriptionResponse:
        fields = _frequency_fields(request.frequency, "") | {
            "first_order_date": request.first_order_date
        }
        return await self._change(
            pb.ReactivateSubscriptionResponse,
            "ReactivateSubscription",
            context,
            Action.REACTIVATE,
            request,
            fields,
        )

    async def ChangeNextOrderDate(
        self, request: pb.ChangeNextOrderDateRequest, context: Context
    ) -> pb.ChangeNextOrderDateResponse:
        fields = {"order_date": request.order_date, "expected_date": request.expected_date}
        return await self._change(
            pb.ChangeNextOrderDateResponse,
            "ChangeNextOrderDate",
            context,
            Action.CHANGE_NEXT_ORDER_DATE,
            request,
            fields,
        )

    async def ChangeFrequency(
        self, request: pb.ChangeFrequencyRequest, context: Context
    ) -> pb.ChangeFrequencyResponse:
        fields = _frequency_fields(request.frequency, "") | _frequency_fields(
            request.expected_frequency, "expected_"
        )
        return await self._change(
            pb.ChangeFrequencyResponse,
            "ChangeFrequency",
            context,
            Action.CHANGE_FREQUENCY,
            request,
            fields,
        )

    async def ChangeQuantity(
        self, request: pb.ChangeQuantityRequest, context: Context
    ) -> pb.ChangeQuantityResponse:
        fields = {
            "quantity": str(request.quantity),
            "expected_quantity": str(request.expected_quantity),
        }
        return await self._change(
            pb.ChangeQuantityResponse,
            "ChangeQuantity",
            context,
            Action.CHANGE_QUANTITY,
            request,
            fields,
        )

    async def SendNextOrderNow(
        self, request: pb.SendNextOrderNowRequest, context: Context
    ) -> pb.SendNextOrderNowResponse:
        fields = {
            "expected_order_id": request.expected_order_id,
            "expected_date": request.expected_date,
            "expected_subscriptions": ",".join(sorted(set(request.expected_subscriptions))),
        }
        return await self._change(
            pb.SendNextOrderNowResponse,
            "SendNextOrderNow",
            context,
            Action.SEND_NOW,
            request,
            fields,
        )

    async def ChangeRenewal(
        self, request: pb.ChangeRenewalRequest, context: Context
    ) -> pb.ChangeRenewalResponse:
        fields = {
            "renewal_behavior": request.renewal_behavior,
            "expected_renewal_behavior": request.expected_renewal_behavior,
        }
        return await self._change(
            pb.ChangeRenewalResponse,
            "ChangeRenewal",
            context,
            Action.CHANGE_RENEWAL,
            request,
            fields,
        )

    async def _change(
        self,
        response: Callable[..., ChangeResponse],
        method: str,
        context: Context,
        action: Action,
        request: ChangeRequest,
        fields: dict[str, str],
    ) -> ChangeResponse:
        result = await self._run(method, context, action, request, fields)
        return response(subscription=subscription_message(result.view), summary=result.summary)

    async def _run(
        self,
        method: str,
        context: Context,
        action: Action,
        request: ChangeRequest,
        fields: dict[str, str],
    ) -> ActionResult:
        command = ChangeCommand(
            action,
            request.subscription_id,
            request.customer_id,
            fields,
            request_id=request.request_id,
            context=_context(request.context),
        )
        return await self._serve(method, context, lambda: self._use_cases.change(command))

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
        product=pb.Product(
            product_id=product.product_id,
            name=product.name,
            sku=product.sku,
            image_url=product.image_url,
        ),
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
    )


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


def _frequency_fields(frequency: pb.Frequency, prefix: str) -> dict[str, str]:
    return {
        f"{prefix}every": str(frequency.every),
        f"{prefix}period": _PERIOD_NAMES.get(frequency.period, ""),
    }


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
