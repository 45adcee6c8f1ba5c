"""Running an action at most once, whatever fails: the use case's work inside its action record.

`async with ledger.attempt(request, codec) as attempt:` claims the record for the request id and
then, by `idempotency.decide`, answers the stored result, waits for the attempt holding the lease,
refuses a reused id, or lets the block run the action, recording how it ended when it leaves.
The action records a recovery point before its one Ordergroove write (`Attempt.before_write`);
an attempt that takes over an open record is handed that point and reconciles first. Every attempt
that runs leaves one audit row, committed with what it recorded, naming its trace; the RPC's span
carries the same facts, and the timeline entry the action's `traceparent`, so that its delivery
links back to this trace.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Generic, TypeVar

from common.telemetry.context import current_trace_id, current_traceparent
from services.actions_service import callers, deadline, idempotency, spans
from services.actions_service.domain import (
    Action,
    RecoveryPoint,
    TimelineEntry,
    canonical_request_id,
)
from services.actions_service.errors import ActionError, Reason
from services.actions_service.idempotency import Decision
from services.actions_service.results import Codec, Finished, refusal, refusal_json
from services.actions_service.store import Store, lease_owner, utcnow
from services.actions_service.store.rows import (
    ActionRecord,
    AttemptOutcome,
    AuditEntry,
    NewRecord,
    OutboxEntry,
    RecordState,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a repeat looks whether the attempt it waits for has finished.
WAIT_POLL_SECONDS: Final = 0.05
# A repeat stops waiting this long before its deadline, to answer clearly instead of timing out.
WAIT_MARGIN_SECONDS: Final = 0.1
# How often an action waiting for its turn on a customer asks again (with jitter, so that
# waiters on several replicas do not ask in step).
TURN_POLL_SECONDS: Final = 0.02


@dataclass(frozen=True)
class ActionRequest:
    request_id: str
    action: Action
    payload: dict[str, str]  # everything that makes the request what it is (the fingerprint)
    subscription_id: str
    customer_id: str
    order_id: str
    agent_id: str

    def __post_init__(self) -> None:
        # The record's key: the same UUID written in another case is the same request.
        object.__setattr__(self, "request_id", canonical_request_id(self.request_id))


@dataclass(frozen=True)
class Unconfirmed:
    """A lost answer that cannot be settled: the state moved on since (`evidence` says how)."""

    evidence: str


class LeaseLost(ActionError):
    def __init__(self, request_id: str) -> None:
        super().__init__(
            Reason.DEADLINE_EXCEEDED,
            "Another attempt with this request_id has taken over; retry with the same "
            "request_id to get its result.",
            request_id=request_id,
        )


class Attempt(Generic[T]):
    """One attempt at an action: what a repeat is answered (`replayed`), where a resumed attempt
    starts (`recovery`), the recovery-point hook and, at the end, what it finished with."""

    def __init__(
        self,
        ledger: Ledger,
        request_id: str,
        owner: str,
        record: ActionRecord,
        replayed: T | None = None,
    ) -> None:
        self._ledger = ledger
        self._request_id = request_id
        self.owner = owner
        self.replayed = replayed
        self.recovery: RecoveryPoint | None = record.recovery
        self.point: RecoveryPoint | None = record.recovery
        self.finished: Finished[T] | None = None

    def finish(self, finished: Finished[T]) -> T:
        """The action's result, recorded when the attempt's block ends."""
        self.finished = finished
        return finished.result

    async def before_write(self, point: RecoveryPoint) -> None:
        """Durably record what the write targets; raises if this attempt lost its lease."""
        now = utcnow()
        records = self._ledger.store.records
        lease_until = now + self._ledger.lease
        if not await records.mark_writing(self._request_id, self.owner, point, now, lease_until):
            raise LeaseLost(self._request_id)
        self.point = point


class Ledger:
    def __init__(
        self,
        store: Store,
        *,
        lease_seconds: float,
        on_finished: Callable[[], None],
    ) -> None:
        self.store = store
        # Longer than any attempt may run (its deadline), so a live attempt keeps its lease.
        self.lease = timedelta(seconds=lease_seconds)
        self._on_finished = on_finished

    @asynccontextmanager
    async def turn(self, customer_id: str) -> AsyncIterator[None]:
        """One action at a time on an Ordergroove customer's subscriptions and orders, across
        replicas: the shown-state check, the write and the re-read of one action run while no
        other action of ours on that customer does. An order belongs to one customer, so one
        turn per customer serializes actions on the same subscription and on the same order
        (a shared order ships several subscriptions) without any lock ordering. A holder that
        died frees it when its lease (the deadline and a margin) runs out."""
        key, owner = f"customer:{customer_id}", lease_owner()
        while True:
            now = utcnow()
            if await self.store.turns.take(key, owner, now, now + self.lease):
                break
            await _wait_for_turn()
        try:
            yield
        finally:
            await self.store.turns.give_back(key, owner)

    @asynccontextmanager
    async def attempt(self, request: ActionRequest, codec: Codec[T]) -> AsyncIterator[Attempt[T]]:
        """The action's record, claimed for `request`: a repeat is answered what was stored
        (`attempt.replayed`, or the stored refusal raised), a reused id is refused, an attempt in
        flight is waited for; otherwise the body runs the action and calls `attempt.finish`.
        Leaving the block records the result, or the failure it raised."""
        owner = lease_owner()
        fingerprint = idempotency.fingerprint(request.action, request.payload)
        spans.annotate_action(request.action.value, request.request_id, request.payload)
        while True:
            now = utcnow()
            record = await self.store.records.claim(
                NewRecord(
                    request_id=request.request_id,
                    action=request.action,
                    fingerprint=fingerprint,
                    request=request.payload,
                    owner=owner,
                    now=now,
                    lease_until=now + self.lease,
                )
            )
            decision = idempotency.decide(record, fingerprint, owner)
            if decision is Decision.REPLAY:
                spans.annotate_replay()
                yield Attempt(
                    self, request.request_id, owner, record, replayed=_replay(record, codec)
                )
                return
            if decision is Decision.REUSED:
                await self.store.audit.append(
                    self._audit(request, None, AttemptOutcome.REFUSED, Reason.REQUEST_ID_REUSED)
                )
                raise _reused(request.request_id)
            if decision is Decision.RUN:
                break
            await _wait_for_other_attempt(request.request_id)
        attempt: Attempt[T] = Attempt(self, request.request_id, owner, record)
        try:
            yield attempt
        except BaseException as error:
            # Also when cancelled (deadline, client gone): store operations run to completion.
            await self._record_failure(request, attempt, error)
            raise
        assert attempt.finished is not None, "the action ended without finishing its attempt"
        await self._record_success(request, attempt, attempt.finished, codec)

    async def _record_success(
        self, request: ActionRequest, attempt: Attempt[T], finished: Finished[T], codec: Codec[T]
    ) -> None:
        outcome = AttemptOutcome.RECONCILED if finished.reconciled else AttemptOutcome.DONE
        audit = replace(
            self._audit(request, attempt.point, outcome, "", finished.ordergroove_status),
            change=finished.before_after,
        )
        await self.store.records.finish(
            request.request_id,
            attempt.owner,
            state=RecordState.DONE,
            result=codec.encode(finished.result),
            audit=audit,
            timeline=_outbox_entry(request.request_id, finished.timeline),
        )
        self._on_finished()

    async def _record_failure(
        self, request: ActionRequest, attempt: Attempt[T], error: BaseException
    ) -> None:
        status = error.upstream_status if isinstance(error, ActionError) else None
        try:
            if isinstance(error, ActionError) and idempotency.is_final_refusal(error.reason):
                audit = self._audit(
                    request, attempt.point, AttemptOutcome.REFUSED, error.reason, status
                )
                await self.store.records.finish(
                    request.request_id,
                    attempt.owner,
                    state=RecordState.REFUSED,
                    result=refusal_json(error),
                    audit=audit,
                )
            else:
                audit = self._audit(
                    request, attempt.point, AttemptOutcome.FAILED, _failure_reason(error), status
                )
                await self.store.records.release(request.request_id, attempt.owner, audit)
        except Exception:
            # The lease then runs out on its own and a retry takes over; the caller still gets
            # the original error.
            log.exception("could not record the end of attempt %s", request.request_id)

    async def settle(
        self,
        record: ActionRecord,
        idle_since: datetime,
        request: ActionRequest,
        reconcile: Callable[[RecoveryPoint], Awaitable[Finished[T] | Unconfirmed | None]],
        codec: Codec[T],
        note: Callable[[str], tuple[str, TimelineEntry] | None],
    ) -> bool:
        """Settle a record that no retry took over: lease it (the database picks one settler),
        then `reconcile` its recovery point — the retry path's reading of Ordergroove, which
        never writes — and complete it, close it as not applied (None), or, when the state moved
        on since, as unconfirmed; `note(evidence)` is the timeline's word of the last two.
        False when the record was no longer abandoned; raises when Ordergroove could not be
        read (the record is released for the next round)."""
        owner = lease_owner()
        now = utcnow()
        taken = await self.store.records.take_over_abandoned(
            record.request_id, owner, now, now + self.lease, idle_since
        )
        if taken is None:
            return False
        attempt: Attempt[T] = Attempt(self, request.request_id, owner, taken)
        try:
            # No recovery point: nothing was ever sent, so nothing can have been applied.
            finished = await reconcile(taken.recovery) if taken.recovery is not None else None
        except BaseException:
            await self.store.records.release(request.request_id, owner, None, utcnow())
            raise
        if isinstance(finished, Finished):
            await self._record_success(request, attempt, finished, codec)
            return True
        evidence = finished.evidence if finished is not None else ""
        error = (
            unconfirmed(request.request_id, evidence)
            if evidence
            else not_applied(request.request_id)
        )
        state, outcome = (
            (RecordState.UNCONFIRMED, AttemptOutcome.UNCONFIRMED)
            if evidence
            else (RecordState.NOT_APPLIED, AttemptOutcome.NOT_APPLIED)
        )
        await self.store.records.finish(
            request.request_id,
            owner,
            state=state,
            result=refusal_json(error),
            audit=self._audit(request, taken.recovery, outcome, error.reason),
            timeline=_outbox_entry(request.request_id, note(evidence)),
        )
        self._on_finished()
        return True

    def _audit(
        self,
        request: ActionRequest,
        point: RecoveryPoint | None,
        outcome: AttemptOutcome,
        reason: str,
        status: int | None = None,
    ) -> AuditEntry:
        """The attempt's audit row; the current span is annotated with the same facts."""
        entry = AuditEntry(
            at=utcnow(),
            who=idempotency.actor(request.agent_id, callers.current()),
            action=request.action,
            customer_id=(point.customer_id if point else "") or request.customer_id,
            subscription_id=request.subscription_id,
            order_id=(point.order_id if point else "") or request.order_id,
            outcome=outcome,
            reason=reason,
            ordergroove_status=status,
            trace_id=current_trace_id(),
            request_id=request.request_id,
        )
        spans.annotate_attempt(entry)
        return entry


