"""gRPC servers and channels traced by the gRPC instrumentation (aio interceptors).

The interceptors carry W3C `traceparent` in the call's metadata, so the service's server span is
a child of the gateway's client span. Health checks are left out: probes every few seconds would
bury the actions.
"""

from __future__ import annotations

from typing import Any

import grpc
from opentelemetry.instrumentation.grpc import (
    aio_client_interceptors,
    aio_server_interceptor,
    filters,
)
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.trace import Span


def server_interceptor() -> grpc.aio.ServerInterceptor:
    # The instrumentation ships without annotations.
    interceptor: grpc.aio.ServerInterceptor = aio_server_interceptor(  # type: ignore[no-untyped-call]
        filter_=filters.negate(filters.health_check())
    )
    return interceptor


def client_interceptors(target: str) -> list[grpc.aio.ClientInterceptor]:
    """Client spans for calls to `target`, named by the server they go to (`server.address`,
    which the instrumentation itself does not know)."""
    address, port = server_of(target)

    def name_server(span: Span, _request: Any) -> None:
        span.set_attribute(SERVER_ADDRESS, address)
        if port is not None:
            span.set_attribute(SERVER_PORT, port)

    interceptors: list[grpc.aio.ClientInterceptor] = aio_client_interceptors(  # type: ignore[no-untyped-call]
        filter_=filters.negate(filters.health_check()), request_hook=name_server
    )
    return interceptors


def server_of(target: str) -> tuple[str, int | None]:
    """Host and port of a gRPC target: `host:port`, `dns:///host:port`, `[::1]:port`; a list of
    addresses (`ipv4:a:1,b:2`) is named as given, without a port."""
    authority = target.rsplit("/", 1)[-1]
    host, separator, port = authority.rpartition(":")
    if "," in authority or not separator or not port.isdigit():
        return authority.strip("[]"), None
    return host.strip("[]"), int(port)
