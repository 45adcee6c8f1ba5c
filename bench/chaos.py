"""`make chaos`: nothing twice, nothing lost, under faults — a bounded run that fails when not.

Two Actions service replicas and two gateways on one PostgreSQL store serve a steady load of
lookups and skips (as Gladly sends them, signed, through the gateways) while Ordergroove flaps
(5xx, 423, 429, hangs, answers lost after the write), Gladly answers 429 and 5xx, and one
service replica is killed with SIGKILL and restarted, twice. Nobody retries a failed skip: the
settler must settle it. The run then waits (bounded) until no record is open and no timeline
entry pending, and prints one table. Each skip targets its own customer's next order, so what
Ordergroove applied is read from its request journal: a skip PATCH answered 200, or 502 — the
only status the run injects *after* the write (every other fault comes before it).

    make chaos                                     # 60 s of load
    make chaos ARGS="--seconds 20"
    CHAOS_POSTGRES_DSN=postgresql://user@host/db make chaos

Exit status 1 when a must-be-zero column is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import psycopg
from sqlalchemy import select

from bench.__main__ import seed_customer
from bench.clients import AsGladly
from bench.stack import OG_API_KEY, Stack, restart, running_stack
from services.actions_service.domain import Action, timeline_item_id
from services.actions_service.store import Store
from services.actions_service.store.rows import OPEN_STATES, RecordState
from services.actions_service.store.schema import action_records

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SETTLE_AFTER_SECONDS = 5
DEADLINE_SECONDS = 5
# The one fault status injected after Ordergroove applied the write (the answer is lost).
LOST_AFTER_WRITE = 502
APPLIED_STATUSES = frozenset({200, LOST_AFTER_WRITE})
ORDERGROOVE_FAULTS: tuple[dict[str, Any], ...] = (
    {"method": "PATCH", "status": 500},
    {"method": "PATCH", "status": 503},
    {"method": "PATCH", "status": 423},
    {"method": "PATCH", "status": 429},
    {"method": "GET", "status": 503},
    {"method": "PATCH", "hang": True},
    {"method": "PATCH", "status": LOST_AFTER_WRITE, "after": True},
)
GLADLY_FAULTS: tuple[dict[str, Any], ...] = (
    {"method": "GET", "status": 429},
    {"method": "GET", "status": 503},
    {"method": "POST", "status": 429},
    {"method": "POST", "status": 500},
)
MUST_BE_ZERO = ("applied twice", "duplicated", "lost", "open records left", "state disagrees")


@dataclass
class Skip:
    customer_id: str
    subscription_id: str
    order_id: str


@dataclass
class Tally:
    lookups: list[float] = field(default_factory=list)  # latencies of answered lookups (s)
    actions: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    sent: int = 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (60)")
    parser.add_argument("--skips-per-second", type=float, default=1.0, help="(1)")
    parser.add_argument("--lookups-per-second", type=float, default=4.0, help="(4)")
    parser.add_argument("--settle-within", type=float, default=90.0, help="bound (90 s)")
    arguments = parser.parse_args()
    if not 5 <= arguments.seconds <= 600:
        parser.error("--seconds: from 5 to 600")
    return arguments


@asynccontextmanager
async def fresh_schema(dsn: str) -> AsyncIterator[str]:
    """A new PostgreSQL schema for this run, dropped afterwards; yields its STORE_URL."""
    schema = f"chaos_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            parts = urlsplit(dsn)
            query = [*parse_qsl(parts.query), ("options", f"-csearch_path={schema}")]
            yield urlunsplit(parts._replace(query=urlencode(query)))
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")


async def seed_skips(stack: Stack, count: int) -> list[Skip]:
    """One customer per skip, each with one subscription in one unsent order."""
    skips = []
    async with httpx.AsyncClient(
        base_url=stack.ordergroove_url, headers={"x-api-key": OG_API_KEY}
    ) as og:
        for n in range(count):
            customer = f"chaos-{n}"
            [subscription] = await seed_customer(stack, customer, 1)
            orders = await og.get("/orders/", params={"subscription": subscription, "status": 1})
            skips.append(Skip(customer, subscription, orders.json()["results"][0]["public_id"]))
    return skips


async def steady(rate: float, until: float, call: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Start `call` `rate` times a second until `until`, whatever the answers do."""
    tasks: list[asyncio.Task[None]] = []
    while time.monotonic() < until:
        tasks.append(asyncio.create_task(call()))
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks, return_exceptions=True)


