"""Start real servers on 127.0.0.1 port 0 inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serve_asgi(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    async with serve_asgi_built(lambda _: app) as url:
        yield url


@asynccontextmanager
async def serve_asgi_built(build: Callable[[str], ASGIApp]) -> AsyncIterator[str]:
    """Serve the app `build(base_url)` makes, for an app that must know its own URL (the
    Ordergroove sandbox's picture links): the port is bound before the app is built."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # asyncio sets no TCP_NODELAY on sockets it did not create: without it every answer
    # waits for a delayed ACK (about 40 ms on loopback).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        build(url),
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        yield url
    finally:
        server.should_exit = True
        await task
        sock.close()


def free_port() -> int:
    """A loopback port free right now, for a program that must be told where to listen."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until_healthy(url: str, failure: str) -> None:
    """Wait (bounded, 10 s) until the program at `url` answers /healthz, else fail: `failure`."""
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise AssertionError(failure)
