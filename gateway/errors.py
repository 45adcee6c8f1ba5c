"""Every error answer of the gateway: Gladly's `{"errors": [...]}` shape, each naming the trace id.

The gRPC → HTTP status table lives here and only here. Reasons an agent can act on (pick another
subscription, open a conversation, fix the input, read Ordergroove's refusal) are answered 400, so
that Gladly shows the message and keeps the form open; every other failure takes the status of the
table and, unless the service explained it, a generic text: internals never reach Gladly.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any, Final

import grpc
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from actions.contract import MEANINGS
from common.telemetry.context import current_trace_id
from gateway.rpc import RpcFailure
from gateway.wire import ErrorItem, Errors, InvalidRequest, WireResponse

# grpc-gateway v2 and Envoy agree on this table (reference/grpc-http-otel.md), but for
# UNAUTHENTICATED.
HTTP_STATUS: Final[Mapping[grpc.StatusCode, int]] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    # Not 401: to Gladly a 401 means its signature is bad. The service refusing the gateway's
    # own token is a fault of ours (logged by gateway.rpc for the operator).
    grpc.StatusCode.UNAUTHENTICATED: 500,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

# From the contract's one table of reasons (`MEANINGS`): the reasons an agent can act on
# (answered 400 whatever their gRPC code), and every reason's title.
AGENT_ACTIONABLE: Final[Mapping[str, str]] = {
    reason: meaning.title for reason, meaning in MEANINGS.items() if meaning.http_status == 400
}
_TITLES: Final[Mapping[str, str]] = {reason: meaning.title for reason, meaning in MEANINGS.items()}
_HTTP_STATUS: Final[Mapping[str, int]] = {
    reason: meaning.http_status for reason, meaning in MEANINGS.items()
}
_GENERIC_DETAILS: Final[Mapping[int, str]] = {
    400: "The request is not valid.",
    503: "The actions service is not available right now; please try again shortly.",
    504: "The request did not complete within its deadline; please try again.",
}
_DEFAULT_DETAIL: Final = "Something went wrong on our side; please try again later."


def phrase(status: int) -> str:
    """The reason phrase, also for 499 (nginx's, which Python does not know)."""
    if status == 499:
        return "Client Closed Request"
    return http.HTTPStatus(status).phrase


def error_item(message: str, detail: str, attr: str = "") -> ErrorItem:
    """`attr`: the form field the error is about (Gladly marks it)."""
    return ErrorItem(message=message, detail=detail, trace_id=current_trace_id(), attr=attr)


def errors_response(status: int, items: list[ErrorItem]) -> Response:
    return WireResponse(Errors(errors=items), status_code=status)


def error_response(status: int, message: str, detail: str, attr: str = "") -> Response:
    return errors_response(status, [error_item(message, detail, attr)])


def http_status(failure: RpcFailure) -> int:
    if failure.reason in _HTTP_STATUS:
        return _HTTP_STATUS[failure.reason]
    return HTTP_STATUS.get(failure.code, 500)


def failure_response(failure: RpcFailure, attrs: Mapping[str, str] | None = None) -> Response:
    """The answer for a failed gRPC call; `attrs` names the form field of a request field."""
    status = http_status(failure)
    title = _TITLES.get(failure.reason) or phrase(status)
    if failure.violations:
        attrs = attrs or {}
        items = []
        for violation in failure.violations:
            attr = attrs.get(violation.field, "")
            # Named as the agent knows the field: by its form attr when it has one.
            detail = f"{attr or violation.field} {violation.description}."
            items.append(error_item("Invalid input", detail, attr))
        return errors_response(status, items)
    # Only the service's own explanations are shown; a bare status may carry internals.
    detail = failure.message if failure.reason else _GENERIC_DETAILS.get(status, _DEFAULT_DETAIL)
    return error_response(status, title, detail)


# --- Starlette exception handlers ---------------------------------------------------------------


async def on_rpc_failure(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RpcFailure)
    return failure_response(exc)


async def on_invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidRequest)
    return error_response(400, "Invalid request", exc.detail, exc.attr)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = error_response(exc.status_code, phrase(exc.status_code), str(exc.detail))
    if exc.headers:  # e.g. `Allow` of a 405
        response.headers.update(exc.headers)
    return response


async def on_unexpected(request: Request, exc: Exception) -> Response:
    return error_response(500, "Internal Server Error", _DEFAULT_DETAIL)


EXCEPTION_HANDLERS: Final[Mapping[Any, Any]] = {
    RpcFailure: on_rpc_failure,
    InvalidRequest: on_invalid_request,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
