"""The metrics move: RPCs by method and outcome, upstream requests by status class and their
retries, the outbox backlog and its age, in-flight requests — and Prometheus can scrape them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.stack import add_fault, eventually, skip_url
from tests.telemetry import Recorded

SKIPPED_OK = {"rpc.method": "SkipNextOrder", "actions.outcome": "ok"}
ORDERGROOVE = {"upstream.system": "Ordergroove"}


def total(telemetry: Recorded, name: str, labels: dict[str, Any]) -> float:
    """The sum (counters) or count (histograms) of the points of `name` with these labels."""
    points = [
        p for p in telemetry.metric_points(name) if labels.items() <= dict(p.attributes).items()
    ]
    return float(sum(p.count if hasattr(p, "count") else p.value for p in points))


async def test_actions_and_upstream_calls_are_counted(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient, telemetry: Recorded
) -> None:
    def counts() -> list[float]:
        return [
            total(telemetry, "actions.rpc.duration", SKIPPED_OK),
            total(telemetry, "actions.upstream.requests", ORDERGROOVE | _class("2xx")),
            total(telemetry, "actions.upstream.requests", ORDERGROOVE | _class("5xx")),
            total(telemetry, "actions.upstream.retries", ORDERGROOVE),
            total(telemetry, "http.server.request.duration", {"http.request.method": "POST"}),
        ]

    skip = await skip_url(gladly_caller)  # the agent opens the form: counted before the skip
    before = counts()
    await add_fault(ordergroove, method="GET", path="/subscriptions/", status=503, times=1)
    assert (await gladly_caller.post(skip, json={})).status_code == 200
    skips, ok_calls, failed_calls, retries, posts = (
        after - earlier for after, earlier in zip(counts(), before, strict=True)
    )
    assert (skips, failed_calls, retries, posts) == (1, 1, 1, 1)
    assert ok_calls >= 5  # customer, subscription, orders, the skip, the re-reads
    in_flight = telemetry.metric_points("actions.rpc.active")
    assert in_flight and all(p.value == 0 for p in in_flight)
    assert telemetry.metric_points("http.server.active_requests")


async def test_the_outbox_backlog_is_measured(
    gladly_caller: httpx.AsyncClient, gladly: httpx.AsyncClient, telemetry: Recorded
) -> None:
    def backlog() -> float:
        [point] = telemetry.metric_points("actions.outbox.backlog")
        return float(point.value)

    skip = await skip_url(gladly_caller)
    # Gladly refuses timeline entries for now: the entry waits, and ages.
    await add_fault(gladly, method="POST", path="/api/v1/customers/", status=503)
    assert (await gladly_caller.post(skip, json={})).status_code == 200

    async def waiting() -> bool:
        [age] = telemetry.metric_points("actions.outbox.oldest_age") or [None]
        return backlog() == 1 and age is not None and age.value > 0

    await eventually(waiting)
    (await gladly.delete("/_sandbox/faults")).raise_for_status()

    async def drained() -> bool:
        return backlog() == 0

    await eventually(drained)


async def test_prometheus_scrapes_the_gateway(
    gladly_caller: httpx.AsyncClient, gateway_url: str
) -> None:
    skip = await skip_url(gladly_caller)
    assert (await gladly_caller.post(skip, json={})).status_code == 200
    async with httpx.AsyncClient(base_url=gateway_url) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in (
        'actions_rpc_duration_seconds_count{actions_outcome="ok"',
        "actions_upstream_requests_total{",
        "actions_rpc_active",
        "actions_outbox_backlog",
        "actions_outbox_oldest_age_seconds",
        "http_server_request_duration_seconds_bucket{",
        "http_server_active_requests",
    ):
        assert name in response.text, name


def _class(status_class: str) -> dict[str, str]:
    return {"upstream.status_class": status_class}
