"""`make chaos`: nothing twice, nothing lost, under faults — a bounded run that fails when not.

Two Actions service replicas and two gateways on one PostgreSQL store serve a steady load of
lookups and of every kind of action (as Gladly sends them, signed, through the gateways: the
form, then its action URL) while Ordergroove flaps (5xx, 423, 429, hangs, answers lost after
the write), Gladly answers 429 and 5xx, and one service replica is killed with SIGKILL and
restarted, twice. Some forms are submitted twice at once; half the failed submissions are
submitted again (the same form: the same request), some before the settler's turn and some
after; the settler must settle the others.
The run then waits (bounded) until no record is open and no timeline entry pending, and
prints one table.

Each action has a target of its own: a customer with one subscription in the state where the
action applies (a cancelled one to reactivate, a prepaid one to change the renewal of, …). So
what Ordergroove applied is exact, per target, from its request journal: the action's write
answered 200, or 502 — the only status the run injects *after* the write (every other fault
comes before it). And each target's customer has a Gladly timeline of its own: the entry owed
(the change, or the not-applied note of a settled record) is there once, or it is lost.

    make chaos                                     # 60 s of load
    make chaos ARGS="--seconds 20"
    CHAOS_POSTGRES_DSN=postgresql://user@host/db make chaos

Exit status 1 when a must-be-zero column is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import httpx
from sqlalchemy import select

from bench.clients import AsGladly
from bench.stack import Stack, restart, running_stack
from gateway import card
from services.actions_service.domain import Action, timeline_item_id
from services.actions_service.store import Store
from services.actions_service.store.rows import OPEN_STATES, RecordState
from services.actions_service.store.schema import action_records
from services.ordergroove_sandbox.journal import MAX_ENTRIES as JOURNAL_CAPACITY
from services.postgres_scratch import postgres_schema

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
FORM_TRIES = 3  # an agent presses the button again when the form does not open
DOUBLE_CLICKS = 0.15  # the share of forms submitted twice at once (the same request)
MUST_BE_ZERO = (
    "applied twice",
    "applied unasked",
    "state disagrees",
    "timeline duplicated",
    "timeline lost",
    "open records left",
)
ALL = "all"


@dataclass(frozen=True)
class Kind:
    """One kind of action: its button, the Ordergroove write it makes (the last segment of the
    PATCH path), the subscription it applies to, and what the agent enters in its form."""

    action: Action
    segment: str  # the button's URL segment
    write: str
    seed: dict[str, Any]  # the subscription, as the sandbox's seeding takes it
    entered: Callable[[dict[str, Any]], dict[str, str]] = lambda form: {}

    @property
    def on_order(self) -> bool:
        """Whether the write's path names the order rather than the subscription."""
        return self.write in ("skip_subscription", "send_now")


def _first_reason(form: dict[str, Any]) -> dict[str, str]:
    [options] = [s["input"]["options"] for s in form["sections"] if s.get("attr") == "reason"]
    return {"reason": options[0]["value"], "details": "chaos run"}


# Seeded live subscriptions ship every month, one of each, next order in 7 days, autorenew.
KINDS: Final = (
    Kind(Action.CANCEL, card.CANCEL, "cancel", {}, _first_reason),
    Kind(Action.SKIP, card.SKIP, "skip_subscription", {}),
    Kind(Action.REACTIVATE, card.REACTIVATE, "reactivate", {"cancelled": True}),
    Kind(
        Action.CHANGE_NEXT_ORDER_DATE,
        card.CHANGE_NEXT_ORDER_DATE,
        "change_next_order_date",
        {},
        # Not the seeded 7 days ahead: asking for the date it already has is refused.
        lambda form: {"orderDate": (date.today() + timedelta(days=20)).isoformat()},
    ),
    Kind(
        Action.CHANGE_FREQUENCY,
        card.CHANGE_FREQUENCY,
        "change_frequency",
        {},
        lambda form: {"every": "2", "period": "week"},
    ),
    Kind(
        Action.CHANGE_QUANTITY,
        card.CHANGE_QUANTITY,
        "change_quantity",
        {},
        lambda form: {"quantity": "3"},
    ),
    Kind(Action.SEND_NOW, card.SEND_NOW, "send_now", {}),
    Kind(
        Action.CHANGE_RENEWAL,
        card.CHANGE_RENEWAL,
        "change_renewal_behavior",
        {"prepaid": True},
        lambda form: {"renewal": "cancel"},
    ),
)


