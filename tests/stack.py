"""The real programs started in-process on free ports, for tests that cross them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2

from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from common.config import ServiceSettings, replaced
from gateway.card import SKIP, SubscriptionRef, form_url
from services.actions_service.lifecycle import RunningService, start
from services.actions_service.store import Store
from services.actions_service.store.rows import AuditEntry
from services.gladly_sandbox.state import DEFAULT_LOOKUP_APP_ID
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_MERCHANT_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)

if TYPE_CHECKING:
    from actions.v1.actions_pb2_grpc import ActionsServiceAsyncStub

Json = dict[str, Any]

GLADLY_USER = "sandbox@example.com"
GLADLY_TOKEN = "sandbox-token"
OG_API_KEY = "sandbox-api-key"

# The form of the skip of the demo customer's vitamins in their next order, as the card links it.
VITAMINS_SKIP_FORM = form_url(
    SubscriptionRef(GLADLY_DEMO, DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]), SKIP
)

# The agent who acts in the service's tests, on the Gladly sandbox's demo customer.
AGENT = pb.ActionContext(agent_id="agent-7", gladly_customer_id=GLADLY_DEMO)

# The dog food subscription, its next order, and Ordergroove's path that skips it there.
DOG_FOOD = DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD]
DOG_FOOD_ORDER = DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD]
DOG_FOOD_SKIP_PATH = f"/orders/{DOG_FOOD_ORDER}/skip_subscription/"


DISCOUNT_MAX_AMOUNT = Decimal(25)
DISCOUNT_MAX_PERCENT = Decimal(20)


def service_settings(ordergroove_url: str, gladly_url: str, **overrides: Any) -> ServiceSettings:
    """Settings for a service that talks to the two sandboxes; a short deadline keeps tests fast.
    The store is in memory (one per service, gone when it stops) unless `store_url` is given."""
    base = ServiceSettings(
        ordergroove_base_url=ordergroove_url,
        ordergroove_api_key=OG_API_KEY,
        gladly_base_url=gladly_url,
        gladly_api_user=GLADLY_USER,
        gladly_api_token=GLADLY_TOKEN,
        gladly_lookup_app_id=DEFAULT_LOOKUP_APP_ID,
        deadline_seconds=3.0,
        store_url="sqlite:///:memory:",
        outbox_backoff_seconds=0.05,
        outbox_backoff_max_seconds=0.5,
        outbox_poll_seconds=0.2,
        # Every action of the catalogue is on: the demo merchant gives discounts up to its caps.
        discounts_enabled=True,
        merchant_id=DEMO_MERCHANT_ID,
        discount_max_amount=DISCOUNT_MAX_AMOUNT,
        discount_max_percent=DISCOUNT_MAX_PERCENT,
    )
    return replaced(base, **overrides)


@dataclass
class ServiceHandle:
    running: RunningService
    channel: grpc.aio.Channel
    stub: ActionsServiceAsyncStub

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.running.port}"


@asynccontextmanager
async def running_service(settings: ServiceSettings) -> AsyncIterator[ServiceHandle]:
    running = await start(settings, listen="127.0.0.1:0")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield ServiceHandle(running, channel, actions_pb2_grpc.ActionsServiceStub(channel))
    finally:
        await channel.close()
        await running.stop(grace=1)


@dataclass(frozen=True)
class RpcFailure:
    code: grpc.StatusCode
    message: str
    reason: str  # ErrorInfo.reason, "" when the status carries none
    metadata: dict[str, str]
    field_violations: list[str]


def failure_of(error: grpc.aio.AioRpcError) -> RpcFailure:
    """Decode the google.rpc.Status a failed call carries in its trailers."""
    reason, metadata, violations = "", {}, []
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        assert status.code == error.code().value[0]
        assert status.message == error.details()
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations = [v.field for v in bad.field_violations]
    return RpcFailure(error.code(), error.details() or "", reason, metadata, violations)


# --- the gateway, as Gladly calls it -----------------------------------------------------------


async def detailed(caller: httpx.AsyncClient, **query: str) -> list[Json]:
    """The DETAILED lookup of the demo customer (`query` adds or replaces fields)."""
    query = {"externalCustomerId": DEMO_CUSTOMER_ID, "id": GLADLY_DEMO} | query
    response = await caller.post(
        "/gladly/lookup",
        json={"lookupLevel": "DETAILED", "query": query, "uniqueMatchRequired": True},
    )
    assert response.status_code == 200, response.text
    results: list[Json] = response.json()["results"]
    return results


async def card_of(caller: httpx.AsyncClient, subscription_id: str) -> Json:
    [result] = await detailed(caller)
    return next(t for t in result["transactions"] if t["subscriptionId"] == subscription_id)


async def button(caller: httpx.AsyncClient, subscription_id: str, name: str) -> str:
    """The form URL of the card's one button `name`."""
    card = await card_of(caller, subscription_id)
    [url] = [a["formUrl"] for a in card["actions"] if a["name"] == name]
    return str(url)


async def open_form(caller: httpx.AsyncClient, subscription_id: str, name: str) -> Json:
    """The form the card's button `name` opens."""
    response = await caller.get(await button(caller, subscription_id, name))
    assert response.status_code == 200, response.text
    form: Json = response.json()
    return form


async def action_url(caller: httpx.AsyncClient, form: str) -> str:
    """The URL the form at `form` submits to, as Gladly reads it when the agent opens it."""
    response = await caller.get(form)
    assert response.status_code == 200, response.text
    return str(response.json()["actionUrl"])


