"""The Prometheus scrape endpoint: the meter provider's Prometheus reader fills the default
registry; the gateway answers it on its own port (`GET /metrics`), the service on its own
listener (`METRICS_LISTEN`)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest, start_http_server

from common.config import Address, ConfigError

CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition() -> bytes:
    """The current metrics in Prometheus' text format."""
    return generate_latest(REGISTRY)


def serve(address: Address) -> Callable[[], None]:
    """Serve `/metrics` on `address` from a background thread; returns how to stop it."""
    try:
        server, thread = start_http_server(address.port, address.host)
    except OSError as error:
        raise ConfigError(f"METRICS_LISTEN: cannot listen on {address}: {error.strerror}") from None

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return stop
