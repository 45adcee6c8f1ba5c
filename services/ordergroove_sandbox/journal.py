"""The record of recent API requests, so tests can count what a client really sent."""

from __future__ import annotations

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


class Journal:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.entries: deque[Entry] = deque(maxlen=max_entries)

    def record(self, method: str, path: str, query: str) -> Entry:
        """Recorded on arrival, so a request that never gets an answer still counts."""
        entry = Entry(method, path, query)
        self.entries.append(entry)
        return entry

    def clear(self) -> None:
        self.entries.clear()

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.entries]