async def skip_url(caller: httpx.AsyncClient) -> str:
    """The action URL of the vitamins' skip, from its form. The form reads Ordergroove: open it
    before adding a fault, which the read would otherwise meet (or consume)."""
    return await action_url(caller, VITAMINS_SKIP_FORM)


def error_of(response: httpx.Response, status: int) -> Json:
    """The one error item of an error answer, after checking its status and shape."""
    assert response.status_code == status, response.text
    [item] = response.json()["errors"]
    assert re.fullmatch(r"[0-9a-f]{32}", item["traceId"])
    assert "Traceback" not in response.text
    return dict(item)


# --- the action store ----------------------------------------------------------------------------

POSTGRES_DSN_VARIABLE = "TEST_POSTGRES_DSN"


def postgres_dsn() -> str:
    """The PostgreSQL server for store tests, or skip them with the reason."""
    dsn = os.environ.get(POSTGRES_DSN_VARIABLE, "")
    if not dsn:
        pytest.skip(f"{POSTGRES_DSN_VARIABLE} is not set: no PostgreSQL to test the store against")
    return dsn


@asynccontextmanager
async def opened_store(store_url: str) -> AsyncIterator[Store]:
    """The store at `store_url`, opened beside any running service to read or seed it directly."""
    store = await Store.open(store_url)
    try:
        yield store
    finally:
        await store.close()


async def audit_rows(store_url: str, limit: int = 50) -> list[AuditEntry]:
    """The audit log's newest `limit` rows, oldest first."""
    async with opened_store(store_url) as store:
        return list(reversed(await store.audit.recent(limit)))


# --- the sandboxes' control APIs -----------------------------------------------------------------


async def journal(sandbox: httpx.AsyncClient, method: str, path: str = "") -> list[Any]:
    """What a sandbox (Ordergroove or Gladly) received with this method and path prefix, in order:
    rows of method, path and status (None until answered)."""
    rows = (await sandbox.get("/_sandbox/requests")).json()
    return [r for r in rows if r["method"] == method and r["path"].startswith(path)]


async def add_fault(client: httpx.AsyncClient, **rule: Any) -> None:
    response = await client.post("/_sandbox/faults", json=rule)
    response.raise_for_status()


async def seed_customer(ordergroove: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """Create an Ordergroove sandbox customer; its ids (`subscriptions`, `orders`, …)."""
    response = await ordergroove.post("/_sandbox/customers", json=body)
    assert response.status_code == 201, response.text
    seeded: dict[str, Any] = response.json()
    return seeded


async def customer_timeline(gladly: httpx.AsyncClient, customer_id: str) -> list[Any]:
    items: list[Any] = (await gladly.get(f"/_sandbox/customers/{customer_id}/timeline")).json()
    return items


async def eventually(
    check: Callable[[], Any], within: float = 10.0, interval: float = 0.05
) -> None:
    """Wait (bounded) until `await check()` is truthy; fail with the last value otherwise."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while not (result := await check()):
        if loop.time() > give_up:
            pytest.fail(f"not within {within} s: {result!r}")
        await asyncio.sleep(interval)


# --- the `actions-service` program as a real process --------------------------------------------

SERVICE_PROGRAM = Path(sys.executable).with_name("actions-service")
_LISTENING = re.compile(r"actions-service listening on [^\s]+:(\d+)")


def service_environment(ordergroove_url: str, gladly_url: str, store_url: str) -> dict[str, str]:
    """What a test's `actions-service` process needs: the sandboxes, the store, short timings."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "ORDERGROOVE_BASE_URL": ordergroove_url,
        "ORDERGROOVE_API_KEY": OG_API_KEY,
        "GLADLY_BASE_URL": gladly_url,
        "GLADLY_API_USER": GLADLY_USER,
        "GLADLY_API_TOKEN": GLADLY_TOKEN,
        "GLADLY_LOOKUP_APP_ID": DEFAULT_LOOKUP_APP_ID,
        "STORE_URL": store_url,
        "ACTIONS_GRPC_LISTEN": "127.0.0.1:0",
        "ACTIONS_DEADLINE_SECONDS": "1",
        "OUTBOX_BACKOFF_SECONDS": "0.05",
        "OUTBOX_BACKOFF_MAX_SECONDS": "0.3",
        "OUTBOX_POLL_SECONDS": "0.2",
    }


class ServiceProcess:
    """`actions-service` started as its own process, so that it can be killed for real."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = env
        self._log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> str:
        """Start and wait until it listens; returns its gRPC target."""
        seen = self._log.stat().st_size if self._log.exists() else 0
        with self._log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                SERVICE_PROGRAM, env=self._env, stdout=log, stderr=asyncio.subprocess.STDOUT
            )
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 20
        while loop.time() < give_up:
            if self.process.returncode is not None:
                raise RuntimeError(f"actions-service exited: {self._log.read_text()[-2000:]}")
            found = _LISTENING.search(self._log.read_bytes()[seen:].decode(errors="replace"))
            if found:
                return f"127.0.0.1:{found.group(1)}"
            await asyncio.sleep(0.05)
        raise RuntimeError("actions-service did not start listening")

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(15):
                await self.process.wait()


async def fails(call: Any) -> RpcFailure:
    """Await a call that must fail; its decoded status."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return failure_of(caught.value)
