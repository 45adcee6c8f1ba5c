"""The record of recent API requests, so tests can count what a client really sent."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Final

# The most recent requests only: a sandbox left running under load must not grow without bound.
MAX_ENTRIES: Final = 10_000


@dataclass
class Entry:
    method: str
    path: str
    query: str
    # None until answered; 499 for a request that hung until the client gave up.
    status: int | None = None
    # The body as sent (as text): two writes to one path may differ only in it.
    body: str = ""
    # When the sandbox served it (did, or refused, what it asks), counted over all requests;
    # None when it never did (a fault answered first). An operation runs in one step of the
    # event loop, so among writes this is the order the data changed in. The journal's own
    # order is arrival, which may differ (a fault's latency, a body still in transit).
    performed: int | None = None
    # What the operation itself answered: `status` but for a fault answered after it (whose
    # client never learns whether the write applied). None when it never ran.
    outcome: int | None = None


class Journal:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.entries: deque[Entry] = deque(maxlen=max_entries)
        self._performed = itertools.count(1)

    def record(self, method: str, path: str, query: str) -> Entry:
        """Recorded on arrival, so a request that never gets an answer still counts."""
        entry = Entry(method, path, query)
        self.entries.append(entry)
        return entry

    def performed(self, entry: Entry, outcome: int) -> None:
        """`entry`'s operation has just run, answering `outcome`: it takes the next place in the
        order of operations."""
        entry.performed = next(self._performed)
        entry.outcome = outcome

    def clear(self) -> None:
        self.entries.clear()

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.entries]
