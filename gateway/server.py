"""The `actions-gateway` program: the REST gateway for Gladly, served by uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from common.config import ConfigError, GatewaySettings, default_of
from common.runtime import freeze_startup_heap, listening_socket
from common.telemetry.logs import configure_logging
from common.telemetry.setup import configure
from gateway.app import create_app

EXIT_BAD_CONFIG = 2
# In-flight actions finish within their deadline; a little more lets their answers go out.
GRACEFUL_SHUTDOWN_MARGIN_SECONDS = 5.0
# An idle keep-alive connection is closed after this long (a fronting proxy must give up on an
# idle upstream connection sooner, or it may send a request on a connection being closed).
KEEP_ALIVE_SECONDS = 5
# Connections and requests in progress at once; beyond that new requests are answered 503, so
# that a flood of connections costs the process no more than this.
MAX_CONCURRENCY = 2048
# A request line and headers larger than this are refused (431): the parser sets no limit, so a
# client could otherwise fill memory with header lines while within the read bound. Gladly's
# requests carry a few hundred bytes of headers.
MAX_HEAD_BYTES = 32 * 1024
_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-length: 0\r\nconnection: close\r\n\r\n"
)


def load_settings() -> GatewaySettings:
    settings = GatewaySettings.from_env()
    if not settings.gladly_signing_keys:
        raise ConfigError("GLADLY_SIGNING_KEYS: at least one signing key is required")
    return settings


class ReadBoundedProtocol(HttpToolsProtocol):
    """uvicorn bounds only the idle time between requests: a request whose headers or body
    trickle in (slow loris) would hold its connection for ever. Here each request must arrive
    whole within `read_seconds` of the connection being ready for it, or the connection is
    closed; its head may be at most MAX_HEAD_BYTES (its body is the guard's to bound: 413). The
    time the app takes to answer is not counted (the action deadline bounds it)."""

    read_seconds: float = default_of(GatewaySettings, "request_read_seconds")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None
        # Bytes of the coming request's head received so far; None once its headers are done.
        self._head_bytes: int | None = 0

    @classmethod
    def bounded(cls, read_seconds: float) -> type[ReadBoundedProtocol]:
        return type(cls.__name__, (cls,), {"read_seconds": read_seconds})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # The parser is fed at most what is left of the head's allowance at a time, so that the
        # body bytes read together with the head (one read holds up to 256 KiB) are not counted
        # as head: the parser says where the head ends (`on_headers_complete`).
        while data and self._head_bytes is not None and not self.transport.is_closing():
            allowance = MAX_HEAD_BYTES - self._head_bytes
            if allowance <= 0:  # the head goes on past its limit
                self.transport.write(_HEAD_TOO_LARGE)
                self.transport.close()
                return
            head, data = data[:allowance], data[allowance:]
            self._head_bytes += len(head)
            super().data_received(head)
        if data and not self.transport.is_closing():
            super().data_received(data)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm_read_deadline()
        # What follows is the next request's head; not before: the rest of a body refused
        # early (413) still arrives after its answer.
        self._head_bytes = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_read_deadline()

    def _arm_read_deadline(self) -> None:
        self._disarm_read_deadline()
        self._read_deadline = self.loop.call_later(self.read_seconds, self._read_timed_out)

    def _disarm_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        answering = self.cycle is not None and not self.cycle.response_complete
        if answering and not self.cycle.more_body:
            return  # the request arrived whole (pipelined): the app is answering it
        self.transport.close()


def uvicorn_config(app: Any, settings: GatewaySettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=ReadBoundedProtocol.bounded(settings.request_read_seconds),
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=MAX_CONCURRENCY,
        timeout_graceful_shutdown=int(settings.deadline_seconds + GRACEFUL_SHUTDOWN_MARGIN_SECONDS),
        # Our JSON logging as configured, and our access line (with the trace) instead of
        # uvicorn's.
        log_config=None,
        access_log=False,
    )


def main() -> None:
    try:
        settings = load_settings()
        # With GATEWAY_REUSE_PORT, one gateway process per core listens on the same port and
        # the kernel spreads new connections over them; otherwise a taken port stops it.
        sock = listening_socket(
            "GATEWAY_LISTEN", settings.gateway_listen, share_port=settings.reuse_port
        )
    except ConfigError as error:
        print(f"actions-gateway: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIG)
    configure_logging(settings.log_format, "actions-gateway")
    telemetry = configure(settings, "actions-gateway")
    server = uvicorn.Server(
        uvicorn_config(create_app(settings, on_stopped=telemetry.shutdown), settings)
    )
    # uvicorn stops gracefully on SIGINT/SIGTERM (the lifespan closes the channel and flushes the
    # spans), then re-raises the signal; after Ctrl-C that is a normal stop.
    freeze_startup_heap()
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
