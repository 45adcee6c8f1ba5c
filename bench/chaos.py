"""`make chaos`: every answer true, nothing twice, nothing lost, under faults and while actions
meet — a bounded run that fails when not.

Two Actions service replicas and two gateways on one PostgreSQL store serve a steady load of
lookups and of scenes (bench/chaos_scenes.py), while Ordergroove flaps (its writes — PATCH, a
discount's POST, an item's DELETE — answered 5xx, 423 or 429, hanging, or applied with their
answer lost; reads answered 503), Gladly answers 429 and 5xx, and one service replica is killed
with SIGKILL and restarted, twice. A scene is an Ordergroove customer of its own: a single (one
action alone, each of the fourteen kinds in turn) or a meeting (different actions of two or three
agents on the same subscriptions, the same shared order or the same item, or two discounts —
one submitted twice at once, its answer lost — forms opened on the same state and submitted at
once, and the customer, in most, changing them straight at Ordergroove meanwhile). Two scenes
act on the sandbox's demo customer instead, once a run: the only customer with a second address,
which Change Shipping Address needs. All go as Gladly sends them, signed, through the gateways:
the form, then its action URL. Some forms are submitted twice at once; some failed submissions
are submitted again (the same request), before or after the settler's turn; the settler must
settle the others.

The run then waits (bounded) until no record is open and no timeline entry pending, reads
Ordergroove's request journal, the Gladly timeline and the action records, and judges every
action by what Ordergroove applied (bench/chaos_truth.py says how, exactly): false "done", false
"not applied", double writes (a discount's: two naming one request), writes nobody asked for,
records that disagree with the answers, timeline entries lost or duplicated — all must be 0.
Unconfirmed answers (the state moved on and the service says it cannot tell) are counted, and
allowed.

    make chaos                                     # 60 s of load
    make chaos ARGS="--seconds 20"
    CHAOS_POSTGRES_DSN=postgresql://user@host/db make chaos

Exit status 1 when a must-be-zero row is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench.chaos_scenes import KINDS, Send, Staged, play, programme, seed
from bench.chaos_truth import ALL, MUST_BE_ZERO, Evidence, Record, Request, Verdicts, judge
from bench.clients import AsGladly
from bench.stack import Stack, restart, running_stack
from services.actions_service.domain import Action
from services.actions_service.store import Store
from services.actions_service.store.rows import OPEN_STATES, RecordState
from services.actions_service.store.schema import action_records
from services.ordergroove_sandbox.demo import DEMO_MERCHANT_ID
from services.ordergroove_sandbox.journal import MAX_ENTRIES as JOURNAL_CAPACITY
from services.postgres_scratch import postgres_schema

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SETTLE_AFTER_SECONDS = 5
DEADLINE_SECONDS = 5
# Each write method's faults: refused before the write (500, 503, 423, 429), hanging, and
# applied with its answer lost (the journal keeps what the write itself answered).
WRITE_FAULTS: tuple[dict[str, Any], ...] = (
    {"status": 500},
    {"status": 503},
    {"status": 423},
    {"status": 429},
    {"hang": True},
    {"status": 502, "after": True},
)
ORDERGROOVE_FAULTS: tuple[dict[str, Any], ...] = (
    *({"method": "PATCH"} | fault for fault in WRITE_FAULTS),
    {"method": "GET", "status": 503},
)
# A discount's POST and an item's DELETE, rarer than the PATCHes: flapped apart, so that they
# take no turn from those; a hang after the write too (the discount created, never answered).
RARE_WRITE_FAULTS: tuple[dict[str, Any], ...] = (
    *({"method": method} | fault for method in ("POST", "DELETE") for fault in WRITE_FAULTS),
    {"method": "POST", "hang": True, "after": True},
)
GLADLY_FAULTS: tuple[dict[str, Any], ...] = (
    {"method": "GET", "status": 429},
    {"method": "GET", "status": 503},
    {"method": "POST", "status": 429},
    {"method": "POST", "status": 500},
)
MAX_FINDINGS = 200  # lines explaining the must-be-zero counts
RESULTS = Path(__file__).parent / "results"


@dataclass
class Tally:
    lookups: list[float] = field(default_factory=list)  # latencies of answered lookups (s)
    actions: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (60)")
    parser.add_argument(
        "--scenes-per-second", type=float, default=2.0, help="(2; a meeting is 2 or 3 actions)"
    )
    parser.add_argument("--lookups-per-second", type=float, default=4.0, help="(4)")
    parser.add_argument("--settle-within", type=float, default=90.0, help="bound (90 s)")
    parser.add_argument(
        "--stories", action="store_true", help="print how each meeting ended, and what applied"
    )
    arguments = parser.parse_args()
    # Ordergroove's sandbox journals only its last JOURNAL_CAPACITY requests (10,000): about
    # 60 a second here, and a full journal may have dropped writes.
    if not 5 <= arguments.seconds <= 120:
        parser.error("--seconds: from 5 to 120")
    return arguments


# --- the load --------------------------------------------------------------------------------


async def steady(rate: float, until: float, call: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Start `call` `rate` times a second until `until`, whatever the answers do."""
    tasks: list[asyncio.Task[None]] = []
    try:
        while time.monotonic() < until:
            tasks.append(asyncio.create_task(call()))
            await asyncio.sleep(1 / rate)
    except asyncio.CancelledError:  # interrupted: none of them outlives the run
        for task in tasks:
            task.cancel()
        raise
    await asyncio.gather(*tasks, return_exceptions=True)


