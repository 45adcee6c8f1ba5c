"""The service's own metrics (the instrumentations add theirs): RPCs by method and outcome,
calls to Ordergroove and Gladly by status class, the timeline outbox's backlog, and the
action records still open.

Instruments come from the global meter provider, installed at start by `common.telemetry`;
until then (and in programs without it) they record nothing.
"""

from __future__ import annotations

from typing import Final

from opentelemetry import metrics

from common.telemetry import attributes

_meter = metrics.get_meter("actions-service")

RPC_DURATION: Final = _meter.create_histogram(
    "actions.rpc.duration",
    unit="s",
    description="Time to answer an RPC, by rpc.method and actions.outcome (ok or the reason).",
)
RPC_ACTIVE: Final = _meter.create_up_down_counter(
    "actions.rpc.active", unit="{request}", description="RPCs being served now, by rpc.method."
)
UPSTREAM_REQUESTS: Final = _meter.create_counter(
    "actions.upstream.requests",
    unit="{request}",
    description="Requests sent to Ordergroove and Gladly (each attempt), by upstream.system "
    "and upstream.status_class (2xx..5xx, or error when no answer came).",
)
UPSTREAM_RETRIES: Final = _meter.create_counter(
    "actions.upstream.retries",
    unit="{retry}",
    description="Retries of requests to Ordergroove and Gladly, by upstream.system.",
)
OUTBOX_BACKLOG: Final = _meter.create_gauge(
    "actions.outbox.backlog",
    unit="{entry}",
    description="Timeline entries waiting to be delivered to Gladly (shared by all replicas).",
)
OUTBOX_OLDEST_AGE: Final = _meter.create_gauge(
    "actions.outbox.oldest_age",
    unit="s",
    description="Age of the oldest timeline entry waiting to be delivered; 0 when none waits.",
)

RECORDS_OPEN: Final = _meter.create_gauge(
    "actions.records.open",
    unit="{record}",
    description="Action records still open (being attempted, or waiting for a retry or the "
    "settler), shared by all replicas.",
)
RECORDS_OLDEST_OPEN_AGE: Final = _meter.create_gauge(
    "actions.records.oldest_open_age",
    unit="s",
    description="Age of the oldest open action record; 0 when none is open.",
)


def status_class(status: int | None) -> str:
    return "error" if status is None else f"{status // 100}xx"


def upstream_request(system: str, status: int | None) -> None:
    UPSTREAM_REQUESTS.add(
        1,
        {
            attributes.UPSTREAM_SYSTEM: system,
            attributes.UPSTREAM_STATUS_CLASS: status_class(status),
        },
    )
