"""Tracer and meter providers for one process, configured by the standard OTEL_* variables.

`TelemetrySettings` reads the trace exporter (`OTEL_TRACES_EXPORTER`: otlp, console or none), the
OTLP protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`: http/protobuf or grpc) and the endpoint
(`OTEL_EXPORTER_OTLP_ENDPOINT`), handed to the exporter here; the SDK itself reads
`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the sampler and the exporter's headers. Nothing
here writes to the environment. Metrics are read by Prometheus. Log records are stamped with the
trace they belong to. The instrumentations use the global providers set here, and record no
credential header (`SENSITIVE_HEADERS`) even when an operator has them capture request headers
(the gateway's middleware is given the list, the outbound clients redact in their hooks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation._semconv import (
    _OpenTelemetrySemanticConventionStability,
    _OpenTelemetryStabilitySignalType,
    _StabilityMode,
)
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from common.config import TelemetrySettings

log = logging.getLogger(__name__)

# Credentials, in both directions: Gladly's signature and cookies on the gateway's requests,
# Ordergroove's `x-api-key` and Gladly's Basic `authorization` on the service's. Their values are
# never recorded, even when an operator asks for request headers on spans
# (OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_{SERVER,CLIENT}_REQUEST). Each name is a regex
# searched in the header name, as the instrumentations read the list.
SENSITIVE_HEADERS: Final = ("authorization", "gladly-authorization", "cookie", "x-api-key")


@dataclass(frozen=True)
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def shutdown(self) -> None:
        """Export what is still batched; called when the program stops gracefully."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


_configured: Telemetry | None = None


def configure(
    settings: TelemetrySettings,
    service_name: str,
    *,
    span_processors: Sequence[SpanProcessor] = (),
    metric_readers: Sequence[MetricReader] = (),
) -> Telemetry:
    """Install the process's providers; `service_name` unless OTEL_SERVICE_NAME says otherwise.

    The OpenTelemetry globals can be set once per process, so the first call wins and later
    calls return it (tests pass their in-memory processor and reader in that first call).
    """
    global _configured
    if _configured is not None:
        return _configured
    use_stable_http_conventions()
    resource = _resource(service_name)
    tracer_provider = TracerProvider(resource=resource)
    exporter = _span_exporter(settings)
    if exporter is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    for processor in span_processors:
        tracer_provider.add_span_processor(processor)
    meter_provider = MeterProvider(
        resource=resource, metric_readers=[PrometheusMetricReader(), *metric_readers]
    )
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    # Log records get the trace and span ids (for `logs.JsonFormatter`); logs stay lines on
    # stderr rather than OpenTelemetry log records.
    LoggingInstrumentor().instrument(
        tracer_provider=tracer_provider,
        inject_trace_context=True,
        enable_log_auto_instrumentation=False,
    )
    _configured = Telemetry(tracer_provider, meter_provider)
    log.info(
        "traces: %s",
        settings.traces_exporter
        if settings.traces_exporter != "otlp"
        else f"otlp ({settings.otlp_protocol})",
    )
    return _configured


def use_stable_http_conventions() -> None:
    """The instrumentations record the stable HTTP conventions (`url.full`, `server.address`,
    `http.response.status_code`) only when asked, and read the request only from
    OTEL_SEMCONV_STABILITY_OPT_IN. Rather than write that variable, the choice is handed to the
    class that holds it (it has no public setter), after it has read the operator's own, which
    is kept."""
    stability = _OpenTelemetrySemanticConventionStability
    stability._initialize()  # type: ignore[no-untyped-call]
    http = _OpenTelemetryStabilitySignalType.HTTP
    with stability._lock:
        chosen = stability._OTEL_SEMCONV_STABILITY_SIGNAL_MAPPING
        if chosen.get(http, _StabilityMode.DEFAULT) is _StabilityMode.DEFAULT:
            chosen[http] = _StabilityMode.HTTP


def _resource(service_name: str) -> Resource:
    detected = Resource.create()  # OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: service_name}))
    return detected


def _span_exporter(settings: TelemetrySettings) -> SpanExporter | None:
    if settings.traces_exporter == "console":
        return ConsoleSpanExporter()
    if settings.traces_exporter == "otlp":
        if settings.otlp_protocol == "grpc":
            return GrpcSpanExporter(endpoint=otlp_traces_url(settings))
        return HttpSpanExporter(endpoint=otlp_traces_url(settings))
    return None


def otlp_traces_url(settings: TelemetrySettings) -> str | None:
    """Where the exporter sends spans, as the OTLP specification derives it: the traces endpoint
    as it is; else over HTTP the generic endpoint with `/v1/traces` appended, over gRPC the
    generic endpoint itself; None (the exporter's own default) when neither is set."""
    if settings.otlp_traces_endpoint:
        return settings.otlp_traces_endpoint
    if not settings.otlp_endpoint:
        return None
    if settings.otlp_protocol == "grpc":
        return settings.otlp_endpoint
    return f"{settings.otlp_endpoint}/v1/traces"
