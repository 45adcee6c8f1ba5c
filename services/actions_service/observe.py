"""What every RPC leaves behind: its answer on the server span, its metrics, one log line.

The span itself is the gRPC instrumentation's; this adds what only the service knows — its
answer (`ok`, or the reason the caller was given: the `actions.outcome` label), Gladly's
correlation id — and names the trace in the trailing metadata of every error, so a caller can
find it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType
from typing import Any, Final

import grpc
from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes.rpc_attributes import RPC_METHOD

from common.telemetry import attributes
from common.telemetry.context import current_trace_id
from services.actions_service import metrics
from services.actions_service.errors import Reason

log = logging.getLogger(__name__)

OK: Final = "ok"
# What an RPC that raised counts as: the status code the caller sees.
CANCELLED: Final = grpc.StatusCode.CANCELLED.name
INTERNAL: Final = grpc.StatusCode.INTERNAL.name
# Answers that are the service's or its upstreams' failure, not the caller's: logged as warnings.
FAILURES: Final = frozenset(
    {Reason.UPSTREAM_UNAVAILABLE, Reason.DEADLINE_EXCEEDED, INTERNAL, CANCELLED}
)


def trace_trailer() -> tuple[tuple[str, str], ...]:
    """The trailing metadata that names the trace of a failed call."""
    trace_id = current_trace_id()
    return ((attributes.TRACE_ID_METADATA, trace_id),) if trace_id else ()


def correlation_id(metadata: Any) -> str:
    """Gladly's correlation id, as the gateway passes it on in the call's metadata."""
    value = next((str(v) for k, v in metadata or () if k == attributes.CORRELATION_ID_METADATA), "")
    return value if attributes.valid_correlation_id(value) else ""


class RpcObservation:
    """`with RpcObservation(method, metadata) as rpc:` around serving one RPC. Set `rpc.answer`
    when it fails (the abort that follows leaves the block by an exception); an exception that
    leaves it otherwise counts as CANCELLED or INTERNAL."""

    def __init__(self, method: str, metadata: Any) -> None:
        self.method = method
        self.correlation_id = correlation_id(metadata)
        self.answer = OK
        self._labels = {RPC_METHOD: method}
        self._started = 0.0

    def __enter__(self) -> RpcObservation:
        self._started = time.perf_counter()
        metrics.RPC_ACTIVE.add(1, self._labels)
        if self.correlation_id:
            trace.get_current_span().set_attribute(
                attributes.GLADLY_CORRELATION_ID, self.correlation_id
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None and self.answer == OK:
            self.answer = CANCELLED if isinstance(exc, asyncio.CancelledError) else INTERNAL
        seconds = time.perf_counter() - self._started
        metrics.RPC_ACTIVE.add(-1, self._labels)
        metrics.RPC_DURATION.record(seconds, {**self._labels, attributes.OUTCOME: self.answer})
        trace.get_current_span().set_attribute(attributes.OUTCOME, self.answer)
        log.log(
            logging.WARNING if self.answer in FAILURES else logging.INFO,
            "%s %s",
            self.method,
            self.answer,
            extra={
                RPC_METHOD: self.method,
                attributes.OUTCOME: self.answer,
                "duration_ms": round(seconds * 1000, 1),
                **attributes.correlation_fields(self.correlation_id),
            },
        )
