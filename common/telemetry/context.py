"""The current trace as ids and as a W3C `traceparent`, for error answers, logs and the outbox."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_W3C = TraceContextTextMapPropagator()


def current_trace_id() -> str:
    """The current span's trace id (32 lower-case hex digits), or "" outside any span."""
    context = trace.get_current_span().get_span_context()
    return format_trace_id(context.trace_id) if context.is_valid else ""


def current_traceparent() -> str:
    """The current span as a `traceparent` value, to be stored and linked to later."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent", "")


def link_to(traceparent: str) -> list[Link]:
    """A link to the span a stored `traceparent` names; none when it names none."""
    if not traceparent:
        return []
    span_context = trace.get_current_span(_W3C.extract({"traceparent": traceparent}, Context()))
    context = span_context.get_span_context()
    return [Link(context)] if context.is_valid else []