def sender(gladly: AsGladly, tally: Tally) -> Send:
    """Requests through the gateways, as Gladly sends them, with their answers counted (and the
    latencies of those below 500: lookups and actions)."""

    async def send(
        method: str, path: str, body: Any = None, *, action: bool = False
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await gladly.request(method, path, body)
        except httpx.HTTPError:
            tally.statuses[0] += 1
            return None
        tally.statuses[response.status_code] += 1
        if response.status_code < 500 and (action or path == "/gladly/lookup"):
            latencies = tally.actions if action else tally.lookups
            latencies.append(time.monotonic() - started)
        return response

    return send


async def flap(url: str, faults: tuple[dict[str, Any], ...], until: float) -> None:
    """Switch on one fault after another, each for two requests; a method's next fault waits
    until its last one was used (a rare method's would pile up and fail all its requests)."""
    async with httpx.AsyncClient(base_url=url) as control:
        while time.monotonic() < until:
            fault = random.choice(faults)
            rules = (await control.get("/_sandbox/faults")).json()
            if not any(rule["method"] == fault["method"] for rule in rules):
                await control.post("/_sandbox/faults", json={**fault, "times": 2})
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


# --- settling and the evidence ---------------------------------------------------------------


async def records(store: Store) -> list[Record]:
    query = select(
        action_records.c.request_id,
        action_records.c.action,
        action_records.c.state,
        action_records.c.request,
        action_records.c.result,
    )
    async with store.database.transaction() as connection:
        rows = await connection.execute(query)
        found = []
        for request_id, action, state, request, result in rows:
            refusal = result if isinstance(result, dict) else {}
            found.append(
                Record(
                    request_id,
                    Action(action),
                    RecordState(state),
                    request.get("agent_id", ""),
                    str(refusal.get("reason", "")),
                    str(refusal.get("message", "")),
                )
            )
        return found


async def wait_settled(store: Store, within: float) -> None:
    """Until no record is open and no timeline entry waits for delivery (or `within`)."""
    give_up = time.monotonic() + within
    while time.monotonic() < give_up:
        open_left = [r for r in await records(store) if r.state in OPEN_STATES]
        if not open_left and not await store.outbox.backlog(1):
            return
        await asyncio.sleep(1.0)
    print(f"not settled within {within:g} s", flush=True)


async def failures(store: Store) -> Counter[str]:
    """Why attempts failed (left the action open), by reason, from the audit log."""
    rows = await store.audit.recent(100_000, failed_only=True)
    return Counter(
        f"{row.action}: {row.reason} ({row.ordergroove_status})" for row in rows if row.reason
    )


async def evidence(stack: Stack, store: Store) -> Evidence:
    async with httpx.AsyncClient() as http:
        journal = (await http.get(f"{stack.ordergroove_url}/_sandbox/requests")).json()
        timeline = (await http.get(f"{stack.gladly_url}/_sandbox/timeline")).json()
    print(f"Ordergroove requests journaled: {len(journal)} of {JOURNAL_CAPACITY}", flush=True)
    if len(journal) >= JOURNAL_CAPACITY:
        raise SystemExit("Ordergroove's journal is full: writes may be missing; run shorter")
    return Evidence([Request.of(row) for row in journal], timeline, await records(store))


def keep(found: Evidence, scenes: list[Staged]) -> None:
    """A failed run's evidence, for a closer look: bench/results/chaos-<time>.json."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"chaos-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    scenes_json = [
        {
            "scene": s.scene.name,
            "customer": s.customer_id,
            "subscriptions": s.subscription_ids,
            "orders": s.order_ids,
            "sents": [
                dataclasses.asdict(sent) | {"kind": sent.kind.action.value} for sent in s.sents
            ],
        }
        for s in scenes
    ]
    records = [dataclasses.asdict(r) for r in found.records]
    journal = [dataclasses.asdict(r) for r in found.journal]
    body = {
        "scenes": scenes_json,
        "journal": journal,
        "timeline": found.timeline,
        "records": records,
    }
    path.write_text(json.dumps(body, indent=1, default=str))
    print(f"evidence kept: {path}", flush=True)


# --- the table -------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000:.0f}"


def render(verdicts: Verdicts, tally: Tally, scenes: list[Staged]) -> list[str]:
    """One table: a row per count (must-be-zero ones marked), a column per kind of action and
    one for all; then the scenes, the lookups and the gateways' answers."""
    kinds = [action.value for action in KINDS] + [ALL]
    rows = [
        [f"{name} (0)" if name in MUST_BE_ZERO else name, *(str(by[k]) for k in kinds)]
        for name, by in verdicts.columns.items()
    ]
    blank = [""] * len(KINDS)
    five_xx = sum(n for status, n in tally.statuses.items() if status >= 500 or not status)
    played = Counter(s.scene.name for s in scenes if any(sent.sent for sent in s.sents))
    rows += [[f"scene: {name}", *blank, str(n)] for name, n in sorted(played.items())]
    rows += [
        ["lookups answered", *blank, str(len(tally.lookups))],
        ["5xx answers (lookups, forms, actions)", *blank, str(five_xx)],
        [
            "lookup p50 / p99 ms",
            *blank,
            f"{_percentile(tally.lookups, 0.5)} / {_percentile(tally.lookups, 0.99)}",
        ],
        [
            "action p50 / p99 ms",
            *blank,
            f"{_percentile(tally.actions, 0.5)} / {_percentile(tally.actions, 0.99)}",
        ],
    ]
    cells = [["", *kinds], *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return [
        "  ".join(
            [
                row[0].ljust(widths[0]),
                *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
        )
        for row in cells
    ]


# --- the run ---------------------------------------------------------------------------------


async def run(
    arguments: argparse.Namespace, stack: Stack, store: Store
) -> tuple[Verdicts, Tally, list[Staged]]:
    count = int(arguments.seconds * arguments.scenes_per_second) + 1
    scenes = await seed(stack, list(itertools.islice(programme(), count)))
    tally = Tally()
    gladly = AsGladly(stack.gateway_url)
    send = sender(gladly, tally)
    pending: Iterator[Staged] = iter(scenes)
    # Lookups read the singles' cards only: in a meeting, the service's own reads are the last
    # before its writes (bench/chaos_truth.py dates the customer's changes by them).
    looked_up = [s.customer_id for s in scenes if not s.meeting]
    customers = itertools.cycle(random.sample(looked_up, len(looked_up)))
    ordergroove = httpx.AsyncClient(base_url=stack.ordergroove_url, timeout=DEADLINE_SECONDS)
    try:

        async def act() -> None:
            staged = next(pending, None)
            if staged is not None:
                await play(send, ordergroove, staged)

        async def lookup() -> None:
            body = {
                "lookupLevel": "DETAILED",
                "query": {"externalCustomerId": next(customers)},
                "uniqueMatchRequired": True,
            }
            await send("POST", "/gladly/lookup", body)

        until = time.monotonic() + arguments.seconds
        third = arguments.seconds / 3
        await asyncio.gather(
            steady(arguments.scenes_per_second, until, act),
            steady(arguments.lookups_per_second, until, lookup),
            flap(stack.ordergroove_url, ORDERGROOVE_FAULTS, until),
            flap(stack.ordergroove_url, RARE_WRITE_FAULTS, until),
            flap(stack.gladly_url, GLADLY_FAULTS, until),
            kill_and_restart(stack, [until - 2 * third, until - third]),
        )
        await wait_settled(store, arguments.settle_within)
        for reason, n in (await failures(store)).most_common():
            print(f"attempts failed with {reason}: {n}", flush=True)
        found = await evidence(stack, store)
        verdicts = judge(scenes, found)
        if any(verdicts.columns[name][ALL] for name in MUST_BE_ZERO):
            keep(found, scenes)
        return verdicts, tally, scenes
    finally:
        await gladly.aclose()
        await ordergroove.aclose()


async def chaos(arguments: argparse.Namespace) -> int:
    dsn = os.environ.get("CHAOS_POSTGRES_DSN") or os.environ.get("TEST_POSTGRES_DSN") or DEFAULT_DSN
    started = time.monotonic()
    async with postgres_schema(dsn, "chaos") as store_url:
        store = await Store.open(store_url)  # migrated once, before the replicas start
        overrides = {
            "STORE_URL": store_url,
            "GLADLY_SANDBOX_RATE_LIMIT": "10",  # Gladly's own limit: 429s above it
            "GLADLY_REQUESTS_PER_SECOND": "10",
            "SETTLE_AFTER_SECONDS": str(SETTLE_AFTER_SECONDS),
            "OUTBOX_BACKOFF_SECONDS": "0.2",
            "OUTBOX_BACKOFF_MAX_SECONDS": "2",
            "OUTBOX_POLL_SECONDS": "0.5",
            # Issue Discount is offered (it needs the merchant's consent, its id and a cap).
            "DISCOUNTS_ENABLED": "true",
            "ORDERGROOVE_MERCHANT_ID": DEMO_MERCHANT_ID,
            "DISCOUNT_MAX_AMOUNT": "25",
            "DISCOUNT_MAX_PERCENT": "20",
        }
        try:
            with running_stack(
                processes_per_program=2, deadline_seconds=DEADLINE_SECONDS, env_overrides=overrides
            ) as stack:
                verdicts, tally, scenes = await run(arguments, stack, store)
        finally:
            await store.close()
    if arguments.stories:
        print("\n".join([*verdicts.stories, "overwrites:", *verdicts.overwrites]), flush=True)
    print("\n".join(render(verdicts, tally, scenes)), flush=True)
    for line in verdicts.findings[:MAX_FINDINGS]:
        print(line, flush=True)
    print(f"took {time.monotonic() - started:.0f} s", flush=True)
    failed = [name for name in MUST_BE_ZERO if verdicts.columns[name][ALL] != 0]
    if failed:
        print(f"FAILED: {', '.join(failed)} must be 0", flush=True)
        return 1
    return 0


def main() -> None:
    raise SystemExit(asyncio.run(chaos(_arguments())))


if __name__ == "__main__":
    main()