async def timed(gladly: AsGladly, tally: Tally, latencies: list[float], *request: Any) -> None:
    started = time.monotonic()
    try:
        response = await gladly.request(*request)
    except httpx.HTTPError:
        tally.statuses[0] += 1
        return
    tally.statuses[response.status_code] += 1
    if response.status_code < 500:
        latencies.append(time.monotonic() - started)


async def flap(url: str, faults: tuple[dict[str, Any], ...], until: float) -> None:
    """Switch on one fault after another, each for two requests."""
    async with httpx.AsyncClient(base_url=url) as control:
        while time.monotonic() < until:
            await control.post("/_sandbox/faults", json={**random.choice(faults), "times": 2})
            await asyncio.sleep(random.uniform(0.5, 2.0))
        await control.delete("/_sandbox/faults")


async def kill_and_restart(stack: Stack, at: list[float]) -> None:
    """SIGKILL the first service replica at each time in `at`, then start it again."""
    for moment in at:
        await asyncio.sleep(max(moment - time.monotonic(), 0))
        process = stack.processes["actions-service"][0]
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.wait)
        await asyncio.to_thread(restart, stack, "actions-service", 0)


async def failures(store_url: str) -> Counter[str]:
    """Why attempts failed (left the action open), by reason, from the audit log."""
    store = await Store.open(store_url)
    try:
        rows = await store.audit.recent(100_000, failed_only=True)
    finally:
        await store.close()
    return Counter(f"{row.reason} ({row.ordergroove_status})" for row in rows if row.reason)


async def records(store_url: str) -> dict[str, RecordState]:
    store = await Store.open(store_url)
    try:
        async with store.database.transaction() as connection:
            rows = await connection.execute(
                select(action_records.c.request_id, action_records.c.state)
            )
            return {request_id: RecordState(state) for request_id, state in rows}
    finally:
        await store.close()


async def wait_settled(stack: Stack, store_url: str, within: float) -> None:
    give_up = time.monotonic() + within
    async with httpx.AsyncClient(base_url=stack.gladly_url) as gladly:
        while time.monotonic() < give_up:
            states = await records(store_url)
            open_left = sum(state in OPEN_STATES for state in states.values())
            expected = len(_expected_items(states))
            delivered = len((await gladly.get("/_sandbox/timeline")).json())
            if not open_left and delivered >= expected:
                return
            await asyncio.sleep(1.0)


def _expected_items(states: dict[str, RecordState]) -> dict[str, str]:
    """The timeline item each settled record owes its customer's agents, by item id."""
    owed = {}
    for request_id, state in states.items():
        if state is RecordState.DONE:
            owed[timeline_item_id(Action.SKIP, request_id)] = request_id
        elif state is RecordState.NOT_APPLIED:
            owed[timeline_item_id(Action.SKIP, request_id, "not-applied")] = request_id
    return owed


async def tabulate(stack: Stack, store_url: str, skips: list[Skip], tally: Tally) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.ordergroove_url) as og:
        journal = (await og.get("/_sandbox/requests")).json()
    async with httpx.AsyncClient(base_url=stack.gladly_url) as gladly:
        timeline = (await gladly.get("/_sandbox/timeline")).json()
    applied: Counter[str] = Counter(
        row["path"].split("/")[2]
        for row in journal
        if row["method"] == "PATCH"
        and row["path"].endswith("/skip_subscription/")
        and row["status"] in APPLIED_STATUSES
    )
    targets = {skip.order_id for skip in skips}
    # Any applied skip of an order no skip targeted skipped "whatever was next": a second one.
    stray = sum(count for order, count in applied.items() if order not in targets)
    states = await records(store_url)
    owed = _expected_items(states)
    items = Counter(item["id"] for item in timeline)
    by_request = Counter(owed[item_id] for item_id in items if item_id in owed)
    done = sum(state is RecordState.DONE for state in states.values())
    once = sum(applied[skip.order_id] == 1 for skip in skips)
    return {
        "actions sent": tally.sent,
        "applied exactly once": once,
        "applied twice": sum(applied[s.order_id] > 1 for s in skips) + stray,
        # Records completed must be exactly the skips Ordergroove applied.
        "state disagrees": abs(done - once),
        "timeline exactly once": sum(items[item_id] == 1 for item_id in owed),
        "duplicated": sum(n > 1 for n in items.values()) + sum(n > 1 for n in by_request.values()),
        "lost": sum(item_id not in items for item_id in owed),
        "open records left": sum(state in OPEN_STATES for state in states.values()),
        "records done": done,
        "records not applied": sum(s is RecordState.NOT_APPLIED for s in states.values()),
        "records refused": sum(s is RecordState.REFUSED for s in states.values()),
        "lookups answered": len(tally.lookups),
        "5xx answers": sum(
            n for status, n in tally.statuses.items() if status >= 500 or not status
        ),
        "lookup p50 ms": _percentile(tally.lookups, 0.50),
        "lookup p99 ms": _percentile(tally.lookups, 0.99),
    }


