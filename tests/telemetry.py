"""One process-wide telemetry setup for the tests: spans and metrics kept in memory.

The OpenTelemetry globals can be set once per process, and the in-process tests run gateway and
service together, so one provider serves both; tests find their spans by trace id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import format_trace_id

from common.config import TelemetrySettings
from common.telemetry.logs import quiet_chatty_loggers
from common.telemetry.setup import configure


@dataclass(frozen=True)
class Recorded:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()

    def trace(self, trace_id: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if trace_id_of(s) == trace_id]

    def metric_points(self, name: str) -> list[Any]:
        """Every data point of the metric `name`, as the reader collects them now."""
        data = self.reader.get_metrics_data()
        return [
            point
            for resource in (data.resource_metrics if data else [])
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


def install() -> Recorded:
    """Configure telemetry as the programs do, recording in memory; logs as the programs log."""
    quiet_chatty_loggers()
    recorded = Recorded(InMemorySpanExporter(), InMemoryMetricReader())
    configure(
        TelemetrySettings(),
        "tests",
        span_processors=[SimpleSpanProcessor(recorded.exporter)],
        metric_readers=[recorded.reader],
    )
    return recorded


def trace_id_of(span: ReadableSpan) -> str:
    assert span.context is not None
    return format_trace_id(span.context.trace_id)