@dataclass
class Target:
    kind: Kind
    customer_id: str
    subscription_id: str
    order_id: str  # its next order ("" without one)
    sent: bool = False
    form_failed: bool = False
    double_clicked: bool = False
    resubmitted: bool = False
    answer: int | None = None  # the gateway's last status for the action (None: no answer)

    @property
    def gladly_id(self) -> str:
        return f"gladly-{self.customer_id}"

    @property
    def written(self) -> str:
        """The id the write's path names."""
        return self.order_id if self.kind.on_order else self.subscription_id


@dataclass
class Tally:
    lookups: list[float] = field(default_factory=list)  # latencies of answered lookups (s)
    actions: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (60)")
    parser.add_argument("--actions-per-second", type=float, default=2.0, help="(2)")
    parser.add_argument("--lookups-per-second", type=float, default=4.0, help="(4)")
    parser.add_argument("--settle-within", type=float, default=90.0, help="bound (90 s)")
    arguments = parser.parse_args()
    # Ordergroove's sandbox journals only its last JOURNAL_CAPACITY requests (10,000): about
    # 40 a second here, and a full journal may have dropped writes.
    if not 5 <= arguments.seconds <= 200:
        parser.error("--seconds: from 5 to 200")
    return arguments


# --- the targets -----------------------------------------------------------------------------


async def seed_targets(stack: Stack, per_kind: int) -> list[Target]:
    """`per_kind` targets of each kind, interleaved (the load takes them in turn): each an
    Ordergroove customer with one subscription, linked to a Gladly customer with an open
    conversation."""
    async with httpx.AsyncClient() as http:

        async def seed(n: int, kind: Kind) -> Target:
            customer = f"chaos-{n}"
            created = await http.post(
                f"{stack.ordergroove_url}/_sandbox/customers",
                json={
                    "merchant_user_id": customer,
                    "email": f"{customer}@example.com",
                    "subscriptions": [kind.seed],
                },
            )
            created.raise_for_status()
            linked = await http.post(
                f"{stack.gladly_url}/_sandbox/customers",
                json={
                    "id": f"gladly-{customer}",
                    "externalCustomerId": customer,
                    "conversation": "OPEN",
                },
            )
            linked.raise_for_status()
            [subscription] = created.json()["subscriptions"]
            orders = created.json()["orders"]
            return Target(kind, customer, subscription, orders[0] if orders else "")

        pairs = enumerate(kind for _ in range(per_kind) for kind in KINDS)
        return [await seed(n, kind) for n, kind in pairs]


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


async def timed(
    gladly: AsGladly, tally: Tally, latencies: list[float], *request: Any
) -> httpx.Response | None:
    started = time.monotonic()
    try:
        response = await gladly.request(*request)
    except httpx.HTTPError:
        tally.statuses[0] += 1
        return None
    tally.statuses[response.status_code] += 1
    if response.status_code < 500:
        latencies.append(time.monotonic() - started)
    return response


async def press(gladly: AsGladly, tally: Tally, target: Target) -> None:
    """What Gladly does for a button: fetch the form (again, if it did not open), then submit
    its defaults with what the agent entered to its action URL (some twice at once, a double
    click); after a failed answer, half the agents submit the same form again, before or after
    the settler had its turn."""
    ref = card.SubscriptionRef(target.gladly_id, target.customer_id, target.subscription_id)
    form: dict[str, Any] | None = None
    for _ in range(FORM_TRIES):
        shown = await timed(gladly, tally, [], "GET", card.form_url(ref, target.kind.segment))
        if shown is not None and shown.status_code == 200:
            form = shown.json()
            break
        await asyncio.sleep(0.5)
    if form is None:
        target.form_failed = True
        return
    defaults = {
        section["attr"]: section["defaultValue"]
        for section in form["sections"]
        if "attr" in section and "defaultValue" in section
    }
    target.sent = True
    body = defaults | target.kind.entered(form)
    submit = ("POST", form["actionUrl"], body)
    if random.random() < DOUBLE_CLICKS:
        target.double_clicked = True
        answered, _ = await asyncio.gather(
            timed(gladly, tally, tally.actions, *submit),
            timed(gladly, tally, tally.actions, *submit),
        )
    else:
        answered = await timed(gladly, tally, tally.actions, *submit)
    if (answered is None or answered.status_code >= 500) and random.random() < 0.5:
        await asyncio.sleep(random.uniform(0, 2 * SETTLE_AFTER_SECONDS))
        target.resubmitted = True
        answered = await timed(gladly, tally, tally.actions, *submit)
    target.answer = answered.status_code if answered is not None else None


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


