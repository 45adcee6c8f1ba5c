"""What the store keeps, as Python types: action records and their claims, audit rows and
timeline (outbox) entries. `store/` reads and writes them; the rules about records are in
`idempotency.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from services.actions_service.domain import RecoveryPoint

# How long a request id is remembered: a repeat within this time gets the first result.
REQUEST_ID_TTL: Final = timedelta(hours=24)


class RecordState(StrEnum):
    PENDING = "pending"  # claimed; nothing sent to Ordergroove yet
    WRITING = "writing"  # the recovery point is recorded; the write may have happened
    DONE = "done"
    REFUSED = "refused"
    NOT_APPLIED = "not_applied"  # settled in the background: the write did not happen
    # Settled in the background: the subscription changed since, so whether the write happened
    # cannot be told.
    UNCONFIRMED = "unconfirmed"


OPEN_STATES: Final = (RecordState.PENDING, RecordState.WRITING)


class AttemptOutcome(StrEnum):
    """What one attempt ended with, as the audit log says it."""

    DONE = "done"
    RECONCILED = "reconciled"  # a lost answer was settled by reading Ordergroove's state
    REFUSED = "refused"
    # Not settled (the write may have happened): a retry with the same request id settles it.
    FAILED = "failed"
    NOT_APPLIED = "not_applied"  # settled in the background: not applied, and never sent since
    UNCONFIRMED = "unconfirmed"  # settled in the background: changed since, cannot be told


@dataclass(frozen=True)
class ActionRecord:
    request_id: str
    fingerprint: str
    state: RecordState
    lease_owner: str | None
    attempts: int
    recovery: RecoveryPoint | None
    result: dict[str, Any] | None  # the result to replay (DONE) or the refusal (REFUSED, ...)
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
    outcome: AttemptOutcome
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
