"""The settler: no action record stays open for ever.

An action whose answer was lost stays open until a retry with its request id settles it. When no
retry comes, the record's lease runs out and nobody would ever look at it again — yet Ordergroove
may have applied the write, and the customer's timeline would never hear of it. So each service
process looks, every `poll_seconds`, for open records that no attempt has touched for
`settle_after` (a setting, `SETTLE_AFTER_SECONDS`) and whose lease is free, and settles each:
it takes the record's lease (the database lets one replica have it), reads Ordergroove with the
retry path's own reconciliation, and completes the record (reconciled, with its timeline entry),
or closes it as not applied, with a timeline note — never sending the write.

A record is so settled within `settle_after + poll_seconds` of its last attempt (plus the time
to read Ordergroove). Between rounds the settler measures the open records (`actions.records.open`,
`actions.records.oldest_open_age`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Final

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from common.telemetry import attributes
from services.actions_service import callers, deadline, metrics
from services.actions_service.store import Store, utcnow
from services.actions_service.use_cases import UseCases

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

BATCH_SIZE: Final = 20
# Who the audit log names for the settler's rows.
CALLER: Final = "settler"
# How long `stop` lets a round in flight finish before cutting it off (its records stay open).
STOP_GRACE_SECONDS: Final = 5.0


def poll_seconds_for(settle_after: float) -> float:
    """Look a few times per `settle_after`, so that a record waits at most a fraction longer."""
    return min(max(settle_after / 4, 0.2), 30.0)


class Settler:
    def __init__(
        self, store: Store, use_cases: UseCases, settle_after: float, deadline_seconds: float
    ) -> None:
        self._store = store
        self._use_cases = use_cases
        # Within an action's deadline, as any attempt, so that it ends before its lease does.
        self._deadline_seconds = deadline_seconds
        self._settle_after = timedelta(seconds=settle_after)
        self._poll_seconds = poll_seconds_for(settle_after)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="action-settler")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("settler cut off at shutdown; its records stay open for the next")

    async def settle_due(self) -> int:
        """Settle the records abandoned now; returns how many this process settled."""
        now = utcnow()
        idle_since = now - self._settle_after
        due = await self._store.records.abandoned(now, idle_since, BATCH_SIZE)
        settled = 0
        for request_id in due:
            if self._stopping.is_set():
                break
            settled += await self._settle(request_id, idle_since)
        return settled

    async def _settle(self, request_id: str, idle_since: datetime) -> bool:
        # A new trace for each record: its audit row names it.
        with (
            tracer.start_as_current_span(
                "action.settle",
                context=context.Context(),
                kind=SpanKind.INTERNAL,
                attributes={attributes.REQUEST_ID: request_id},
            ) as span,
            callers.calling_as(CALLER),
        ):
            try:
                record = await self._store.records.get(request_id)
                if record is None:
                    return False
                async with deadline.deadline(self._deadline_seconds):
                    return await self._use_cases.settle(record, idle_since)
            except Exception as error:
                # Left open (released): the next round tries again.
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                log.warning("record %s not settled this round: %r", request_id, error)
                return False

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.settle_due()
            except Exception:
                log.exception("settling round failed; retrying at the next poll")
            await self._measure()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._poll_seconds)

    async def _measure(self) -> None:
        try:
            count, oldest = await self._store.records.open_backlog()
        except Exception:
            return  # the next round measures again
        metrics.RECORDS_OPEN.set(count)
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        metrics.RECORDS_OLDEST_OPEN_AGE.set(max(age, 0.0))
