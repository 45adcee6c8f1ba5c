"""The timeline deliverer: posts the outbox's entries to Gladly until each has arrived.

It wakes when an action completes (`notify`) and otherwise polls, so entries left by a process
that died are picked up too. Entries are claimed from the store (so replicas never send the same
one at once), posted within Gladly's rate limit (the client's shared budget: posts wait for
their turn, they are never dropped), and then settled: delivered (a 409 `taken` means
an earlier send arrived), retried later with full-jitter backoff (failures, 429s), or given up —
kept visible as failed — when Gladly refuses it for good or the give-up horizon has passed.

Each delivery is a trace of its own (`timeline.deliver`, with the POST to Gladly under it),
linked to the trace of the action that wrote the entry. Between rounds the deliverer measures
the backlog (`actions.outbox.backlog`, `actions.outbox.oldest_age`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from common.telemetry import attributes
from common.telemetry.context import link_to
from services.actions_service import metrics
from services.actions_service.domain import TimelineEntry
from services.actions_service.gladly import GladlyClient, TimelineRefused
from services.actions_service.store import Store, lease_owner, utcnow
from services.actions_service.store.outbox import Pending
from services.actions_service.store.rows import OutboxEntry
from services.actions_service.upstream import RetryPolicy

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

BATCH_SIZE: Final = 10
# A claimed entry is another deliverer's to take only after this: longer than one post may take
# (its wait for the rate limit and its 10 s timeout). It is also how long the entries a killed
# process had claimed wait before another process sends them.
CLAIM_SECONDS: Final = 15.0
# How long `stop` lets a batch in flight finish before cutting it off (its rows stay pending).
STOP_GRACE_SECONDS: Final = 5.0


@dataclass(frozen=True)
class DeliveryPolicy:
    give_up_after: timedelta
    backoff: RetryPolicy  # only its full-jitter backoff is used: base_delay, max_delay
    poll_seconds: float


class TimelineDeliverer:
    def __init__(
        self,
        store: Store,
        gladly: GladlyClient,
        policy: DeliveryPolicy,
    ) -> None:
        self._store = store
        self._gladly = gladly
        self._policy = policy
        self._owner = lease_owner()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """An entry was added: deliver now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="timeline-deliverer")

    async def stop(self) -> None:
        """Finish the batch in flight and stop; whatever is not delivered stays pending."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("timeline deliverer cut off at shutdown; its entries stay pending")
        with contextlib.suppress(Exception):
            await self._store.outbox.release(self._owner)

    async def deliver_due(self) -> int:
        """Claim the entries due now and post them; returns how many were claimed."""
        now = utcnow()
        entries = await self._store.outbox.claim(
            self._owner, now, now + timedelta(seconds=CLAIM_SECONDS), BATCH_SIZE
        )
        results = await asyncio.gather(
            *(self._deliver(entry) for entry in entries), return_exceptions=True
        )
        for result in results:
            if isinstance(result, Exception):
                # The entry stays claimed until its lease runs out, then it is tried again.
                log.error("timeline entry not settled: %r", result)
        return len(entries)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await self.deliver_due()
            except Exception:
                log.exception("timeline delivery round failed; retrying at the next poll")
                claimed = 0
            # Measured after every round, full ones too: a backlog draining in full batches is
            # when the gauges matter most.
            pending = await self._measure_backlog()
            if claimed < BATCH_SIZE:
                await self._sleep_until_due(pending)

    async def _measure_backlog(self) -> Pending | None:
        """The backlog, also set on the gauges; None when the store cannot tell (the loop goes
        on: the next round tries again)."""
        try:
            pending = await self._store.outbox.pending()
            _measure(pending)
        except Exception:
            return None
        return pending

    async def _sleep_until_due(self, pending: Pending | None) -> None:
        timeout = self._policy.poll_seconds
        if pending is not None and pending.next_due is not None:
            until_due = (pending.next_due - utcnow()).total_seconds()
            timeout = min(timeout, max(until_due, 0.0))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver(self, entry: OutboxEntry) -> None:
        # A new trace (the empty context), linked to the action's.
        with tracer.start_as_current_span(
            "timeline.deliver",
            context=context.Context(),
            kind=SpanKind.CONSUMER,
            links=link_to(entry.trace_parent),
            attributes={
                attributes.REQUEST_ID: entry.request_id,
                attributes.GLADLY_CUSTOMER_ID: entry.gladly_customer_id,
                attributes.GLADLY_TIMELINE_ITEM_ID: entry.item_id,
                attributes.DELIVERY_ATTEMPT: entry.attempts + 1,
            },
        ) as span:
            try:
                await self._gladly.post_timeline_entry(
                    entry.gladly_customer_id,
                    TimelineEntry(entry.item_id, entry.title, entry.body, entry.occurred_at),
                )
            except TimelineRefused as refused:
                span.set_status(Status(StatusCode.ERROR, f"refused with {refused.status}"))
                log.error("timeline entry %s refused for good: %s", entry.item_id, refused)
                await self._store.outbox.give_up(entry.id, self._owner, str(refused))
            except Exception as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                await self._retry_later(entry, f"{type(error).__name__}: {error}")
            else:
                await self._store.outbox.delivered(entry.id, self._owner, utcnow())

    async def _retry_later(self, entry: OutboxEntry, error: str) -> None:
        now = utcnow()
        created_at = entry.created_at or now
        if now - created_at >= self._policy.give_up_after:
            log.error("timeline entry %s given up after %d attempts", entry.item_id, entry.attempts)
            await self._store.outbox.give_up(entry.id, self._owner, error)
            return
        delay = self._policy.backoff.backoff(entry.attempts)
        await self._store.outbox.retry_at(
            entry.id, self._owner, now + timedelta(seconds=delay), error
        )


def _measure(pending: Pending) -> None:
    metrics.OUTBOX_BACKLOG.set(pending.count)
    age = (utcnow() - pending.oldest).total_seconds() if pending.oldest else 0.0
    metrics.OUTBOX_OLDEST_AGE.set(max(age, 0.0))
