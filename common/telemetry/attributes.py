"""The names of our own span attributes, events and metric labels (beside the semantic
conventions' `rpc.*`, `http.*`, `url.*`, `server.*`): what an SRE searches a trace by; and
which correlation ids are fit to be recorded under `gladly.correlation_id`."""

from __future__ import annotations

from typing import Final

ACTION: Final = "actions.action"  # cancel | skip
REQUEST_ID: Final = "actions.request_id"
SUBSCRIPTION_ID: Final = "actions.subscription_id"
CUSTOMER_ID: Final = "actions.customer_id"  # the Ordergroove customer
ORDER_ID: Final = "actions.order_id"
# What the caller was answered: "ok", or the ErrorInfo reason / status code name.
OUTCOME: Final = "actions.outcome"
# What this attempt did to the action record (the audit log's outcome): done, reconciled, ...
ATTEMPT_OUTCOME: Final = "actions.attempt.outcome"
REPLAYED: Final = "actions.replayed"  # a repeat answered from the stored result
DEADLINE_SECONDS: Final = "actions.deadline_seconds"
DELIVERY_ATTEMPT: Final = "actions.delivery.attempt"  # of a timeline entry, from 1

GLADLY_CUSTOMER_ID: Final = "gladly.customer_id"
GLADLY_AGENT_ID: Final = "gladly.agent_id"
GLADLY_CONVERSATION_ID: Final = "gladly.conversation_id"
# Gladly's `Gladly-Correlation-Id` of the request that started the action.
GLADLY_CORRELATION_ID: Final = "gladly.correlation_id"
GLADLY_TIMELINE_ITEM_ID: Final = "gladly.timeline.item_id"

ORDERGROOVE_STATUS: Final = "ordergroove.status"  # HTTP status of the action's write

UPSTREAM_SYSTEM: Final = "upstream.system"  # Ordergroove | Gladly
UPSTREAM_STATUS_CLASS: Final = "upstream.status_class"  # 2xx ... 5xx, or "error"
RETRY_ATTEMPT: Final = "retry.attempt"
RETRY_REASON: Final = "retry.reason"
RETRY_DELAY_SECONDS: Final = "retry.delay_seconds"

# Span events.
EVENT_RETRY: Final = "upstream.retry"
EVENT_RETRY_ABANDONED: Final = "upstream.retry_abandoned"  # the deadline leaves no room
EVENT_DEADLINE_EXCEEDED: Final = "actions.deadline_exceeded"

# The gRPC metadata that carries Gladly's correlation id from the gateway to the service, and
# the trailing metadata that names the trace of a failed call.
CORRELATION_ID_METADATA: Final = "gladly-correlation-id"
TRACE_ID_METADATA: Final = "trace-id"
# A correlation id is Gladly's short token; anything longer is not one and is not recorded.
MAX_CORRELATION_ID: Final = 128


def correlation_fields(correlation: str) -> dict[str, str]:
    """Gladly's correlation id as a log line's field; none when the request carried none."""
    return {GLADLY_CORRELATION_ID: correlation} if correlation else {}


def valid_correlation_id(value: str) -> bool:
    """Whether the value may be recorded as Gladly's correlation id (on spans and log lines);
    the same rule where the gateway reads the header and where the service reads the metadata."""
    return len(value) <= MAX_CORRELATION_ID and value.isprintable()
