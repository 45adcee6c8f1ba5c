"""What the outbound client repeats when a connection fails: only what never reached the server.

A server that reads each request and hangs up without answering is the case a write must never
be repeated in: the request arrived and may have been applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from services.actions_service.errors import UpstreamUnavailable
from services.actions_service.upstream import RetryPolicy, Upstream, pooled_client

FAST_RETRIES = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.001)


@asynccontextmanager
async def hanging_up() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server on a free port that reads each request, then closes the connection unanswered;
    yields its URL and the request lines it read."""
    received: list[bytes] = []

    async def read_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        received.append(head.split(b"\r\n", 1)[0])
        writer.close()

    server = await asyncio.start_server(read_then_hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", received


@asynccontextmanager
async def upstream(url: str) -> AsyncIterator[Upstream]:
    client = Upstream("Ordergroove", pooled_client(url, max_connections=4), FAST_RETRIES)
    try:
        yield client
    finally:
        await client.aclose()


async def test_a_write_whose_connection_dropped_after_sending_is_not_repeated() -> None:
    async with hanging_up() as (url, received), upstream(url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.request("PATCH", "/orders/o1/skip_subscription/", json={})
    assert received == [b"PATCH /orders/o1/skip_subscription/ HTTP/1.1"]


async def test_a_read_whose_connection_dropped_is_repeated() -> None:
    async with hanging_up() as (url, received), upstream(url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.request("GET", "/orders/o1/")
    # Each attempt may be two requests: aiohttp itself sends an idempotent request once more
    # when its connection drops (RFC 9112, 9.3.1.1).
    assert set(received) == {b"GET /orders/o1/ HTTP/1.1"}
    assert FAST_RETRIES.attempts <= len(received) <= 2 * FAST_RETRIES.attempts


async def test_a_write_that_could_not_connect_is_repeated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with hanging_up() as (url, _):
        pass  # the port is closed again: every connection is refused
    caplog.set_level(logging.INFO, logger="services.actions_service.upstream")
    async with upstream(url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.request("PATCH", "/orders/o1/skip_subscription/", json={})
    retries = [r.getMessage() for r in caplog.records if " retry " in r.getMessage()]
    assert len(retries) == FAST_RETRIES.attempts - 1
    assert all(message.endswith("ClientConnectorError") for message in retries)
