"""The small parts of the telemetry: URL redaction, gRPC target names, JSON log lines, and the
gateway spreading calls over the service's replicas (round_robin)."""

from __future__ import annotations

import json
import logging
import os

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation._semconv import (
    _OpenTelemetrySemanticConventionStability,
    _OpenTelemetryStabilitySignalType,
    _StabilityMode,
)
from opentelemetry.trace import SpanKind

from common.config import TelemetrySettings
from common.telemetry.http_client import redact_query
from common.telemetry.logs import JsonFormatter
from common.telemetry.rpc import server_of
from common.telemetry.setup import otlp_traces_url, use_stable_http_conventions
from gateway.rpc import ActionsClient
from services.actions_service.upstream import pooled_client
from tests.stack import running_service, service_settings
from tests.telemetry import Recorded


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("http://og/customers/?email=a%40b.com", "http://og/customers/?email=REDACTED"),
        (
            "http://og/orders/?subscription=1&status=1",
            "http://og/orders/?subscription=REDACTED&status=REDACTED",
        ),
        ("http://og/customers/?email=", "http://og/customers/?email=REDACTED"),
        ("http://og/customers/42/", "http://og/customers/42/"),
    ],
)
def test_query_values_are_redacted(url: str, redacted: str) -> None:
    assert redact_query(url) == redacted


@pytest.mark.parametrize(
    ("path", "params", "sent", "recorded"),
    [
        (
            "/customers/",
            {"email": "a+b@c.com"},
            "http://og/customers/?email=a%2Bb%40c.com",
            "http://og/customers/?email=REDACTED",
        ),
        (
            "/orders/",
            [("customer", "7"), ("status", "1")],
            "http://og/orders/?customer=7&status=1",
            "http://og/orders/?customer=REDACTED&status=REDACTED",
        ),
        ("/customers/42/", None, "http://og/customers/42/", "http://og/customers/42/"),
        (  # a page's `next`: a whole URL, at the client's own host (no other is followed)
            "http://og/orders/?cursor=abc",
            None,
            "http://og/orders/?cursor=abc",
            "http://og/orders/?cursor=REDACTED",
        ),
    ],
)
def test_an_outbound_url_is_recorded_with_its_query_values_redacted(
    path: str, params: dict[str, str] | list[tuple[str, str]] | None, sent: str, recorded: str
) -> None:
    """The URL a client span records (`url.full`) is built beside the URL sent, not parsed back
    from it; a page's `next` (a whole URL) is redacted by parsing."""
    url, as_recorded = pooled_client("http://og/", max_connections=1).url(path, params)
    assert (str(url), as_recorded) == (sent, recorded)


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, None),  # the exporter's own default
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}, "http://c:4318/v1/traces"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "http://c:4317",
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/traces",
            },
            "http://t:4318/traces",
        ),
    ],
)
def test_the_exporter_is_given_the_endpoint_as_the_specification_derives_it(
    env: dict[str, str], url: str | None
) -> None:
    assert otlp_traces_url(TelemetrySettings.from_env(env)) == url


@pytest.mark.parametrize(
    ("target", "server"),
    [
        ("127.0.0.1:50051", ("127.0.0.1", 50051)),
        ("dns:///actions-service:50051", ("actions-service", 50051)),
        ("dns://10.0.0.10/actions-service:50051", ("actions-service", 50051)),
        ("[::1]:50051", ("::1", 50051)),
        ("ipv4:127.0.0.1:1,127.0.0.1:2", ("ipv4:127.0.0.1:1,127.0.0.1:2", None)),
    ],
)
def test_grpc_targets_are_named(target: str, server: tuple[str, int | None]) -> None:
    assert server_of(target) == server


def test_a_log_line_is_json_naming_its_trace(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with trace.get_tracer(__name__).start_as_current_span("work") as span:
        logging.getLogger("test").info("did %s", "it", extra={"rpc.method": "Skip"})
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    context = span.get_span_context()
    assert line["message"] == "did it"
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"
    assert line["rpc.method"] == "Skip"
    assert {"time", "level", "logger", "service"} <= set(line)


async def test_round_robin_spreads_calls_over_replicas(
    ordergroove_url: str, gladly_url: str, telemetry: Recorded
) -> None:
    """With `round_robin`, the gateway's channel holds a connection to every address and takes
    turns; the replicas' server spans show two client connections."""
    settings = service_settings(ordergroove_url, gladly_url)
    async with running_service(settings) as first, running_service(settings) as second:
        target = f"ipv4:127.0.0.1:{first.running.port},127.0.0.1:{second.running.port}"
        client = ActionsClient.connect(target, 3.0, lb_policy="round_robin")
        telemetry.exporter.clear()
        try:
            for _ in range(6):
                await client.list_cancel_reasons()
        finally:
            await client.close()
    served = [s for s in telemetry.spans() if s.kind is SpanKind.SERVER]
    assert len(served) == 6
    assert len({(s.attributes or {}).get("net.peer.port") for s in served}) == 2


def test_the_stable_http_conventions_are_chosen_without_touching_the_environment() -> None:
    before = dict(os.environ)
    use_stable_http_conventions()
    assert dict(os.environ) == before
    stability = _OpenTelemetrySemanticConventionStability
    mode = stability._get_opentelemetry_stability_opt_in_mode(
        _OpenTelemetryStabilitySignalType.HTTP
    )
    assert mode is not _StabilityMode.DEFAULT
