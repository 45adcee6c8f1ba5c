"""The gateway's one client of the Actions gRPC service.

Every call carries the action deadline, the bearer token, the trace (`traceparent`, with the
call's client span from `telemetry.rpc.RpcClientSpans`) and Gladly's correlation id; a failed
call is raised as an `RpcFailure` holding the decoded `google.rpc.Status`, so nothing above this
module sees grpc errors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, cast

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2
from starlette.requests import Request

from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from common.telemetry import attributes, rpc
from gateway.tracing import correlation_id

log = logging.getLogger(__name__)

ResponseT = TypeVar("ResponseT", bound=Message)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ActionsService"].full_name
READINESS_TIMEOUT_SECONDS = 1.0
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass(eq=False)
class RpcFailure(Exception):
    """A call that ended with a status other than OK."""

    code: grpc.StatusCode
    message: str
    # `ErrorInfo.reason` of the service's rich status; "" when there is none (e.g. no connection).
    reason: str = ""
    violations: list[FieldViolation] = field(default_factory=list)

    @classmethod
    def from_error(cls, error: grpc.aio.AioRpcError) -> RpcFailure:
        failure = cls(error.code(), error.details() or "")
        for key, value in error.trailing_metadata() or ():
            if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
                failure._add_details(status_pb2.Status.FromString(value))
        return failure

    def _add_details(self, status: status_pb2.Status) -> None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                self.reason = info.reason
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                self.violations += [
                    FieldViolation(v.field, v.description) for v in bad.field_violations
                ]


class ActionResponse(Protocol):
    """What every action's RPC answers besides the subscription read back."""

    @property
    def summary(self) -> str: ...


class ActionsClient:
    def __init__(
        self, channel: grpc.aio.Channel, target: str, deadline_seconds: float, token: str = ""
    ) -> None:
        self._channel = channel
        self._stub = actions_pb2_grpc.ActionsServiceStub(channel)
        self._spans = rpc.RpcClientSpans(target, SERVICE_NAME)
        # The health stubs ship untyped, so the one method needed is bound by hand.
        self._health_check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        self._deadline = deadline_seconds
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()

    @classmethod
    def connect(
        cls, target: str, deadline_seconds: float, token: str = "", *, lb_policy: str
    ) -> ActionsClient:
        """`lb_policy` `round_robin` with a `dns:///host:port` target spreads calls over every
        address the name resolves to (a headless Service's pods) instead of one connection."""
        # No interceptors: the span is made in `_call` (see `telemetry.rpc`). No retries either:
        # the gateway names no retry policy, and the retry layer buffers every call for one.
        channel = grpc.aio.insecure_channel(
            target, options=[("grpc.lb_policy_name", lb_policy), ("grpc.enable_retries", 0)]
        )
        return cls(channel, target, deadline_seconds, token)

    async def close(self) -> None:
        await self._channel.close()

    async def get_subscriptions(
        self, request: pb.GetSubscriptionsRequest, *, deadline_seconds: float | None = None
    ) -> pb.GetSubscriptionsResponse:
        """`deadline_seconds` replaces the action deadline (a lookup has a budget of its own)."""
        return await self._call(
            "GetSubscriptions", request, pb.GetSubscriptionsResponse, deadline_seconds
        )

    async def run_action(self, rpc_name: str, request: Message) -> ActionResponse:
        """An action's RPC, by its name (`<name>Response` is its answer)."""
        response: type[Message] = getattr(pb, f"{rpc_name}Response")
        return cast(ActionResponse, await self._call(rpc_name, request, response))

    async def list_cancel_reasons(self) -> pb.ListCancelReasonsResponse:
        return await self._call(
            "ListCancelReasons", pb.ListCancelReasonsRequest(), pb.ListCancelReasonsResponse
        )

    async def list_swap_products(
        self, request: pb.ListSwapProductsRequest
    ) -> pb.ListSwapProductsResponse:
        return await self._call("ListSwapProducts", request, pb.ListSwapProductsResponse)

    async def ready(self) -> bool:
        """Whether the service answers its health check SERVING, asked with a short timeout.
        The check carries our token, which the service refuses when it is not one of its own:
        a wrong ACTIONS_API_TOKEN makes the gateway not ready instead of failing every call."""
        try:
            response: health_pb2.HealthCheckResponse = await self._health_check(
                health_pb2.HealthCheckRequest(service=SERVICE_NAME),
                timeout=READINESS_TIMEOUT_SECONDS,
                metadata=self._metadata,
            )
        except grpc.aio.AioRpcError as error:
            _log_if_token_refused(error)
            return False
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

    async def _call(
        self,
        rpc_name: str,
        request: Message,
        answer: type[ResponseT],
        deadline_seconds: float | None = None,
    ) -> ResponseT:
        """Calls `rpc_name` of the ActionsService (e.g. "SkipNextOrder"), which answers an
        `answer`. By name, so that its span is named without asking grpc for the method."""
        method: Callable[..., Awaitable[Message]] = getattr(self._stub, rpc_name)
        metadata = self._metadata
        if correlation := correlation_id():
            metadata = (*metadata, (attributes.CORRELATION_ID_METADATA, correlation))
        timeout = self._deadline if deadline_seconds is None else deadline_seconds
        try:
            with self._spans.call(rpc_name, metadata) as traced:
                return cast(ResponseT, await method(request, timeout=timeout, metadata=traced))
        except grpc.aio.AioRpcError as error:
            _log_if_token_refused(error)
            raise RpcFailure.from_error(error) from None


def _log_if_token_refused(error: grpc.aio.AioRpcError) -> None:
    """The service refusing our token is the operator's to fix, not Gladly's: say so here (the
    answer to Gladly is a 500, see gateway.errors)."""
    if error.code() == grpc.StatusCode.UNAUTHENTICATED:
        log.error(
            "the actions service refused the gateway's token: set ACTIONS_API_TOKEN to one of "
            "the service's ACTIONS_API_TOKENS"
        )


def client_of(request: Request) -> ActionsClient:
    """The process's client, opened by the app's lifespan."""
    client: ActionsClient = request.app.state.actions
    return client
