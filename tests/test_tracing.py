"""One action, one trace: the gateway's server span, the gRPC client and server spans, every
Ordergroove and Gladly request; retries and the deadline as events; the timeline delivery as a
trace of its own linked to it; and no secret or customer address anywhere in spans or logs."""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, quote_plus

import grpc
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from actions.v1 import actions_pb2 as pb
from common.config import GatewaySettings
from common.telemetry.logs import JsonFormatter
from gateway.app import create_app
from gateway.gladly_auth import GladlySignature
from services.actions_service.gladly import GladlyClient
from services.actions_service.ordergroove import OrdergrooveClient
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_EMAIL,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)
from tests.servers import serve_asgi
from tests.stack import (
    GLADLY_TOKEN,
    GLADLY_USER,
    OG_API_KEY,
    ServiceHandle,
    action_url,
    add_fault,
    eventually,
    running_service,
    service_settings,
    skip_url,
)
from tests.telemetry import Recorded, trace_id_of

VITAMINS = DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]
SHAMPOO = DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO]
SUBSCRIPTION_ROUTE = (
    "/gladly/customers/{gladly_customer_id}/ordergroove/{og_customer_id}"
    "/subscriptions/{subscription_id}"
)
SKIP_ROUTE = (
    f"POST {SUBSCRIPTION_ROUTE}/skip/orders/{{order_id}}/dates/{{expected_date}}"
    "/submissions/{submission_id}"
)
SKIP_RPC = "/actions.v1.ActionsService/SkipNextOrder"
CANCEL_ROUTE = f"POST {SUBSCRIPTION_ROUTE}/cancel/submissions/{{submission_id}}"
LINKED = f"/gladly/customers/{GLADLY_DEMO}/ordergroove/{DEMO_CUSTOMER_ID}/subscriptions"
DEMO_PHONE = "+15550100100"
BEARER_TOKEN = "bearer-token-for-tracing-tests"
SIGNING_KEY = "signing-key-for-tracing-tests"
CORRELATION_ID = "vXmSEPjVSWCaCMzvjufxZg"


@dataclasses.dataclass(frozen=True)
class Stack:
    gateway: httpx.AsyncClient  # signs as Gladly
    service: ServiceHandle
    ordergroove_port: int


@pytest.fixture
async def stack(
    ordergroove_url: str, unlimited_gladly_url: str, telemetry: Recorded
) -> AsyncIterator[Stack]:
    """Gateway and service with a bearer token between them; Gladly's limit is off (every
    action reads Gladly twice)."""
    settings = service_settings(
        ordergroove_url, unlimited_gladly_url, api_tokens=(BEARER_TOKEN,), deadline_seconds=1.5
    )
    # The gateway waits longer than the service, so the service's own deadline is what ends a
    # call that hangs (and is seen in its span).
    async with running_service(settings) as service:
        gateway_settings = GatewaySettings(
            grpc_target=service.target,
            gladly_signing_keys=(SIGNING_KEY,),
            api_token=BEARER_TOKEN,
            deadline_seconds=5,
        )
        async with (
            serve_asgi(create_app(gateway_settings)) as url,
            httpx.AsyncClient(base_url=url, auth=GladlySignature(SIGNING_KEY), timeout=30) as c,
        ):
            telemetry.exporter.clear()
            yield Stack(c, service, httpx.URL(ordergroove_url).port or 0)


