"""Random interleavings of duplicates, lost answers, upstream failures and restarts against the
real service, store and sandboxes; then, once every request is settled, the invariants:

- each action is written to Ordergroove at most once (the sandbox's journal), and only actions
  that completed were written — or actions answered "could not confirm" (a lost answer whose
  subscription another request changed since), which may have been either;
- each completed action has exactly one entry on the Gladly timeline (after the outbox drained);
- the audit log agrees with Ordergroove: one done/reconciled row per completed action, with the
  status Ordergroove answered its write with, and one refused row per refused action.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections import Counter
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

from actions.v1 import actions_pb2 as pb
from services.actions_service.domain import Action, timeline_item_id
from services.actions_service.errors import Reason
from services.actions_service.idempotency import FINAL_REFUSALS
from services.actions_service.store.rows import AuditEntry
from services.gladly_sandbox.app import create_app as create_gladly_app
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.app import create_app as create_ordergroove_app
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS, Role
from services.postgres_scratch import postgres_schema
from tests.servers import serve_asgi
from tests.stack import (
    OG_API_KEY,
    ServiceHandle,
    add_fault,
    audit_rows,
    customer_timeline,
    failure_of,
    journal,
    opened_store,
    postgres_dsn,
    running_service,
    service_settings,
)

T = TypeVar("T")

AGENT = pb.ActionContext(agent_id="agent-7", gladly_customer_id=GLADLY_CUSTOMER)
# Subscriptions with orders of their own, so that an order's path names the subscription.
TARGETS = [
    (Action.SKIP, Role.VITAMINS),
    (Action.SKIP, Role.DOG_FOOD),
    (Action.SKIP, Role.SHAMPOO),
    (Action.CANCEL, Role.SHARED_FILTERS),
    (Action.CANCEL, Role.SHARED_OAT_MILK),
]
# Faults by what they do to a write. The journal shows the status each PATCH was answered with:
# 500 and 499 (client gone) come only from the "after" faults, whose writes were applied.
ORDERGROOVE_FAULTS = {
    "lost answer": {"method": "PATCH", "status": 500, "after": True, "times": 1},
    "lost answer, hang": {"method": "PATCH", "hang": True, "after": True, "times": 1},
    "write refused unapplied": {"method": "PATCH", "status": 502, "times": 1},
    "reads failing": {"method": "GET", "status": 502, "times": 3},
}
GLADLY_FAULTS = {
    "timeline failing": {"method": "POST", "status": 503, "times": 3},
    "timeline throttled": {"method": "POST", "status": 429, "times": 2},
}
APPLIED_STATUSES = {200, 500, 499}
DEADLINE_SECONDS = 0.5

# ("ok", skipped order or cancelled subscription) / ("refused", reason) / ("unconfirmed", "")
Answer = tuple[str, str]


@dataclass
class Request:
    action: Action
    role: Role
    answers: list[Answer | None] = field(default_factory=list)  # None: no final answer

    @property
    def final(self) -> Answer | None:
        finals = {answer for answer in self.answers if answer is not None}
        assert len(finals) <= 1, f"one request, different answers: {finals}"
        return next(iter(finals), None)


class ActionsMachine(RuleBasedStateMachine):
    requests = Bundle("requests")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.issued: dict[str, Request] = {}
        self.service: AsyncExitStack | None = None
        self.handle: ServiceHandle | None = None
        self.run(self._start())

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return self.loop.run_until_complete(wrapped())

    async def new_store(self, stack: AsyncExitStack) -> str:
        """A STORE_URL for a fresh, empty store that lives as long as `stack`."""
        raise NotImplementedError

    async def _start(self) -> None:
        enter = self.stack.enter_async_context
        og_url = await enter(serve_asgi(create_ordergroove_app()))
        gladly_url = await enter(serve_asgi(create_gladly_app()))
        self.ordergroove = await enter(
            httpx.AsyncClient(base_url=og_url, headers={"x-api-key": OG_API_KEY})
        )
        self.gladly = await enter(httpx.AsyncClient(base_url=gladly_url))
        self.store_url = await self.new_store(self.stack)
        self.settings = service_settings(
            og_url, gladly_url, store_url=self.store_url, deadline_seconds=DEADLINE_SECONDS
        )
        await self._start_service()

    async def _start_service(self) -> None:
        self.service = AsyncExitStack()
        self.handle = await self.service.enter_async_context(running_service(self.settings))

    # --- rules ----------------------------------------------------------------------------------

    @rule(target=requests, target_=st.sampled_from(TARGETS), copies=st.integers(1, 3))
    def act(self, target_: tuple[Action, Role], copies: int) -> str:
        request_id = str(uuid.uuid4())
        self.issued[request_id] = Request(*target_)
        self.run(self._send(request_id, copies))
        return request_id

    @rule(request_id=requests, copies=st.integers(1, 2))
    def repeat(self, request_id: str, copies: int) -> None:
        self.run(self._send(request_id, copies))

    @rule(kind=st.sampled_from(sorted(ORDERGROOVE_FAULTS)))
    def ordergroove_fault(self, kind: str) -> None:
        self.run(add_fault(self.ordergroove, **ORDERGROOVE_FAULTS[kind]))

    @rule(kind=st.sampled_from(sorted(GLADLY_FAULTS)))
    def gladly_fault(self, kind: str) -> None:
        self.run(add_fault(self.gladly, **GLADLY_FAULTS[kind]))

    @rule()
    def restart(self) -> None:
        """A graceful stop and a new process on the same store."""
        assert self.service is not None
        self.run(self.service.aclose())
        self.run(self._start_service())

    # --- settling and the invariants ------------------------------------------------------------

    def teardown(self) -> None:
        try:
            self.run(self._settle_and_check())
        finally:
            if self.service is not None:
                self.run(self.service.aclose())
            self.run(self.stack.aclose())
            self.loop.close()

    async def _settle_and_check(self) -> None:
        await self.ordergroove.delete("/_sandbox/faults")
        await self.gladly.delete("/_sandbox/faults")
        # Clients retry what got no final answer (the service's promise is about retries).
        for request_id, request in self.issued.items():
            for _ in range(20):
                if request.final is not None:
                    break
                await self._send(request_id, 1)
                await asyncio.sleep(0.1)
            assert request.final is not None, f"never settled: {request}"
        await self._drain_outbox()
        audit = await audit_rows(self.store_url, limit=10_000)
        patches = await journal(self.ordergroove, "PATCH")
        applied = [p["path"] for p in patches if p["status"] in APPLIED_STATUSES]
        self._check_writes(applied)
        self._check_audit(audit, patches)
        await self._check_timeline()

    def _check_writes(self, applied: list[str]) -> None:
        """Each completed action wrote its target once; nothing else was written but, at most
        once each, the actions that could not be confirmed."""
        assert len(applied) == len(set(applied)), f"a target written twice: {applied}"
        finals = [(r.action, r.final) for r in self.issued.values() if r.final is not None]
        expected = {_path(action, value) for action, (kind, value) in finals if kind == "ok"}
        unconfirmed = sum(kind == "unconfirmed" for _, (kind, _) in finals)
        assert expected <= set(applied)
        assert len(applied) <= len(expected) + unconfirmed

    def _check_audit(self, audit: list[AuditEntry], patches: list[dict[str, Any]]) -> None:
        status_of = {p["path"]: p["status"] for p in patches}
        rows = Counter((row.request_id, row.outcome.value) for row in audit)
        for request_id, request in self.issued.items():
            assert request.final is not None
            kind, value = request.final
            if kind == "unconfirmed":
                assert rows[(request_id, "refused")] + rows[(request_id, "unconfirmed")] == 1
                assert rows[(request_id, "done")] + rows[(request_id, "reconciled")] == 0
                continue
            if kind == "refused":
                assert rows[(request_id, "refused")] == 1
                assert rows[(request_id, "done")] + rows[(request_id, "reconciled")] == 0
                continue
            [row] = [
                r
                for r in audit
                if r.request_id == request_id and r.outcome in ("done", "reconciled")
            ]
            if row.outcome == "done":
                # This attempt's write was answered: with the status Ordergroove gave.
                assert row.ordergroove_status == status_of[_path(request.action, value)] == 200
            else:
                assert row.ordergroove_status is None

    async def _check_timeline(self) -> None:
        ids = [item["id"] for item in await customer_timeline(self.gladly, GLADLY_CUSTOMER)]
        assert len(ids) == len(set(ids))
        assert set(ids) == {
            timeline_item_id(request.action, request_id)
            for request_id, request in self.issued.items()
            if request.final is not None and request.final[0] == "ok"
        }

    async def _drain_outbox(self) -> None:
        async with opened_store(self.store_url) as store:
            for _ in range(200):
                if not await store.outbox.backlog(100):
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"outbox not drained: {await store.outbox.backlog(100)}")

    # --- talking to the service -----------------------------------------------------------------

    async def _send(self, request_id: str, copies: int) -> None:
        request = self.issued[request_id]
        answers = await asyncio.gather(*(self._call(request_id, request) for _ in range(copies)))
        request.answers += answers
        request.final  # noqa: B018 - asserts that the copies agree

    async def _call(self, request_id: str, request: Request) -> Answer | None:
        assert self.handle is not None
        subscription_id = DEMO_SUBSCRIPTION_IDS[request.role]
        common: dict[str, Any] = {
            "subscription_id": subscription_id,
            "customer_id": DEMO_CUSTOMER_ID,
            "request_id": request_id,
            "context": AGENT,
        }
        try:
            if request.action is Action.SKIP:
                skipped = await self.handle.stub.SkipNextOrder(pb.SkipNextOrderRequest(**common))
                return ("ok", skipped.skipped_order_id)
            await self.handle.stub.CancelSubscription(
                pb.CancelSubscriptionRequest(reason_code="12", **common)
            )
            return ("ok", subscription_id)
        except grpc.aio.AioRpcError as error:
            reason = failure_of(error).reason
            if reason == Reason.ACTION_UNCONFIRMED:
                return ("unconfirmed", "")
            return ("refused", reason) if reason in FINAL_REFUSALS else None


def _path(action: Action, target: str) -> str:
    if action is Action.SKIP:
        return f"/orders/{target}/skip_subscription/"
    return f"/subscriptions/{target}/cancel/"


class OnSqlite(ActionsMachine):
    async def new_store(self, stack: AsyncExitStack) -> str:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        return f"sqlite:///{folder}/actions.db"


class OnPostgres(ActionsMachine):
    async def new_store(self, stack: AsyncExitStack) -> str:
        return await stack.enter_async_context(postgres_schema(postgres_dsn(), "test"))


MACHINE_SETTINGS = settings(
    max_examples=8,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_nothing_twice_nothing_lost_on_sqlite() -> None:
    run_state_machine_as_test(OnSqlite, settings=MACHINE_SETTINGS)


def test_nothing_twice_nothing_lost_on_postgresql() -> None:
    postgres_dsn()  # skips without a server
    run_state_machine_as_test(OnPostgres, settings=settings(MACHINE_SETTINGS, max_examples=5))
