"""The trace id every answer and every error body names, so an operator can find the request.

For now each request gets its own random id; wiring OpenTelemetry in later only changes
`current_trace_id` (to the active span's trace id) and leaves every caller as it is.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACE_ID_HEADER = "X-Trace-Id"

_trace_id: ContextVar[str] = ContextVar("gateway_trace_id", default="")


def current_trace_id() -> str:
    """The id of the request being served (32 lower-case hex digits, like a W3C trace id)."""
    trace_id = _trace_id.get()
    if not trace_id:
        trace_id = secrets.token_hex(16)
        _trace_id.set(trace_id)
    return trace_id


class TraceIdMiddleware:
    """Gives each request a fresh trace id and echoes it in the `X-Trace-Id` answer header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = secrets.token_hex(16)
        # Not reset afterwards: each request runs in its own task (and so its own context), and
        # the outermost error handler still has to name this id after the app has raised.
        _trace_id.set(trace_id)

        async def send_with_trace_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[TRACE_ID_HEADER] = trace_id
            await send(message)

        await self.app(scope, receive, send_with_trace_id)
