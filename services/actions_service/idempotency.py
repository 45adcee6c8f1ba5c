"""The rules of an action record — without I/O (its types are in `store/rows.py`).

An action record is keyed by its `request_id` and moves through these states:

    (none) ──claim──▶ PENDING ──recovery point──▶ WRITING ──answer──▶ DONE
                         │                           │      ╲
                         └──────── refusal ──────────┴──────▶ REFUSED
                         │                           │
                         └── settler: not applied ───┴──────▶ NOT_APPLIED

A record is worked on only by the holder of its lease. A failure that leaves the action unsettled
releases the lease (a crash lets it expire); the next attempt with the same request id takes the
record over: from PENDING it starts afresh (nothing was written), from WRITING it reconciles with
Ordergroove before anything else, because the write may or may not have happened. DONE and
REFUSED are final and answered to every repeat until the record expires.

A record that no retry takes over is settled in the background (`settler`): the settler takes
its lease like any attempt, reads Ordergroove as a retry would, and completes it (reconciled) or
closes it as NOT_APPLIED — final too, answered to repeats as `ACTION_NOT_APPLIED` — without ever
sending the write: by then the agent has moved on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import Enum
from typing import Final

from actions.contract import MEANINGS
from services.actions_service.errors import Reason
from services.actions_service.store.rows import OPEN_STATES, ActionRecord

# The answers that are decided for good and stored; anything else leaves the action open.
FINAL_REFUSALS: Final = frozenset(Reason(r) for r, meaning in MEANINGS.items() if meaning.final)


class Decision(Enum):
    RUN = "run"  # this attempt holds the lease: do (or resume) the work
    REPLAY = "replay"  # answer the stored result
    BUSY = "busy"  # another attempt holds the lease: wait for it
    REUSED = "reused"  # the request id belongs to a different request


def decide(record: ActionRecord, fingerprint: str, owner: str) -> Decision:
    """What an attempt does with the record its claim returned."""
    if record.fingerprint != fingerprint:
        return Decision.REUSED
    if record.state not in OPEN_STATES:
        return Decision.REPLAY
    if record.lease_owner == owner:
        return Decision.RUN
    return Decision.BUSY


def is_final_refusal(reason: Reason) -> bool:
    return reason in FINAL_REFUSALS


def fingerprint(action: str, payload: Mapping[str, str]) -> str:
    """The same request gives the same fingerprint, whatever the order of its fields."""
    canonical = json.dumps({"action": action, **payload}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def actor(agent_id: str, caller: str) -> str:
    """Who asked, for the audit log: the agent, else the calling service, else "internal"."""
    if agent_id:
        return f"agent:{agent_id}"
    if caller:
        return f"service:{caller}"
    return "internal"
