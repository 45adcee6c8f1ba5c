"""Gladly's budget is kept by all replicas together, and what Gladly says about it is honoured:
10 requests per second per method for the whole organisation, `Retry-After` on 429 and 503,
`Ratelimit-Remaining-Second`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from actions.v1 import actions_pb2 as pb
from services.actions_service import deadline
from services.actions_service.errors import UpstreamUnavailable
from services.actions_service.ratelimit import SharedBudget
from services.actions_service.store import Store
from services.actions_service.upstream import RetryPolicy, Upstream, pooled_client
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from tests.servers import serve_asgi
from tests.stack import ServiceHandle, journal, opened_store, running_service, service_settings


async def gladly_statuses(gladly: httpx.AsyncClient, method: str) -> list[int]:
    return [row["status"] for row in await journal(gladly, method, "/api/")]


async def card_reads(handle: ServiceHandle, count: int) -> list[pb.GetSubscriptionsResponse]:
    """`count` card reads at once, each reading the Gladly customer's profile (its link)."""
    request = pb.GetSubscriptionsRequest(gladly_customer_id=GLADLY_CUSTOMER)
    return list(
        await asyncio.gather(*(handle.stub.GetSubscriptions(request) for _ in range(count)))
    )


async def test_a_burst_of_card_reads_stays_under_gladlys_limit(
    ordergroove_url: str, gladly_url: str, gladly: httpx.AsyncClient
) -> None:
    """12 reads at once: none is answered 429 by Gladly, and every agent gets the card."""
    async with running_service(service_settings(ordergroove_url, gladly_url)) as service:
        answers = await card_reads(service, 12)
    assert all(answer.linked for answer in answers)
    statuses = await gladly_statuses(gladly, "GET")
    assert statuses == [200] * 12


async def test_replicas_share_one_budget(
    ordergroove_url: str, gladly_url: str, store_url: str, gladly: httpx.AsyncClient
) -> None:
    """Two replicas on one store, 8 reads each at once: together they stay under 10/s, with
    nothing divided by hand."""
    settings = service_settings(
        ordergroove_url, gladly_url, store_url=store_url, deadline_seconds=6.0
    )
    async with AsyncExitStack() as replicas:
        handles = [await replicas.enter_async_context(running_service(settings)) for _ in "ab"]
        answers = await asyncio.gather(*(card_reads(handle, 8) for handle in handles))
    assert all(answer.linked for batch in answers for answer in batch)
    assert await gladly_statuses(gladly, "GET") == [200] * 16


# --- Retry-After, over a server that asks for it ------------------------------------------------


@asynccontextmanager
async def busy_once(status: int, retry_after: str) -> AsyncIterator[tuple[str, list[float]]]:
    """A server that answers its first request `status` with `Retry-After`, then 200; yields its
    URL and when each request arrived."""
    arrivals: list[float] = []

    async def answer(_request: Request) -> JSONResponse:
        arrivals.append(asyncio.get_running_loop().time())
        if len(arrivals) == 1:
            return JSONResponse({}, status, headers={"Retry-After": retry_after})
        return JSONResponse({})

    async with serve_asgi(Starlette(routes=[Route("/thing", answer)])) as url:
        yield url, arrivals


@asynccontextmanager
async def gladly_upstream(
    url: str, store: Store, policy: RetryPolicy | None = None
) -> AsyncIterator[Upstream]:
    """The Gladly side of one replica: its own client and budget object, the shared store."""
    budget = SharedBudget(store.budgets, "Gladly", 10)
    upstream = Upstream("Gladly", pooled_client(url, max_connections=4), policy, gate=budget)
    try:
        yield upstream
    finally:
        await upstream.aclose()


@pytest.mark.parametrize("status", [429, 503])
async def test_a_read_waits_for_retry_after_when_the_deadline_leaves_room(
    status: int, store_url: str
) -> None:
    async with (
        busy_once(status, "1") as (url, arrivals),
        opened_store(store_url) as store,
        gladly_upstream(url, store) as upstream,
        deadline.deadline(3.0),
    ):
        response = await upstream.request("GET", "/thing")
    assert response.status_code == 200
    first, second = arrivals
    assert second - first >= 1.0


async def test_a_read_fails_at_once_when_retry_after_outlasts_the_deadline(
    store_url: str,
) -> None:
    loop = asyncio.get_running_loop()
    async with (
        busy_once(429, "5") as (url, arrivals),
        opened_store(store_url) as store,
        gladly_upstream(url, store) as upstream,
    ):
        started = loop.time()
        with pytest.raises(UpstreamUnavailable):
            async with deadline.deadline(1.0):
                await upstream.request("GET", "/thing")
        assert loop.time() - started < 0.5
    assert len(arrivals) == 1


async def test_retry_after_holds_back_every_replica(store_url: str) -> None:
    """One replica is told to wait (and, like the deliverer, does not retry by itself): the
    other replica's next request waits as long."""
    async with (
        busy_once(429, "1") as (url, arrivals),
        opened_store(store_url) as store,
        gladly_upstream(url, store, RetryPolicy(attempts=1)) as first,
        gladly_upstream(url, store) as second,
    ):
        told = await first.request("GET", "/thing")
        assert told.status_code == 429
        response = await second.request("GET", "/thing")
    assert response.status_code == 200
    first_arrival, second_arrival = arrivals
    assert second_arrival - first_arrival >= 1.0


async def test_a_spent_organisation_budget_holds_back_every_replica(store_url: str) -> None:
    """Something else spent the organisation's second (`Ratelimit-Remaining-Second: 0`, as
    Gladly's front door sends it): the next request, from any replica, waits for the next."""
    arrivals: list[float] = []

    async def answer(_request: Request) -> JSONResponse:
        arrivals.append(asyncio.get_running_loop().time())
        remaining = "0" if len(arrivals) == 1 else "5"
        return JSONResponse({}, headers={"Ratelimit-Remaining-Second": remaining})

    async with (
        serve_asgi(Starlette(routes=[Route("/thing", answer)])) as url,
        opened_store(store_url) as store,
        gladly_upstream(url, store) as first,
        gladly_upstream(url, store) as second,
    ):
        await first.request("GET", "/thing")
        await second.request("GET", "/thing")
    first_arrival, second_arrival = arrivals
    assert second_arrival - first_arrival >= 0.9