# --- settling and counting -------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    request_id: str
    action: Action
    state: RecordState
    subscription_id: str

    @property
    def change_item(self) -> str:
        return timeline_item_id(self.action, self.request_id)

    @property
    def note_item(self) -> str:
        return timeline_item_id(self.action, self.request_id, "not-applied")


def owed_item(mine: list[Record], applied: int) -> str | None:
    """The one timeline item a target's customer is owed: the change's entry when the action
    applied (an id no item has when no record completed it), else a settled record's
    not-applied note; None when nothing was settled (e.g. refused, or never sent)."""
    done = [r for r in mine if r.state is RecordState.DONE]
    if done or applied:
        return done[0].change_item if done else "(no record completed it)"
    noted = [r for r in mine if r.state is RecordState.NOT_APPLIED]
    return noted[0].note_item if noted else None


async def records(store: Store) -> list[Record]:
    query = select(
        action_records.c.request_id,
        action_records.c.action,
        action_records.c.state,
        action_records.c.request,
    )
    async with store.database.transaction() as connection:
        rows = await connection.execute(query)
        return [
            Record(rid, Action(action), RecordState(state), request["subscription_id"])
            for rid, action, state, request in rows
        ]


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


def applied_writes(journal: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """Ordergroove writes that applied, by (write, the id its path names)."""
    applied: Counter[tuple[str, str]] = Counter()
    for row in journal:
        if row["method"] == "PATCH" and row["status"] in APPLIED_STATUSES:
            # /subscriptions/{id}/{write}/ or /orders/{id}/{write}/; any other is no target's.
            segments: list[str] = [*str(row["path"]).strip("/").split("/"), "", ""]
            applied[segments[2], segments[1]] += 1
    return applied


def count(
    targets: list[Target],
    journal: list[dict[str, Any]],
    timeline: list[dict[str, Any]],
    settled: list[Record],
) -> dict[str, Counter[str]]:
    """Each column of the table, per kind of action (and for all)."""
    applied = applied_writes(journal)
    items_of: dict[str, Counter[str]] = {}
    for entry in timeline:
        items_of.setdefault(entry["customerId"], Counter())[entry["id"]] += 1
    records_of: dict[str, list[Record]] = {}
    for record in settled:
        records_of.setdefault(record.subscription_id, []).append(record)
    columns: dict[str, Counter[str]] = {}

    def add(column: str, kind: Kind, n: int | bool = 1) -> None:
        columns.setdefault(column, Counter())[kind.action.value] += int(n)
        columns[column][ALL] += int(n)

    for target in targets:
        kind, mine = target.kind, records_of.pop(target.subscription_id, [])
        times = applied.pop((kind.write, target.written), 0)
        items = items_of.pop(target.gladly_id, Counter())
        done = sum(r.state is RecordState.DONE for r in mine)
        add("actions sent", kind, target.sent)
        add("forms failed", kind, target.form_failed)
        add("submitted twice at once", kind, target.double_clicked)
        add("submitted again", kind, target.resubmitted)
        add("answered 200 (at last)", kind, target.answer == 200)
        add("applied exactly once", kind, times == 1)
        add("applied twice", kind, times > 1)
        add("applied unasked", kind, times > 0 and not target.sent)
        # The records completed are exactly the actions Ordergroove applied.
        add("state disagrees", kind, done != min(times, 1) or len(mine) > int(target.sent))
        add("not applied, settled", kind, sum(r.state is RecordState.NOT_APPLIED for r in mine))
        add("refused", kind, sum(r.state is RecordState.REFUSED for r in mine))
        add("open records left", kind, sum(r.state in OPEN_STATES for r in mine))
        owed = owed_item(mine, times)
        add("timeline exactly once", kind, owed is not None and items[owed] == 1)
        add("timeline duplicated", kind, sum(items.values()) - (owed in items))
        add("timeline lost", kind, owed is not None and owed not in items)
    # Writes and entries of no target, and records of none: none of them was asked for.
    for column, left in (
        ("applied unasked", sum(applied.values())),
        ("timeline duplicated", sum(map(len, items_of.values()))),
        ("state disagrees", sum(map(len, records_of.values()))),
    ):
        columns[column][ALL] += left
    return columns


def _percentile(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000:.0f}"


def render(columns: dict[str, Counter[str]], tally: Tally) -> list[str]:
    """One table: a row per column of the count (must-be-zero ones marked), a column per kind
    of action and one for all; then the lookups and the gateways' answers."""
    kinds = [kind.action.value for kind in KINDS] + [ALL]
    rows = [
        [f"{name} (0)" if name in MUST_BE_ZERO else name, *(str(by[k]) for k in kinds)]
        for name, by in columns.items()
    ]
    blank = [""] * len(KINDS)
    five_xx = sum(n for status, n in tally.statuses.items() if status >= 500 or not status)
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
) -> tuple[dict[str, Counter[str]], Tally]:
    sends = int(arguments.seconds * arguments.actions_per_second) + 1
    targets = await seed_targets(stack, -(-sends // len(KINDS)))
    tally = Tally()
    gladly = AsGladly(stack.gateway_url)
    pending: Iterator[Target] = iter(targets)
    customers = itertools.cycle(random.sample(targets, len(targets)))
    try:

        async def act() -> None:
            target = next(pending, None)
            if target is not None:
                await press(gladly, tally, target)

        async def lookup() -> None:
            body = {
                "lookupLevel": "DETAILED",
                "query": {"externalCustomerId": next(customers).customer_id},
                "uniqueMatchRequired": True,
            }
            await timed(gladly, tally, tally.lookups, "POST", "/gladly/lookup", body)

        until = time.monotonic() + arguments.seconds
        third = arguments.seconds / 3
        await asyncio.gather(
            steady(arguments.actions_per_second, until, act),
            steady(arguments.lookups_per_second, until, lookup),
            flap(stack.ordergroove_url, ORDERGROOVE_FAULTS, until),
            flap(stack.gladly_url, GLADLY_FAULTS, until),
            kill_and_restart(stack, [until - 2 * third, until - third]),
        )
        await wait_settled(store, arguments.settle_within)
        for reason, n in (await failures(store)).most_common():
            print(f"attempts failed with {reason}: {n}", flush=True)
        async with httpx.AsyncClient() as http:
            journal = (await http.get(f"{stack.ordergroove_url}/_sandbox/requests")).json()
            timeline = (await http.get(f"{stack.gladly_url}/_sandbox/timeline")).json()
        print(f"Ordergroove requests journaled: {len(journal)} of {JOURNAL_CAPACITY}", flush=True)
        if len(journal) >= JOURNAL_CAPACITY:
            raise SystemExit("Ordergroove's journal is full: writes may be missing; run shorter")
        return count(targets, journal, timeline, await records(store)), tally
    finally:
        await gladly.aclose()


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
        }
        try:
            with running_stack(
                processes_per_program=2, deadline_seconds=DEADLINE_SECONDS, env_overrides=overrides
            ) as stack:
                columns, tally = await run(arguments, stack, store)
        finally:
            await store.close()
    print("\n".join(render(columns, tally)), flush=True)
    print(f"took {time.monotonic() - started:.0f} s", flush=True)
    failed = [name for name in MUST_BE_ZERO if columns[name][ALL] != 0]
    if failed:
        print(f"FAILED: {', '.join(failed)} must be 0", flush=True)
        return 1
    return 0


def main() -> None:
    raise SystemExit(asyncio.run(chaos(_arguments())))


if __name__ == "__main__":
    main()
