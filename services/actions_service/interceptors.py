"""The service's gRPC interceptors: bearer tokens, the gate that holds calls until the store is
ready, and the answer to request bytes that do not decode."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError

from services.actions_service import callers
from services.actions_service.observe import trace_trailer

# Probes must work without a token: health is the only unauthenticated service.
_UNAUTHENTICATED_PREFIX = "/grpc.health.v1.Health/"

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without `authorization: Bearer <one of the tokens>` (constant-time compare),
    and runs the others as the caller that token names (for the audit log)."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._expected = [f"Bearer {token}".encode() for token in tokens]
        self._names = [callers.name_of_token(token) for token in tokens]

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        metadata = handler_call_details.invocation_metadata
        if handler_call_details.method.startswith(_UNAUTHENTICATED_PREFIX):
            # Probes carry no token; a caller that presents one (the gateway's readiness) learns
            # whether it is good, so a wrong token shows before the first real call.
            if _presented(metadata) and self._caller(metadata) is None:
                return _refusal(handler)
            return handler
        caller = self._caller(metadata)
        if caller is None:
            return _refusal(handler)
        return _as_caller(handler, caller)

    def _caller(self, metadata: Any) -> str | None:
        """The name of the token presented, or None when it is none of ours."""
        presented = _presented(metadata).encode()
        # Compare against every token so the time taken does not reveal which one was close.
        matches = [hmac.compare_digest(presented, expected) for expected in self._expected]
        return next((name for name, hit in zip(self._names, matches, strict=True) if hit), None)


def _presented(metadata: Any) -> str:
    """The `authorization` metadata, or "" when there is none."""
    return next((str(value) for key, value in metadata or () if key == "authorization"), "")


def _as_caller(handler: Handler, caller: str) -> Handler:
    if handler.unary_unary is None:
        return handler  # every RPC of the Actions service is unary
    # Typed for sync servers; in grpc.aio the behavior is a coroutine function.
    behavior: Any = handler.unary_unary

    async def run(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        with callers.calling_as(caller):
            return await behavior(request, context)

    return grpc.unary_unary_rpc_method_handler(
        run,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _refusal(
    handler: Handler,
    code: grpc.StatusCode = grpc.StatusCode.UNAUTHENTICATED,
    message: str = "A valid 'authorization: Bearer <token>' is required.",
) -> Handler:
    async def refuse(_request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(code, message, trace_trailer())

    async def refuse_stream(
        _requests: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        # A streaming behavior must be an async generator (reflection is one): grpc.aio iterates
        # it, and a plain coroutine would fail as UNKNOWN instead of refusing.
        await refuse(None, context)
        yield  # never reached: abort raises

    if handler.request_streaming or handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse_stream)
    return grpc.unary_unary_rpc_method_handler(refuse)


class StartingGate(grpc.aio.ServerInterceptor):
    """Answers UNAVAILABLE to every call but health until the store is ready (`opened`): until
    then the service serves only its health, which says NOT_SERVING."""

    def __init__(self) -> None:
        self.opened = False

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or self.opened:
            return handler
        if handler_call_details.method.startswith(_UNAUTHENTICATED_PREFIX):
            return handler
        return _refusal(
            handler,
            grpc.StatusCode.UNAVAILABLE,
            "The service is starting: its action store is not reachable yet.",
        )


class _Undecodable:
    """Stands for request bytes that are no message of the method's type."""


class MalformedMessageInterceptor(grpc.aio.ServerInterceptor):
    """Answers INVALID_ARGUMENT to request bytes that do not decode: they are bad input, not a
    failure of ours (grpc.aio would answer UNKNOWN and log a traceback)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is None:
            return handler  # streams (reflection, health Watch) decode their messages themselves
        decode = handler.request_deserializer
        behavior: Any = handler.unary_unary

        def tolerant_decode(raw: bytes) -> Any:
            try:
                return decode(raw)
            except DecodeError:
                return _Undecodable()

        async def run(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if isinstance(request, _Undecodable):
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "The request is not a valid protobuf message of this method.",
                    trace_trailer(),
                )
            return await behavior(request, context)

        return grpc.unary_unary_rpc_method_handler(
            run,
            request_deserializer=tolerant_decode,
            response_serializer=handler.response_serializer,
        )
