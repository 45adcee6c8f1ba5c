"""Gladly's rate limit, kept by all replicas together: `limit` requests per second per method for
the whole organisation, held in the shared store.

Gladly counts requests per method over a sliding second, by when they arrive. The store hands out
the budget in short slots of one second's `1/k`, a few requests each (`share`): a sliding second
(stretched by how much arrival may lag the grant, at most a slot) overlaps at most `k + 2` slots,
so `share * (k + 2)` is kept one below the limit — and Gladly's `Ratelimit-Remaining-Second`
reaches 0 only when something besides us uses the organisation's budget.

What Gladly says is shared too: a 429 or 503 with `Retry-After` makes every replica wait that long
(a 429 without it: Gladly's one-second window), and `Ratelimit-Remaining-Second: 0` the rest of
that second. A request inside an action's deadline waits only while the deadline leaves room for
it; otherwise it fails at once as the upstream being unavailable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from services.actions_service import deadline
from services.actions_service.errors import UpstreamUnavailable
from services.actions_service.store.rate_budget import RateBudgets

# Gladly's window: the sliding second it counts requests in.
WINDOW_SECONDS: Final = 1.0
# A request needs at least this much of its deadline left once its turn comes.
MIN_REQUEST_SECONDS: Final = 0.05


@dataclass(frozen=True)
class Slots:
    seconds: float  # the length of one slot
    share: int  # requests granted per slot


def slots_for(limit: int) -> Slots:
    """Slots whose shares add up to at most `limit - 1` over any window-and-a-slot."""
    share = max(1, limit // 10)
    per_window = (limit - 1) // share - 2  # k: a window overlaps k + 2 slots, stretched
    if per_window < 1:
        raise ValueError("the limit must be at least 4 requests per second")
    return Slots(WINDOW_SECONDS / per_window, share)


class SharedBudget:
    """One upstream's budget per HTTP method, drawn on by every replica sharing the store."""

    def __init__(
        self,
        budgets: RateBudgets,
        system: str,
        limit: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._budgets = budgets
        self._system = system
        self._slots = slots_for(limit)
        self._clock = clock  # wall-clock time: replicas compare slots by it

    async def acquire(self, method: str) -> None:
        """Wait for a grant; raises UpstreamUnavailable if the deadline does not leave room."""
        while True:
            now = self._clock()
            slot = int(now // self._slots.seconds)
            blocked_until = await self._budgets.take(
                self._name(method), slot, self._slots.share, now
            )
            if blocked_until is None:
                return
            next_slot = (slot + 1) * self._slots.seconds
            wait = max(blocked_until, next_slot) - now
            left = deadline.remaining()
            if left is not None and left < wait + MIN_REQUEST_SECONDS:
                raise UpstreamUnavailable(self._system)
            await asyncio.sleep(wait)

    async def observe(
        self, method: str, status: int, retry_after: float | None, remaining: str
    ) -> None:
        """Share what the answer says about the budget with every replica."""
        now = self._clock()
        if retry_after is None and status == 429:
            retry_after = WINDOW_SECONDS
        if retry_after is None and remaining.strip() == "0":
            retry_after = WINDOW_SECONDS
        if retry_after is not None and retry_after > 0:
            await self._budgets.block(self._name(method), now + retry_after)

    def _name(self, method: str) -> str:
        return f"{self._system}:{method}"
