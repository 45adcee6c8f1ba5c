"""The gateway's part of each trace: the server span (ASGI instrumentation), the trace id every
answer names, Gladly's correlation id, and one access log line per request.

`instrumented(app)` wraps the whole Starlette app, its error handlers included, so that every
answer — a 500 too — is made inside the request's span and names its trace id; only the paths
of UNTRACED_PATHS, matched exactly, are served without a span.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.telemetry import attributes
from common.telemetry.context import current_trace_id
from common.telemetry.setup import SENSITIVE_HEADERS

log = logging.getLogger("gateway.access")

TRACE_ID_HEADER: Final = "X-Trace-Id"
CORRELATION_HEADER: Final = "Gladly-Correlation-Id"
# The liveness probe and the scrapes: not traced, and not logged line by line. (/readyz is
# traced: when it fails, its answer names a trace like every other error.) Exact paths: an
# action on a subscription whose id is "metrics" is traced like any other.
UNTRACED_PATHS: Final = frozenset({"/healthz", "/metrics"})

_correlation_id: ContextVar[str] = ContextVar("gladly_correlation_id", default="")


def correlation_id() -> str:
    """Gladly's `Gladly-Correlation-Id` of the request being served, "" when it sent none."""
    return _correlation_id.get()


def instrumented(app: Starlette) -> ASGIApp:
    def span_details(scope: Scope) -> tuple[str, dict[str, Any]]:
        """`POST /gladly/customers/{gladly_customer_id}/…`: one name per route, not per id."""
        method = scope.get("method", "HTTP")
        for route in app.routes:
            if route.matches(scope)[0] is Match.FULL:
                path = str(getattr(route, "path", scope["path"]))
                return f"{method} {path}", {HTTP_ROUTE: path}
        return method, {}

    observed = RequestTelemetry(app)
    traced = OpenTelemetryMiddleware(
        observed,
        default_span_details=span_details,
        # Named here too, so that the gateway never depends on `configure` having run first.
        http_capture_headers_sanitize_fields=list(SENSITIVE_HEADERS),
        exclude_spans=["receive", "send"],
    )

    async def by_path(scope: Scope, receive: Receive, send: Send) -> None:
        # Decided here rather than by the middleware's `excluded_urls`, which are regexes
        # searched in the whole URL and so would also match `/subscriptions/metrics/cancel`.
        if _untraced(scope):
            await observed(scope, receive, send)
        else:
            await traced(scope, receive, send)

    return by_path


def _untraced(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["path"] in UNTRACED_PATHS


class RequestTelemetry:
    """Inside the request's span: notes Gladly's correlation id, names the trace in the
    `X-Trace-Id` answer header, and logs one line when the answer has gone out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        correlation = _correlation_of(scope)
        # Not reset afterwards: each request runs in its own task (and so its own context).
        _correlation_id.set(correlation)
        if correlation:
            trace.get_current_span().set_attribute(attributes.GLADLY_CORRELATION_ID, correlation)
        trace_id = current_trace_id()
        status = 500  # what the server answers when the app fails before it starts an answer

        async def send_with_trace_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if trace_id:
                    MutableHeaders(scope=message)[TRACE_ID_HEADER] = trace_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_trace_id)
        finally:
            _access_line(scope, status, time.perf_counter() - started, correlation)


def _correlation_of(scope: Scope) -> str:
    value = Headers(scope=scope).get(CORRELATION_HEADER, "").strip()
    return value if attributes.valid_correlation_id(value) else ""


def _access_line(scope: Scope, status: int, seconds: float, correlation: str) -> None:
    # The path only: a query string may carry what must not be logged.
    path = scope["path"]
    log.log(
        logging.DEBUG if _untraced(scope) else logging.INFO,
        "%s %s %d",
        scope["method"],
        path,
        status,
        extra={
            "http.request.method": scope["method"],
            "url.path": path,
            "http.response.status_code": status,
            "duration_ms": round(seconds * 1000, 1),
            **attributes.correlation_fields(correlation),
        },
    )
