"""A client-side rate limit: at most `limit` requests in any `window` seconds, as the server
counts them.

Gladly counts requests per method over a sliding second, by when they arrive. Arrival lies
somewhere between our send and its answer, so a request holds its place from when it is sent
until `window` after its answer came back: however latency varies, no `limit + 1` requests can
arrive within one window. (A token bucket would let a burst and its refill land in one second.)
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress


class SlidingWindowLimiter:
    def __init__(
        self, limit: int, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._in_flight = 0
        self._answered: deque[float] = deque()  # when recent requests got their answers
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a place for one request while it is sent and answered."""
        await self._acquire()
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._answered.append(self._clock())
                self._changed.notify_all()

    async def _acquire(self) -> None:
        async with self._changed:
            while True:
                now = self._clock()
                while self._answered and self._answered[0] <= now - self._window:
                    self._answered.popleft()
                if self._in_flight + len(self._answered) < self._limit:
                    self._in_flight += 1
                    return
                # Woken by an answer, or when the oldest answer leaves the window.
                wait = self._answered[0] + self._window - now if self._answered else None
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