def not_applied(request_id: str) -> ActionError:
    return ActionError(
        Reason.ACTION_NOT_APPLIED,
        "This action did not complete and was not retried in time; it was not applied, and it "
        "will not be. To make the change now, send a new request.",
        request_id=request_id,
    )


def unconfirmed(request_id: str, evidence: str) -> ActionError:
    return ActionError(
        Reason.ACTION_UNCONFIRMED,
        f"This action did not complete, and whether it was applied could not be confirmed: "
        f"{evidence}. It will not be retried; the Subscriptions card shows the state now.",
        request_id=request_id,
    )


def _replay(record: ActionRecord, codec: Codec[T]) -> T:
    assert record.result is not None
    if record.state in (RecordState.REFUSED, RecordState.NOT_APPLIED, RecordState.UNCONFIRMED):
        raise refusal(record.result)
    return codec.decode(record.result)


def _reused(request_id: str) -> ActionError:
    return ActionError(
        Reason.REQUEST_ID_REUSED,
        "This request_id was already used for a different request.",
        request_id=request_id,
    )


async def _wait_for_other_attempt(request_id: str) -> None:
    await _pause(
        WAIT_POLL_SECONDS,
        "An earlier request with this request_id is still in progress; retry with the same "
        "request_id to get its result.",
        request_id=request_id,
    )


