"""Process-wide tuning shared by the long-running programs."""

from __future__ import annotations

import gc
import socket

from starlette.requests import Request
from starlette.responses import Response

from common.config import Address, ConfigError


def freeze_startup_heap() -> None:
    """Take what startup made (modules, clients, the store) out of the garbage collector's
    sight. Every full collection otherwise walks all of it: under load that was a 46 ms pause
    every few seconds, and it set the p99 of a lookup (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()


def listening_socket(variable: str, address: Address, *, share_port: bool = False) -> socket.socket:
    """A socket bound to `address`, or a ConfigError naming `variable` (a port in use, an address
    that is not this machine's): bound here, before serving, the program can say so in one line.
    `share_port` (SO_REUSEPORT) lets several processes of one program listen on the same port."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if share_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # Inherited by accepted connections: answers do not wait for a delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((address.host, address.port))
    except OSError as error:
        sock.close()
        raise ConfigError(f"{variable}: cannot listen on {address}: {error.strerror}") from None
    return sock


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client went away before its answer: nothing to send and nothing to report (as an
    unhandled error it logged a traceback at every timeout of a client)."""
    return Response(status_code=499)  # nginx's "client closed request"; no one reads it
