"""Gladly's rate limit: at most N requests per second per HTTP method org-wide.

Gladly's API reference ("Rate limit") documents a 429 over the limit and the headers
`Ratelimit-Limit-Second` and `Ratelimit-Remaining-Second`, sent by the front door with every
answer; it documents no `Retry-After`, so the sandbox sends none (the service honours one when
it comes, and is tested against a server that sends it).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 1.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int


class RateLimiter:
    """A sliding one-second window per method; refused requests do not use up the window."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("the rate limit must be at least 1 request per second")
        self.limit = limit
        self._clock = clock
        self._accepted: defaultdict[str, deque[float]] = defaultdict(deque)

    def take(self, method: str) -> Decision:
        now = self._clock()
        accepted = self._accepted[method]
        while accepted and accepted[0] <= now - WINDOW_SECONDS:
            accepted.popleft()
        if len(accepted) >= self.limit:
            return Decision(allowed=False, limit=self.limit, remaining=0)
        accepted.append(now)
        return Decision(allowed=True, limit=self.limit, remaining=self.limit - len(accepted))

    def reset(self) -> None:
        self._accepted.clear()