async def _wait_for_turn() -> None:
    await _pause(
        TURN_POLL_SECONDS * (0.5 + random.random()),
        "Another action on this customer's subscriptions was still running: nothing was "
        "sent. Open the form again to see what it changed.",
    )


async def _pause(seconds: float, too_late: str, **metadata: str) -> None:
    """Wait `seconds`, or, when the deadline leaves no room for another look, say `too_late`."""
    left = deadline.remaining()
    if left is not None and left < seconds + WAIT_MARGIN_SECONDS:
        raise ActionError(Reason.DEADLINE_EXCEEDED, too_late, **metadata)
    await asyncio.sleep(seconds)


def _failure_reason(error: BaseException) -> str:
    if isinstance(error, ActionError):
        return error.reason.value
    if isinstance(error, deadline.DeadlineExceeded | TimeoutError):
        return Reason.DEADLINE_EXCEEDED.value
    if isinstance(error, asyncio.CancelledError):
        # The deadline cancels the work when it expires; otherwise the caller went away.
        left = deadline.remaining()
        return Reason.DEADLINE_EXCEEDED.value if left is not None and left <= 0 else "CANCELLED"
    return "INTERNAL"


def _outbox_entry(
    request_id: str, timeline: tuple[str, TimelineEntry] | None
) -> OutboxEntry | None:
    if timeline is None:
        return None
    customer_id, entry = timeline
    return OutboxEntry(
        item_id=entry.item_id,
        request_id=request_id,
        gladly_customer_id=customer_id,
        title=entry.title,
        body=entry.body,
        occurred_at=entry.occurred_at,
        trace_parent=current_traceparent(),
    )