def _percentile(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000:.0f}"


async def run(arguments: argparse.Namespace, stack: Stack, store_url: str) -> dict[str, Any]:
    count = int(arguments.seconds * arguments.skips_per_second) + 1
    skips = await seed_skips(stack, count)
    tally = Tally()
    gladly = AsGladly(stack.gateway_url)
    pending = iter(skips)
    try:

        async def skip() -> None:
            target = next(pending, None)
            if target is None:
                return
            tally.sent += 1
            path = (
                f"/gladly/customers/gladly-{target.customer_id}/subscriptions/"
                f"{target.subscription_id}/orders/{target.order_id}/skip"
            )
            await timed(gladly, tally, tally.actions, "POST", path, {})

        async def lookup() -> None:
            customer = random.choice(skips).customer_id
            body = {
                "lookupLevel": "DETAILED",
                "query": {"externalCustomerId": customer},
                "uniqueMatchRequired": True,
            }
            await timed(gladly, tally, tally.lookups, "POST", "/gladly/lookup", body)

        until = time.monotonic() + arguments.seconds
        third = arguments.seconds / 3
        await asyncio.gather(
            steady(arguments.skips_per_second, until, skip),
            steady(arguments.lookups_per_second, until, lookup),
            flap(stack.ordergroove_url, ORDERGROOVE_FAULTS, until),
            flap(stack.gladly_url, GLADLY_FAULTS, until),
            kill_and_restart(stack, [until - 2 * third, until - third]),
        )
        await wait_settled(stack, store_url, arguments.settle_within)
        for reason, count in (await failures(store_url)).most_common():
            print(f"attempts failed with {reason}: {count}", flush=True)
        return await tabulate(stack, store_url, skips, tally)
    finally:
        await gladly.aclose()


async def chaos(arguments: argparse.Namespace) -> int:
    dsn = os.environ.get("CHAOS_POSTGRES_DSN") or os.environ.get("TEST_POSTGRES_DSN") or DEFAULT_DSN
    async with fresh_schema(dsn) as store_url:
        await (await Store.open(store_url)).close()  # migrated once, before the replicas start
        overrides = {
            "STORE_URL": store_url,
            "GLADLY_SANDBOX_RATE_LIMIT": "10",  # Gladly's own limit: 429s above it
            "GLADLY_REQUESTS_PER_SECOND": "10",
            "SETTLE_AFTER_SECONDS": str(SETTLE_AFTER_SECONDS),
            "OUTBOX_BACKOFF_SECONDS": "0.2",
            "OUTBOX_BACKOFF_MAX_SECONDS": "2",
            "OUTBOX_POLL_SECONDS": "0.5",
        }
        with running_stack(
            processes_per_program=2, deadline_seconds=DEADLINE_SECONDS, env_overrides=overrides
        ) as stack:
            table = await run(arguments, stack, store_url)
    width = max(len(name) for name in table)
    for name, value in table.items():
        print(f"{name.ljust(width)}  {value}", flush=True)
    failed = [name for name in MUST_BE_ZERO if table[name] != 0]
    if failed:
        print(f"FAILED: {', '.join(failed)} must be 0", flush=True)
        return 1
    return 0


def main() -> None:
    raise SystemExit(asyncio.run(chaos(_arguments())))


if __name__ == "__main__":
    main()
