"""What the store keeps about actions, and the rules of an action record — without I/O.

An action record is keyed by its `request_id` and moves through these states:

    (none) ──claim──▶ PENDING ──recovery point──▶ WRITING ──answer──▶ DONE
                         │                           │      ╲
                         └──────── refusal ──────────┴──────▶ REFUSED
                         │                           │
                         └── settler: not applied ───┴──────▶ NOT_APPLIED

A record is worked on only by the holder of its lease. A failure that leaves the outcome open
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Final

from services.actions_service.errors import MEANINGS, Reason

# How long a request id is remembered: a repeat within this time gets the first outcome.
REQUEST_ID_TTL: Final = timedelta(hours=24)

# The answers that are decided for good and stored; anything else leaves the action open.
FINAL_REFUSALS: Final = frozenset(r for r, meaning in MEANINGS.items() if meaning.final)


class RecordState(StrEnum):
    PENDING = "pending"  # claimed; nothing sent to Ordergroove yet
    WRITING = "writing"  # the recovery point is recorded; the write may have happened
    DONE = "done"
    REFUSED = "refused"
    NOT_APPLIED = "not_applied"  # settled in the background: the write did not happen


OPEN_STATES: Final = (RecordState.PENDING, RecordState.WRITING)


class Outcome(StrEnum):
    """What one attempt ended with, as the audit log says it."""

    DONE = "done"
    RECONCILED = "reconciled"  # a lost answer was settled by reading Ordergroove's state
    REFUSED = "refused"
    FAILED = "failed"  # the outcome is open; a retry with the same request id settles it
    NOT_APPLIED = "not_applied"  # settled in the background: not applied, and never sent since


class Decision(Enum):
    RUN = "run"  # this attempt holds the lease: do (or resume) the work
    REPLAY = "replay"  # answer the stored outcome
    BUSY = "busy"  # another attempt holds the lease: wait for it
    REUSED = "reused"  # the request id belongs to a different request


@dataclass(frozen=True)
class RecoveryPoint:
    """What the one Ordergroove write targets, recorded before it is sent."""

    subscription_id: str
    customer_id: str
    order_id: str = ""  # a skip's order: a retry skips this order and no other
    order_place_at: datetime | None = None

    def to_json(self) -> dict[str, str]:
        place_at = self.order_place_at.isoformat() if self.order_place_at else ""
        return {
            "subscription_id": self.subscription_id,
            "customer_id": self.customer_id,
            "order_id": self.order_id,
            "order_place_at": place_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecoveryPoint:
        place_at = str(data.get("order_place_at") or "")
        return cls(
            subscription_id=str(data["subscription_id"]),
            customer_id=str(data.get("customer_id", "")),
            order_id=str(data.get("order_id", "")),
            order_place_at=datetime.fromisoformat(place_at) if place_at else None,
        )


@dataclass(frozen=True)
class ActionRecord:
    request_id: str
    fingerprint: str
    state: RecordState
    lease_owner: str | None
    attempts: int
    recovery: RecoveryPoint | None
    result: dict[str, Any] | None  # the outcome to replay (DONE) or the refusal (REFUSED, ...)
    action: str = ""
    request: Mapping[str, str] = field(default_factory=dict)  # the request's payload
    updated_at: datetime | None = None


@dataclass(frozen=True)
class NewRecord:
    """A claim: create the record, or take it over when its lease is free."""

    request_id: str
    action: str
    fingerprint: str
    request: dict[str, str]
    owner: str
    now: datetime
    lease_until: datetime

    @property
    def expires_at(self) -> datetime:
        return self.now + REQUEST_ID_TTL


@dataclass(frozen=True)
class AuditEntry:
    """One attempt at an action: when, who, what, and how it ended."""

    at: datetime
    who: str
    action: str
    customer_id: str
    subscription_id: str
    order_id: str
    outcome: Outcome
    reason: str  # the refusal's or failure's reason; "" when done
    ordergroove_status: int | None  # HTTP status of the write, or of Ordergroove's refusal
    trace_id: str
    request_id: str
    change: str = ""  # what a completed action changed, before → after; "" otherwise


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # given up; kept visible for the operator


@dataclass(frozen=True)
class OutboxEntry:
    """A timeline entry waiting to be posted to a Gladly customer's timeline."""

    item_id: str
    request_id: str
    gladly_customer_id: str
    title: str
    body: str
    occurred_at: datetime
    # The W3C `traceparent` of the action that wrote it: its delivery's span links to it.
    trace_parent: str = ""
    id: int = 0  # assigned by the store
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    created_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str = ""


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
