"""`make bench`: how fast, how far, and against what — measured side by side in one run.

Every suite runs the real programs as separate processes against the Ordergroove sandbox with a
fixed injected latency on every upstream request, and compares with the same upstream calls made
directly and with the no-gRPC baseline. Prints a table per suite and writes all numbers as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import statistics
import subprocess
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.clients import AsGladly, Direct
from bench.load import Call, Latencies, closed_loop, paced, sequential
from bench.stack import (
    OG_API_KEY,
    PAIR,
    SIGNING_KEY,
    Stack,
    cpu_seconds,
    free_port,
    rss_kib,
    running_stack,
    second_pair,
    seed_linked_customer,
)
from gateway.card import CANCEL, SKIP, SubscriptionRef
from services.devstack import BIN, Program, stop_all, wait_until_ready
from services.postgres_scratch import postgres_schema

RESULTS = Path(__file__).parent / "results"
DEMO_CUSTOMER = "demo-customer-1"
P99_LIMIT_MS = 1000.0
AGENTS = 32  # customers looked up in turn under closed-loop load


SUITES = ("overhead", "fan_out", "throughput", "memory", "deadline", "cpu", "hop", "turn")
# `hop` and `turn` compare with an earlier revision: run when asked (`--only hop --before <rev>`).
DEFAULT_SUITES = tuple(suite for suite in SUITES if suite not in ("hop", "turn"))
CPU_RATE = 20  # lookups per second in the `cpu` suite


@dataclass(frozen=True)
class Options:
    latency_ms: int
    quick: bool
    suites: tuple[str, ...] = DEFAULT_SUITES
    before: str = "HEAD"  # the git revision `hop` and `turn` measure this tree against
    postgres_dsn: str = ""  # `turn` also measures on PostgreSQL when set

    @property
    def rtt_ms(self) -> float:
        return float(self.latency_ms)

    def scale(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    """Print a plain text table: first column left-aligned, the others right-aligned."""
    cells = [header, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}", flush=True)
    for r in cells:
        first, *rest = r
        aligned = [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        print("  ".join([first.ljust(widths[0]), *aligned]), flush=True)


def ms(value: float) -> str:
    return f"{value:.1f}"


# --- fixtures in the sandboxes ---------------------------------------------------------------


async def seed_customer(
    stack: Stack, customer_id: str, count: int, next_orders: int = 0
) -> list[str]:
    """An Ordergroove customer with `count` live subscriptions shipping in `next_orders` orders
    (0: one each), linked to a Gladly customer `gladly-<customer_id>` with an open
    conversation; returns the subscription ids."""
    async with httpx.AsyncClient() as http:
        seed = {"count": count, "next_orders": next_orders}
        created = await seed_linked_customer(http, stack, customer_id, seed)
    return list(created["subscriptions"])


async def many_customers(stack: Stack, prefix: str) -> Callable[[], str]:
    """AGENTS customers shaped like the demo one (12 subscriptions in 6 orders), and a function
    that names them in turn. Load at many callers looks up many customers, as Gladly's agents
    do: one customer looked up by every caller at once would measure Ordergroove's limit of 5
    paginating requests in flight, which the service keeps per customer."""
    customers = [f"{prefix}-{n}" for n in range(AGENTS)]
    for customer in customers:
        await seed_customer(stack, customer, 12, next_orders=6)
    return partial(next, itertools.cycle(customers))


async def unsent_orders(stack: Stack, customer_id: str) -> int:
    async with httpx.AsyncClient(headers={"x-api-key": OG_API_KEY}) as http:
        answer = await http.get(
            f"{stack.ordergroove_url}/orders/", params={"customer": customer_id, "status": "1"}
        )
        count: int = answer.raise_for_status().json()["count"]
        return count


async def set_latency(stack: Stack, latency_ms: int) -> None:
    async with httpx.AsyncClient() as http:
        for url in (stack.ordergroove_url, stack.gladly_url):
            await http.delete(f"{url}/_sandbox/faults")
            if latency_ms:
                answer = await http.post(f"{url}/_sandbox/faults", json={"latency_ms": latency_ms})
                answer.raise_for_status()


@contextmanager
def baseline_server(stack: Stack) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ORDERGROOVE_BASE_URL": stack.ordergroove_url,
        "ORDERGROOVE_API_KEY": OG_API_KEY,
        "GLADLY_SIGNING_KEYS": SIGNING_KEY,
        "BASELINE_LISTEN": f"127.0.0.1:{port}",
    }
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "python"), "-m", "bench.baseline"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_ready(Program("bench.baseline", f"http://127.0.0.1:{port}/healthz"), process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_all([process])


# --- suites ------------------------------------------------------------------------------------


async def overhead(stack: Stack, options: Options) -> dict[str, Any]:
    """The gateway + gRPC hop against the same upstream calls made directly, same run."""
    gladly, direct = AsGladly(stack.gateway_url), Direct(stack.ordergroove_url, stack.gladly_url)
    plain = Direct(stack.ordergroove_url, stack.gladly_url, plain=True)
    seconds = options.scale(20, 4)
    result: dict[str, Any] = {}
    for rate in (10, 25, 50):
        before = stack.cpu()
        ours = await paced(lambda: gladly.detailed_lookup(DEMO_CUSTOMER), rate, seconds)
        cpu = _cpu_per_call(stack, before, ours)
        same_client = await paced(lambda: direct.lookup(DEMO_CUSTOMER), rate, seconds)
        plain_httpx = await paced(lambda: plain.lookup(DEMO_CUSTOMER), rate, seconds)
        # Against the same client the difference is the hop alone; against a plain httpx
        # client it is what a caller sees who would otherwise call Ordergroove directly.
        result[f"lookup_at_{rate}_per_s"] = _compare(ours, same_client) | {"cpu_ms": cpu}
        result[f"lookup_at_{rate}_per_s_vs_plain_httpx"] = _compare(ours, plain_httpx)
    await plain.aclose()
    subs = await seed_customer(stack, "skipper", 2)
    skipped = SubscriptionRef("gladly-skipper", "skipper", subs[0])
    skip_form = ""

    async def open_skip_form() -> None:
        # The agent's form names the order to skip; opening it is not part of the skip.
        nonlocal skip_form
        skip_form = await gladly.open_form(skipped, SKIP)

    async def skip_through_gateway() -> None:
        await gladly.skip(skip_form)

    skips = options.scale(100, 20)
    ours_skip = await sequential(skip_through_gateway, skips, prepare=open_skip_form)
    theirs_skip = await sequential(lambda: direct.skip("gladly-skipper", "skipper", subs[1]), skips)
    await gladly.aclose()
    await direct.aclose()
    result["skip_sequential"] = _compare(ours_skip, theirs_skip)
    table(
        "Overhead of gateway + gRPC over the same upstream calls made directly (ms)",
        [
            *("", "ours p50", "direct p50", "added p50", "ratio p50"),
            *("ours p99", "direct p99", "added p99", "ratio p99"),
            *("service CPU/call", "gateway CPU/call"),
        ],
        [
            [
                name,
                ms(r["ours"]["p50"]),
                ms(r["direct"]["p50"]),
                ms(r["added_p50_ms"]),
                f"{r['ratio_p50']:.2f}",
                ms(r["ours"]["p99"]),
                ms(r["direct"]["p99"]),
                ms(r["added_p99_ms"]),
                f"{r['ratio_p99']:.2f}",
                *(ms(r["cpu_ms"][name]) if "cpu_ms" in r else "" for name in PAIR),
            ]
            for name, r in result.items()
        ],
    )
    return result


def _cpu_per_call(stack: Stack, before: dict[str, float], calls: Latencies) -> dict[str, float]:
    """Milliseconds of CPU each program spent per call since `before` (process CPU time over the
    run, divided by the calls made; the clock ticks are 10 ms, so runs are hundreds of calls)."""
    after = stack.cpu()
    count = max(len(calls.samples) + calls.errors, 1)
    return {name: (after[name] - before[name]) * 1000 / count for name in PAIR}


async def cpu(options: Options) -> dict[str, Any]:
    """CPU per DETAILED lookup of the demo card with tracing on, and with tracing off (the
    sampler `always_off`: no span recorded) in a second pair beside it on the same sandboxes,
    paced at CPU_RATE lookups/s (below what the machine carries, so that no queue builds up).
    The two take turns in blocks, as the `hop` suite's arms do, so that both see the same
    machine state."""
    off = {"OTEL_TRACES_SAMPLER": "always_off"}
    with running_stack() as stack, second_pair(stack, env_overrides=off) as (off_url, off_pids):
        await set_latency(stack, options.latency_ms)
        gateways = {"tracing on": AsGladly(stack.gateway_url), "tracing off": AsGladly(off_url)}
        pids = {"tracing on": {n: stack.pids()[n][0] for n in PAIR}, "tracing off": off_pids}
        for gladly in gateways.values():
            await sequential(partial(gladly.detailed_lookup, DEMO_CUSTOMER), 20)  # warm

        def demo(arm: str) -> Awaitable[Latencies]:
            lookup = partial(gateways[arm].detailed_lookup, DEMO_CUSTOMER)
            return paced(lookup, CPU_RATE, options.scale(10, 3))

        result = await _take_turns(demo, pids, {}, direct=False)
        for gladly in gateways.values():
            await gladly.aclose()
    on, off_ = result["tracing on"]["cpu_ms"], result["tracing off"]["cpu_ms"]
    result["tracing_cost"] = {name: on[name] / off_[name] - 1 for name in PAIR}
    rows: list[list[object]] = []
    for label in ("tracing on", "tracing off"):
        figures = [result[label]["cpu_ms"][name] for name in PAIR]
        rows.append([label, *map(ms, figures), ms(result[label]["p50"]), ms(result[label]["p99"])])
    ratios = [f"{1 + result['tracing_cost'][name]:.2f}" for name in PAIR]
    table(
        f"CPU per DETAILED lookup of the demo card at {CPU_RATE}/s (ms of process CPU time)",
        ["", *PAIR, "p50 ms", "p99 ms"],
        [*rows, ["tracing on ÷ off", *ratios, "", ""]],
    )
    return result


HOP_RATES = (20, 50)
HOP_ROUNDS = 3
HOP_CALLERS = 16  # the closed loop's callers: where one process each levelled off before
SANDBOXES = ("ordergroove-sandbox", "gladly-sandbox")
LOAD_GENERATOR = "load generator"  # this process: it signs, sends and reads every call


async def hop(options: Options) -> dict[str, Any]:
    """This tree's service + gateway against those of `options.before`, beside each other on the
    same sandboxes, and the same upstream calls made directly: the demo card paced at
    HOP_RATES, and the 200-order card one at a time. The arms take turns in short blocks, so
    that each sees the same machine state; CPU is each arm's own processes' over its blocks."""
    result: dict[str, Any] = {"before": options.before}
    with (
        running_stack() as stack,
        second_pair(stack, ref=options.before) as (earlier_url, earlier_pids),
    ):
        await set_latency(stack, options.latency_ms)
        wide = "hop-200-0"
        await seed_customer(stack, wide, 200)
        gateways = {"before": AsGladly(earlier_url), "after": AsGladly(stack.gateway_url)}
        pids = {"before": earlier_pids, "after": {n: stack.pids()[n][0] for n in PAIR}}
        shared = {n: stack.pids()[n][0] for n in SANDBOXES} | {LOAD_GENERATOR: os.getpid()}
        direct = Direct(stack.ordergroove_url, stack.gladly_url)
        for gladly in gateways.values():
            await sequential(partial(gladly.detailed_lookup, DEMO_CUSTOMER), 20)
        await sequential(lambda: direct.lookup(DEMO_CUSTOMER), 20)
        block = options.scale(10, 3)
        for rate in HOP_RATES:

            def demo(arm: str, rate: float = rate) -> Awaitable[Latencies]:
                if arm == "direct":
                    return paced(lambda: direct.lookup(DEMO_CUSTOMER), rate, block)
                gladly = gateways[arm]
                return paced(lambda: gladly.detailed_lookup(DEMO_CUSTOMER), rate, block)

            result[f"demo at {rate}/s"] = await _take_turns(demo, pids, shared)

        for gladly in gateways.values():
            await sequential(partial(gladly.detailed_lookup, wide), 0)  # warm-up

        await sequential(lambda: direct.lookup(wide), 0)

        def wide_card(arm: str) -> Awaitable[Latencies]:
            if arm == "direct":
                return sequential(lambda: direct.lookup(wide), options.scale(10, 3), warmup=0)
            lookup = partial(gateways[arm].detailed_lookup, wide)
            return sequential(lookup, options.scale(10, 3), warmup=0)

        result["200 orders, one at a time"] = await _take_turns(wide_card, pids, shared)

        next_customer = await many_customers(stack, "hop-agent")

        def saturated(arm: str) -> Awaitable[Latencies]:
            if arm == "direct":
                return closed_loop(lambda: direct.lookup(next_customer()), HOP_CALLERS, block)
            gladly = gateways[arm]
            lookup = gladly.detailed_lookup
            return closed_loop(lambda: lookup(next_customer()), HOP_CALLERS, block)

        result[f"demo, {HOP_CALLERS} callers"] = await _take_turns(saturated, pids, shared)
        for gladly in gateways.values():
            await gladly.aclose()
        await direct.aclose()
    _hop_table(result, options)
    return result


async def _take_turns(
    measure: Callable[[str], Awaitable[Latencies]],
    pids: dict[str, dict[str, int]],
    shared: dict[str, int],
    *,
    direct: bool = True,
) -> dict[str, Any]:
    """Each arm of `pids` (and "direct") measured in turn, HOP_ROUNDS times. CPU per call is
    each arm's own processes' and the `shared` ones' (sandboxes, load generator) over its
    blocks."""
    arms = [*pids, "direct"] if direct else [*pids]
    runs: dict[str, list[Latencies]] = {arm: [] for arm in arms}
    cpu: dict[str, dict[str, float]] = {arm: {} for arm in arms}
    for _ in range(HOP_ROUNDS):
        for arm in arms:
            watched = pids.get(arm, {}) | shared
            started = {name: cpu_seconds(pid) for name, pid in watched.items()}
            runs[arm].append(await measure(arm))
            for name, seconds in started.items():
                spent = cpu_seconds(watched[name]) - seconds
                cpu[arm][name] = cpu[arm].get(name, 0.0) + spent
    merged = {
        arm: Latencies(
            tuple(x for run in r for x in run.samples),
            seconds=sum(run.seconds for run in r),
            errors=sum(run.errors for run in r),
            first_error=next((run.first_error for run in r if run.errors), ""),
        )
        for arm, r in runs.items()
    }
    result: dict[str, Any] = {}
    for arm, latencies in merged.items():
        count = max(len(latencies.samples) + latencies.errors, 1)
        result[arm] = _summary(latencies) | {
            "rate": latencies.rate,
            "cpu_ms": {name: spent * 1000 / count for name, spent in cpu[arm].items()},
        }
        if direct and arm != "direct":
            result[arm] |= {
                "added_p50_ms": latencies.p50 - merged["direct"].p50,
                "added_p99_ms": latencies.p99 - merged["direct"].p99,
            }
    return result


TURN_CALLERS = 16  # closed-loop callers of the `turn` suite
TURN_CUSTOMERS = 32  # "many customers": the callers' actions spread over these
TURN_SUBSCRIPTIONS = 640  # each arm's subscriptions per shape, changed in turn


class QuantityFlips:
    """Change Quantity actions on a pool of subscriptions, each flipped 1 → 2 → 1 … in turn
    (a subscription comes round again only after the whole pool): what each form shows is what
    the subscription holds, as long as every action before on it succeeded; one that failed is
    dropped from the pool."""

    def __init__(self, gladly: AsGladly, pool: list[tuple[str, str, str]]) -> None:
        self._gladly = gladly
        self._pool = deque((gladly_id, customer, sub, 1) for gladly_id, customer, sub in pool)

    async def change(self) -> None:
        gladly_id, customer, subscription, shown = self._pool.popleft()
        wanted = 3 - shown
        await self._gladly.change_quantity(gladly_id, customer, subscription, shown, wanted)
        self._pool.append((gladly_id, customer, subscription, wanted))


async def _quantity_pool(stack: Stack, prefix: str, customers: int) -> list[tuple[str, str, str]]:
    """TURN_SUBSCRIPTIONS live subscriptions over `customers` customers, interleaved (the
    callers' actions go to the customers in turn)."""
    per_customer = TURN_SUBSCRIPTIONS // customers
    by_customer = [
        [(f"gladly-{prefix}-{n}", f"{prefix}-{n}", sub) for sub in subs]
        for n in range(customers)
        for subs in [await seed_customer(stack, f"{prefix}-{n}", per_customer)]
    ]
    return [row for rows in zip(*by_customer, strict=True) for row in rows]


async def turn(options: Options) -> dict[str, Any]:
    """What one action at a time per customer costs: Change Quantity actions/s of this tree
    beside those of `options.before` (the revision before the turns), on the same sandboxes,
    TURN_CALLERS callers in a closed loop, their actions spread over TURN_CUSTOMERS customers
    and all on one customer. The arms take turns in blocks, as in `hop`; on SQLite (each pair a
    store of its own, as `make bench` runs) and, with `--postgres-dsn`, on PostgreSQL (each
    pair a schema of its own), where the turns of replicas are kept."""
    result: dict[str, Any] = {"before": options.before}
    stores = [("SQLite", "")] + (
        [("PostgreSQL", options.postgres_dsn)] * bool(options.postgres_dsn)
    )
    for store, dsn in stores:
        async with contextlib.AsyncExitStack() as scope:
            after_env, before_env = {}, {}
            if dsn:
                after_env["STORE_URL"] = await scope.enter_async_context(
                    postgres_schema(dsn, "bench_after")
                )
                before_env["STORE_URL"] = await scope.enter_async_context(
                    postgres_schema(dsn, "bench_before")
                )
            stack = scope.enter_context(running_stack(env_overrides=after_env))
            earlier_url, earlier_pids = scope.enter_context(
                second_pair(stack, ref=options.before, env_overrides=before_env)
            )
            result[store] = await _turn_shapes(stack, earlier_url, earlier_pids, options)
    _turn_table(result)
    return result


async def _turn_shapes(
    stack: Stack, earlier_url: str, earlier_pids: dict[str, int], options: Options
) -> dict[str, Any]:
    await set_latency(stack, options.latency_ms)
    gateways = {"before": AsGladly(earlier_url), "after": AsGladly(stack.gateway_url)}
    pids = {"before": earlier_pids, "after": {n: stack.pids()[n][0] for n in PAIR}}
    shared = {n: stack.pids()[n][0] for n in SANDBOXES} | {LOAD_GENERATOR: os.getpid()}
    block = options.scale(6, 3)
    result: dict[str, Any] = {}
    for shape, customers in (("many customers", TURN_CUSTOMERS), ("one customer", 1)):
        flips = {
            arm: QuantityFlips(
                gladly, await _quantity_pool(stack, f"turn-{arm}-{customers}", customers)
            )
            for arm, gladly in gateways.items()
        }
        for arm in gateways:
            await sequential(flips[arm].change, 0)  # warm-up

        def measure(arm: str, flips: dict[str, QuantityFlips] = flips) -> Awaitable[Latencies]:
            return closed_loop(flips[arm].change, TURN_CALLERS, block)

        result[shape] = await _take_turns(measure, pids, shared, direct=False)
    for gladly in gateways.values():
        await gladly.aclose()
    return result


def _turn_table(result: dict[str, Any]) -> None:
    rows: list[list[object]] = []
    for store, shapes in result.items():
        if not isinstance(shapes, dict):
            continue
        for shape, arms in shapes.items():
            before, after = arms["before"], arms["after"]
            for arm, r in arms.items():
                rows.append(
                    [
                        f"{store}, {shape}: {arm}",
                        f"{r['rate']:.1f}",
                        ms(r["p50"]),
                        ms(r["p99"]),
                        r["errors"],
                        *(ms(r["cpu_ms"][name]) for name in PAIR),
                    ]
                )
            ratio = f"{after['rate'] / before['rate']:.2f}"
            rows.append([f"{store}, {shape}: after ÷ before", ratio, *[""] * 5])
    table(
        f"Change Quantity actions, {result['before']} (before) beside this tree (after), "
        f"{TURN_CALLERS} callers, same run",
        ["", "actions/s", "p50 ms", "p99 ms", "errors", *(f"{n} CPU/action" for n in PAIR)],
        rows,
    )


def _hop_table(result: dict[str, Any], options: Options) -> None:
    rows: list[list[object]] = []
    cpu_rows: list[list[object]] = []
    watched = [*PAIR, *SANDBOXES, LOAD_GENERATOR]
    for name, arms in result.items():
        if not isinstance(arms, dict):
            continue
        for arm, r in arms.items():
            rows.append(
                [
                    f"{name}: {arm}",
                    f"{r['rate']:.1f}",
                    ms(r["p50"]),
                    ms(r["p99"]),
                    ms(r["added_p50_ms"]) if "added_p50_ms" in r else "",
                    ms(r["added_p99_ms"]) if "added_p99_ms" in r else "",
                    f"{r['p50'] / options.rtt_ms:.2f}",
                ]
            )
            spent = [r["cpu_ms"].get(program) for program in watched]
            cpu_rows.append(
                [
                    f"{name}: {arm}",
                    *(ms(x) if x is not None else "" for x in spent),
                    ms(sum(x for x in spent if x is not None)),
                ]
            )
    table(
        f"The hop, {result['before']} (before) beside this tree (after), same run (ms)",
        ["", "calls/s", "p50", "p99", "added p50", "added p99", "p50 / round trip"],
        rows,
    )
    table(
        "CPU per call by process, same blocks (ms)",
        ["", *watched, "all"],
        cpu_rows,
    )


def _compare(ours: Latencies, direct: Latencies) -> dict[str, Any]:
    return {
        "ours": _summary(ours),
        "direct": _summary(direct),
        "added_p50_ms": ours.p50 - direct.p50,
        "added_p99_ms": ours.p99 - direct.p99,
        "ratio_p50": ours.p50 / direct.p50,
        "ratio_p99": ours.p99 / direct.p99,
    }


def _summary(latencies: Latencies) -> dict[str, Any]:
    if latencies.errors:
        print(f"  {latencies.errors} failed calls, the first: {latencies.first_error}", flush=True)
    return {
        "count": len(latencies.samples),
        "errors": latencies.errors,
        "first_error": latencies.first_error,
        "p50": latencies.p50,
        "p99": latencies.p99,
        "max": latencies.max,
    }


# (subscriptions, next orders they ship in): one order each is the worst case; Ordergroove puts
# what ships on the same day in one order, here one order per ten subscriptions.
FAN_OUT_CUSTOMERS = ((1, 0), (10, 0), (50, 0), (200, 0), (50, 5), (200, 20))


async def fan_out(stack: Stack, options: Options) -> dict[str, Any]:
    """Lookup latency by number of subscriptions and of orders, in upstream round trips."""
    gladly = AsGladly(stack.gateway_url)
    result: dict[str, Any] = {}
    customers = [(DEMO_CUSTOMER, 12)]
    for count, orders in FAN_OUT_CUSTOMERS:
        customer = f"fan-{count}-{orders}"
        await seed_customer(stack, customer, count, next_orders=orders)
        customers.append((customer, count))
    for customer, count in customers:

        async def lookup(customer: str = customer) -> None:
            await gladly.detailed_lookup(customer)

        await sequential(lookup, 0)  # warm-up, before the CPU is read
        before = stack.cpu()
        latencies = await sequential(lookup, options.scale(40, 10), warmup=0)
        result[customer] = _summary(latencies) | {
            "cpu_ms": _cpu_per_call(stack, before, latencies),
            "subscriptions": count,
            "next_orders": await unsent_orders(stack, customer),
            "rtt_multiple": latencies.p50 / options.rtt_ms,
        }
    await gladly.aclose()
    table(
        f"Fan-out: DETAILED lookup by number of subscriptions (round trip {options.rtt_ms} ms)",
        ["subscriptions", "next orders", "p50 ms", "p99 ms", "p50 / round trip"]
        + [f"{name} CPU/call" for name in PAIR],
        [
            [
                r["subscriptions"],
                r["next_orders"],
                ms(r["p50"]),
                ms(r["p99"]),
                f"{r['rtt_multiple']:.2f}",
                *(ms(r["cpu_ms"][name]) for name in PAIR),
            ]
            for r in result.values()
        ],
    )
    return result


def _within_limits(level: dict[str, Any]) -> bool:
    """No failed call and p99 at most P99_LIMIT_MS (False for a NaN p99)."""
    return not level["errors"] and level["p99"] <= P99_LIMIT_MS


def _best_rate(levels: list[dict[str, Any]]) -> float:
    """The highest rate among the levels within limits, not the one that stopped the ramp."""
    return max((lv["rate"] for lv in levels if _within_limits(lv)), default=float("nan"))


async def ramp(call: Call, options: Options) -> list[dict[str, Any]]:
    """Rising concurrency until p99 passes 1 s, calls fail, or the levels run out."""
    levels = []
    for concurrency in (1, 2, 4, 8, 16, 32, 64, 128):
        latencies = await closed_loop(call, concurrency, options.scale(6, 2))
        level = _summary(latencies) | {"concurrency": concurrency, "rate": latencies.rate}
        levels.append(level)
        if not _within_limits(level):
            break
    return levels


def _ramp_rows(name: str, levels: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [name, lv["concurrency"], f"{lv['rate']:.0f}", ms(lv["p50"]), ms(lv["p99"]), lv["errors"]]
        for lv in levels
    ]


async def throughput(stack: Stack, options: Options, label: str) -> dict[str, Any]:
    """Lookups/s and actions/s at rising concurrency, and the no-gRPC baseline's lookups/s."""
    gladly = AsGladly(stack.gateway_url)
    result: dict[str, Any] = {}
    next_customer = await many_customers(stack, f"agent-{len(stack.pids()['actions-service'])}")
    result["lookups"] = await ramp(lambda: gladly.detailed_lookup(next_customer()), options)
    pool: list[str] = []  # cancel forms, opened beforehand: the ramp times their submissions
    for n in range(options.scale(20, 6)):
        customer = f"cancel-{len(stack.pids()['actions-service'])}-{n}"
        refs = [
            SubscriptionRef(f"gladly-{customer}", customer, sub)
            for sub in await seed_customer(stack, customer, 200)
        ]
        pool += await asyncio.gather(*(gladly.open_form(ref, CANCEL) for ref in refs))

    async def cancel() -> None:
        if not pool:
            raise RuntimeError("no subscriptions left to cancel")
        await gladly.cancel(pool.pop())

    result["actions"] = await ramp(cancel, options)
    changes: list[tuple[str, str, str]] = []
    for n in range(options.scale(20, 6)):
        customer = f"quantity-{len(stack.pids()['actions-service'])}-{n}"
        subscriptions = await seed_customer(stack, customer, 200)
        changes += [(f"gladly-{customer}", customer, sub) for sub in subscriptions]

    async def change_quantity() -> None:
        if not changes:
            raise RuntimeError("no subscriptions left to change")
        gladly_id, customer, subscription = changes.pop()
        await gladly.change_quantity(gladly_id, customer, subscription, shown=1, quantity=2)

    result["quantity_changes"] = await ramp(change_quantity, options)
    await gladly.aclose()
    with baseline_server(stack) as baseline_url:
        baseline = AsGladly(baseline_url)
        result["baseline_lookups"] = await ramp(
            lambda: baseline.detailed_lookup(next_customer()), options
        )
        await baseline.aclose()
    best = _best_rate(result["lookups"])
    best_baseline = _best_rate(result["baseline_lookups"])
    ratio = result["lookup_ratio_to_baseline"] = best / best_baseline
    table(
        f"Throughput, {label} (rate = completed calls per second)",
        ["", "concurrency", "rate", "p50 ms", "p99 ms", "errors"],
        _ramp_rows("lookups", result["lookups"])
        + _ramp_rows("actions (cancel)", result["actions"])
        + _ramp_rows("actions (change quantity)", result["quantity_changes"])
        + _ramp_rows("baseline lookups", result["baseline_lookups"]),
    )
    print(f"best lookups/s: ours {best:.0f}, baseline {best_baseline:.0f}: {ratio:.2f}x")
    return result


async def deadline_precision(options: Options) -> dict[str, Any]:
    """With a hanging Ordergroove: how long after the deadline the answer comes (the card's
    notice that Ordergroove could not be read), and whether any outbound request is still open
    when it does."""
    deadline_s = 1.0
    late: list[float] = []
    still_open = 0
    with running_stack(deadline_seconds=deadline_s) as stack:
        gladly = AsGladly(stack.gateway_url)
        async with httpx.AsyncClient(base_url=stack.ordergroove_url) as og:
            await og.post("/_sandbox/faults", json={"path": "/orders/", "hang": True})
            for _ in range(options.scale(20, 5)):
                await og.delete("/_sandbox/requests")
                started = time.perf_counter()
                response = await gladly.request(
                    "POST",
                    "/gladly/lookup",
                    {"lookupLevel": "DETAILED", "query": {"externalCustomerId": DEMO_CUSTOMER}},
                )
                late.append((time.perf_counter() - started - deadline_s) * 1000)
                # The gateway answers a lookup the service could not finish with the card's
                # notice (200, `subscriptionsNotice`), an action with 504.
                if response.status_code != 504 and "subscriptionsNotice" not in response.text:
                    raise RuntimeError(f"expected the deadline's answer, got {response.text!r}")
                await asyncio.sleep(0.05)
                journal = (await og.get("/_sandbox/requests")).json()
                still_open += sum(1 for entry in journal if entry["status"] is None)
        await gladly.aclose()
    result = {
        "deadline_s": deadline_s,
        "after_deadline_ms_median": statistics.median(late),
        "after_deadline_ms_max": max(late),
        "outbound_requests_open_50ms_after_answer": still_open,
    }
    table(
        "Deadline precision: the answer after a 1 s deadline with a hanging Ordergroove",
        ["", "median ms late", "max ms late", "requests still open"],
        [["answer", ms(statistics.median(late)), ms(max(late)), still_open]],
    )
    return result


async def memory(stack: Stack, options: Options) -> dict[str, Any]:
    gladly = AsGladly(stack.gateway_url)
    before = {name: sum(map(rss_kib, pids)) for name, pids in stack.pids().items()}
    count = options.scale(10_000, 1_000)
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await gladly.detailed_lookup(DEMO_CUSTOMER)

    await asyncio.gather(*(worker() for _ in range(16)))
    after = {name: sum(map(rss_kib, pids)) for name, pids in stack.pids().items()}
    await gladly.aclose()
    result = {
        name: {
            "before_kib": before[name],
            "after_kib": after[name],
            "growth": after[name] / before[name] - 1,
        }
        for name in before
    }
    table(
        f"Memory: resident set before and after {count} lookups",
        ["process", "before MiB", "after MiB", "growth"],
        [
            [
                name,
                f"{r['before_kib'] / 1024:.1f}",
                f"{r['after_kib'] / 1024:.1f}",
                f"{r['growth']:+.1%}",
            ]
            for name, r in result.items()
        ],
    )
    return result


async def run(options: Options) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "latency_ms": options.latency_ms,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    one_each = {"overhead", "fan_out", "throughput", "memory"} & set(options.suites)
    if one_each:
        with running_stack() as stack:
            await set_latency(stack, options.latency_ms)
            if "overhead" in one_each:
                results["overhead"] = await overhead(stack, options)
            if "fan_out" in one_each:
                results["fan_out"] = await fan_out(stack, options)
            if "throughput" in one_each:
                label = "one process each"
                results["throughput_1_process"] = await throughput(stack, options, label)
            if "memory" in one_each:
                results["memory"] = await memory(stack, options)
    if "throughput" in options.suites:
        with running_stack(processes_per_program=os.cpu_count() or 2) as stack:
            await set_latency(stack, options.latency_ms)
            label = "one process per core"
            results["throughput_per_core"] = await throughput(stack, options, label)
    if "deadline" in options.suites:
        results["deadline"] = await deadline_precision(options)
    if "cpu" in options.suites:
        results["cpu"] = await cpu(options)
    if "hop" in options.suites:
        results["hop"] = await hop(options)
    if "turn" in options.suites:
        results["turn"] = await turn(options)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=25, help="injected upstream latency")
    parser.add_argument("--quick", action="store_true", help="fewer samples, for a smoke run")
    parser.add_argument(
        "--only", action="append", choices=SUITES, help="run this suite only (repeatable)"
    )
    parser.add_argument(
        "--before",
        default="HEAD",
        help="git revision `hop` and `turn` run beside this tree (default: the last commit)",
    )
    parser.add_argument(
        "--postgres-dsn",
        default="",
        help="`turn` also measures with the stores on this PostgreSQL (a schema each, dropped)",
    )
    args = parser.parse_args()
    suites = tuple(args.only or DEFAULT_SUITES)
    options = Options(args.latency_ms, args.quick, suites, args.before, args.postgres_dsn)
    results = asyncio.run(run(options))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
