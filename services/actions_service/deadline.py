"""The deadline of the action being served, visible to every outbound call made on its behalf.

gRPC Python does not propagate a server's deadline to the calls it makes, so each RPC runs inside
`deadline(seconds)`: `asyncio.timeout` cancels whatever is still running when time is up, and
`remaining()` lets the HTTP clients give each request only the time that is left and decide
whether another retry still fits. When time runs out, the current span (the RPC's) gets an
`actions.deadline_exceeded` event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from opentelemetry import trace

from common.telemetry import attributes

_expires_at: ContextVar[float | None] = ContextVar("deadline_expires_at", default=None)


class DeadlineExceeded(Exception):
    """The action's deadline passed before it completed."""


@asynccontextmanager
async def deadline(seconds: float) -> AsyncIterator[None]:
    """Run the body within `seconds`; on expiry its work is cancelled, DeadlineExceeded raised."""
    loop = asyncio.get_running_loop()
    expires_at = loop.time() + max(seconds, 0.0)
    outer = _expires_at.get()
    if outer is not None:
        expires_at = min(expires_at, outer)
    token = _expires_at.set(expires_at)
    try:
        async with asyncio.timeout_at(expires_at):
            yield
    except (TimeoutError, DeadlineExceeded):
        # Also when a client's own timeout fired first and saw the deadline gone (the two can
        # fall due in one turn of a busy event loop): the expiry is recorded either way.
        trace.get_current_span().add_event(
            attributes.EVENT_DEADLINE_EXCEEDED, {attributes.DEADLINE_SECONDS: seconds}
        )
        raise DeadlineExceeded from None
    finally:
        _expires_at.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (never negative), or None outside any deadline."""
    expires_at = _expires_at.get()
    if expires_at is None:
        return None
    return max(expires_at - asyncio.get_running_loop().time(), 0.0)