async def test_one_action_is_one_trace_from_gateway_to_ordergroove(
    stack: Stack, ordergroove: httpx.AsyncClient, telemetry: Recorded
) -> None:
    skip = await skip_url(stack.gateway)
    # One read fails once: the retry shows as an event on the action's span.
    await add_fault(ordergroove, method="GET", path="/subscriptions/", status=503, times=1)
    response = await stack.gateway.post(
        skip, json={"agentId": "agent-7"}, headers={"Gladly-Correlation-Id": CORRELATION_ID}
    )
    assert response.status_code == 200, response.text
    trace_id = response.headers["X-Trace-Id"]
    spans = telemetry.trace(trace_id)
    _parent = _parent_in(spans)

    [edge] = _named(spans, SKIP_ROUTE)
    assert edge.kind is SpanKind.SERVER
    assert not _mismatched(
        edge,
        {
            "http.request.method": "POST",
            "http.route": SKIP_ROUTE.removeprefix("POST "),
            "http.response.status_code": 200,
            "gladly.correlation_id": CORRELATION_ID,
        },
    )
    [client] = [s for s in _named(spans, SKIP_RPC) if s.kind is SpanKind.CLIENT]
    assert _parent(client) is edge
    assert not _mismatched(
        client,
        {
            "rpc.system": "grpc",
            "rpc.service": "actions.v1.ActionsService",
            "rpc.method": "SkipNextOrder",
            "rpc.grpc.status_code": 0,
            "server.address": "127.0.0.1",
            "server.port": stack.service.running.port,
        },
    )
    [server] = [s for s in _named(spans, SKIP_RPC) if s.kind is SpanKind.SERVER]
    assert _parent(server) is client
    assert not _mismatched(
        server,
        {
            "rpc.system": "grpc",
            "rpc.method": "SkipNextOrder",
            "actions.action": "skip",
            "actions.subscription_id": VITAMINS,
            "actions.customer_id": DEMO_CUSTOMER_ID,
            "actions.order_id": DEMO_NEXT_ORDER_IDS[Role.VITAMINS],
            "actions.outcome": "ok",
            "actions.attempt.outcome": "done",
            "ordergroove.status": 200,
            "gladly.customer_id": GLADLY_DEMO,
            "gladly.agent_id": "agent-7",
            "gladly.correlation_id": CORRELATION_ID,
        },
    )
    [retry] = [e for e in server.events if e.name == "upstream.retry"]
    assert {
        "upstream.system": "Ordergroove",
        "retry.reason": "503",
        "retry.attempt": 1,
    }.items() <= (dict(retry.attributes or {}).items())

    upstream = [s for s in spans if _parent(s) is server]
    assert upstream and all(s.kind is SpanKind.CLIENT for s in upstream)
    to_ordergroove = [
        s for s in upstream if _attributes(s)["server.port"] == stack.ordergroove_port
    ]
    [write] = [s for s in to_ordergroove if _attributes(s)["http.request.method"] == "PATCH"]
    assert _attributes(write)["http.response.status_code"] == 200
    assert "/skip_subscription/" in str(_attributes(write)["url.full"])
    failed = [s for s in to_ordergroove if _attributes(s)["http.response.status_code"] == 503]
    assert len(failed) == 1
    assert len(to_ordergroove) < len(upstream)  # Gladly was asked too (link, conversation)


async def test_the_timeline_delivery_is_its_own_trace_linked_to_the_action(
    stack: Stack, telemetry: Recorded
) -> None:
    response = await stack.gateway.post(await skip_url(stack.gateway), json={})
    assert response.status_code == 200, response.text
    action_trace = response.headers["X-Trace-Id"]

    async def deliveries() -> list[ReadableSpan]:
        return _named(list(telemetry.spans()), "timeline.deliver")

    await eventually(deliveries)
    [delivery] = await deliveries()
    assert trace_id_of(delivery) != action_trace
    assert delivery.parent is None
    assert [f"{link.context.trace_id:032x}" for link in delivery.links] == [action_trace]
    assert _attributes(delivery)["gladly.customer_id"] == GLADLY_DEMO
    delivery_trace = telemetry.trace(trace_id_of(delivery))
    [post] = [s for s in delivery_trace if _parent_in(delivery_trace)(s) is delivery]
    assert _attributes(post)["http.request.method"] == "POST"
    assert _attributes(post)["http.response.status_code"] == 200


