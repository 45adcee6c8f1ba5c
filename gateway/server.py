"""The `actions-gateway` program: the REST gateway for Gladly, served by uvicorn."""

from __future__ import annotations

import contextlib
import socket
import sys

import uvicorn

from gateway.app import create_app
from services.config import ConfigError, Settings
from services.runtime import freeze_startup_heap
from services.telemetry.logs import configure_logging
from services.telemetry.setup import configure

EXIT_BAD_CONFIG = 2
# In-flight actions finish within their deadline; a little more lets their answers go out.
GRACEFUL_SHUTDOWN_MARGIN_SECONDS = 5.0


def load_settings() -> Settings:
    settings = Settings.from_env()
    if not settings.gladly_signing_keys:
        raise ConfigError("GLADLY_SIGNING_KEYS: at least one signing key is required")
    return settings


def listening_socket(host: str, port: int) -> socket.socket:
    """SO_REUSEPORT lets one gateway process per core listen on the same port; the kernel
    spreads new connections over them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"actions-gateway: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIG)
    configure_logging()
    telemetry = configure(settings, "actions-gateway")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, on_stopped=telemetry.shutdown),
            timeout_graceful_shutdown=int(
                settings.deadline_seconds + GRACEFUL_SHUTDOWN_MARGIN_SECONDS
            ),
            # Our JSON logging as configured, and our access line (with the trace) instead of
            # uvicorn's.
            log_config=None,
            access_log=False,
        )
    )
    # uvicorn stops gracefully on SIGINT/SIGTERM (the lifespan closes the channel and flushes the
    # spans), then re-raises the signal; after Ctrl-C that is a normal stop.
    listen = settings.gateway_listen
    freeze_startup_heap()
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listening_socket(listen.host, listen.port)])