async def test_a_deadline_is_an_event_and_every_error_names_its_trace(
    stack: Stack, ordergroove: httpx.AsyncClient, telemetry: Recorded
) -> None:
    skip = await skip_url(stack.gateway)
    await add_fault(ordergroove, method="GET", path="/subscriptions/", hang=True)
    response = await stack.gateway.post(skip, json={})
    assert response.status_code == 504, response.text
    [error] = response.json()["errors"]
    assert error["traceId"] == response.headers["X-Trace-Id"]
    spans = telemetry.trace(error["traceId"])
    [server] = [s for s in _named(spans, SKIP_RPC) if s.kind is SpanKind.SERVER]
    assert server.status.status_code is StatusCode.ERROR
    assert _attributes(server)["actions.outcome"] == "DEADLINE_EXCEEDED"
    assert "actions.deadline_exceeded" in [e.name for e in server.events]
    # The gateway's client span of the call records the failure too.
    [client] = [s for s in _named(spans, SKIP_RPC) if s.kind is SpanKind.CLIENT]
    assert client.status.status_code is StatusCode.ERROR
    deadline_exceeded = grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
    assert _attributes(client)["rpc.grpc.status_code"] == deadline_exceeded

    # A direct gRPC caller gets the trace id in the trailing metadata, also when refused.
    authorized = (("authorization", f"Bearer {BEARER_TOKEN}"),)
    for metadata, code in (
        (authorized, grpc.StatusCode.INVALID_ARGUMENT),
        ((), grpc.StatusCode.UNAUTHENTICATED),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stack.service.stub.SkipNextOrder(
                pb.SkipNextOrderRequest(subscription_id="", customer_id=DEMO_CUSTOMER_ID),
                metadata=metadata,
            )
        trailers = dict(caught.value.trailing_metadata() or ())
        assert re.fullmatch(r"[0-9a-f]{32}", str(trailers["trace-id"]))
        [refused] = [
            s for s in telemetry.trace(str(trailers["trace-id"])) if s.kind is SpanKind.SERVER
        ]
        assert caught.value.code() is code
        assert _attributes(refused)["rpc.grpc.status_code"] == code.value[0]


async def test_no_secret_or_customer_address_is_recorded(
    stack: Stack, telemetry: Recorded, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole run — lookups by e-mail, both actions, a refused signature, a failed call — and
    then every exported span (attributes, events, links, resource, status) and every log line is
    searched for what must never be recorded."""
    # The programs' level (third-party DEBUG logs, e.g. SQL parameters, are not enabled there).
    caplog.set_level(logging.INFO)
    for level in ("BASIC", "DETAILED"):
        lookup = await stack.gateway.post(
            "/gladly/lookup",
            json={
                "lookupLevel": level,
                "query": {"emails": [DEMO_EMAIL], "phones": [DEMO_PHONE], "id": GLADLY_DEMO},
                "uniqueMatchRequired": False,
            },
        )
        assert lookup.status_code == 200, lookup.text
    skip = await skip_url(stack.gateway)
    assert (await stack.gateway.post(skip, json={})).status_code == 200
    cancel = await stack.gateway.post(
        await action_url(stack.gateway, f"{LINKED}/{SHAMPOO}/cancel"),
        json={"reason": "2", "details": f"call me on {DEMO_PHONE}"},
    )
    assert cancel.status_code == 200, cancel.text
    async with httpx.AsyncClient(base_url=stack.gateway.base_url) as anyone:
        assert (await anyone.post(skip, json={})).status_code == 401

    async def delivered() -> bool:
        return len(_named(list(telemetry.spans()), "timeline.deliver")) == 2

    await eventually(delivered)

    basic = base64.b64encode(f"{GLADLY_USER}:{GLADLY_TOKEN}".encode()).decode()
    secrets = [DEMO_EMAIL, DEMO_PHONE, OG_API_KEY, BEARER_TOKEN, SIGNING_KEY, GLADLY_TOKEN, basic]
    secrets += [quote(secret) for secret in secrets] + [quote_plus(DEMO_PHONE)]  # as in URLs
    recorded = [_span_text(span) for span in telemetry.spans()]
    formatter = JsonFormatter()
    logged = [formatter.format(record) for record in caplog.records]
    assert len(recorded) > 20 and logged
    for secret in secrets:
        assert not [text for text in recorded if secret in text], secret
        assert not [line for line in logged if secret in line], secret
    # The e-mail lookup was made, and is in the trace with its value redacted.
    assert any("email=REDACTED" in text for text in recorded)


@pytest.mark.parametrize("subscription_id", ["metrics", "healthz"])
async def test_an_action_on_a_subscription_named_like_an_untraced_path_is_traced(
    stack: Stack, telemetry: Recorded, subscription_id: str
) -> None:
    response = await stack.gateway.post(
        await action_url(stack.gateway, f"{LINKED}/{subscription_id}/cancel"),
        json={"reason": "2"},
    )
    assert response.status_code >= 400, response.text  # Ordergroove has no such subscription
    [error] = response.json()["errors"]
    assert error["traceId"] == response.headers["X-Trace-Id"]
    [edge] = _named(telemetry.trace(error["traceId"]), CANCEL_ROUTE)
    assert edge.kind is SpanKind.SERVER

    telemetry.exporter.clear()
    for path in ("/healthz", "/metrics"):
        probe = await stack.gateway.get(path)
        assert probe.status_code == 200
        assert "X-Trace-Id" not in probe.headers
    assert not telemetry.spans()


async def test_no_credential_header_is_recorded_even_when_every_header_is_captured(
    ordergroove_url: str,
    gladly_url: str,
    telemetry: Recorded,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An operator may capture every request header on client spans; the service's credentials
    to Ordergroove (`x-api-key`) and Gladly (Basic `authorization`) are recorded only redacted."""
    # Read when a client is instrumented, so before the clients are made; the operator's own
    # list of headers to sanitize names none of the credentials.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", ".*")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", ".*session.*")
    ordergroove = OrdergrooveClient.create(ordergroove_url, OG_API_KEY)
    gladly = GladlyClient.create(gladly_url, GLADLY_USER, GLADLY_TOKEN)
    try:
        with trace.get_tracer(__name__).start_as_current_span("calls") as calls:
            await ordergroove.get_customer(DEMO_CUSTOMER_ID)
            await gladly.linked_customer_id(GLADLY_DEMO)
    finally:
        await ordergroove.aclose()
        await gladly.aclose()

    spans = telemetry.trace(f"{calls.get_span_context().trace_id:032x}")
    clients = [_attributes(s) for s in spans if s.kind is SpanKind.CLIENT]
    assert len(clients) == 2
    assert clients[0]["http.request.header.x_api_key"] == ("[REDACTED]",)
    assert clients[1]["http.request.header.authorization"] == ("[REDACTED]",)
    basic = base64.b64encode(f"{GLADLY_USER}:{GLADLY_TOKEN}".encode()).decode()
    recorded = [_span_text(span) for span in spans]
    for secret in (OG_API_KEY, GLADLY_TOKEN, basic):
        assert not [text for text in recorded if secret in text], secret


def _named(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def _mismatched(span: ReadableSpan, expected: dict[str, Any]) -> dict[str, Any]:
    """The expected attributes the span does not have: {name: (expected, actual)}."""
    actual = _attributes(span)
    return {k: (v, actual.get(k)) for k, v in expected.items() if actual.get(k) != v}


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _parent_in(spans: list[ReadableSpan]) -> Callable[[ReadableSpan], ReadableSpan | None]:
    """`parent(span)`: its parent among `spans` (one trace's), or None."""
    by_id = {s.context.span_id: s for s in spans if s.context is not None}

    def parent(span: ReadableSpan) -> ReadableSpan | None:
        return by_id.get(span.parent.span_id) if span.parent is not None else None

    return parent


def _span_text(span: ReadableSpan) -> str:
    parts: list[Any] = [span.name, span.status.description, span.resource.attributes]
    parts += [span.attributes, [(e.name, e.attributes) for e in span.events]]
    parts += [link.attributes for link in span.links]
    return repr(parts)
