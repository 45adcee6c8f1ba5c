"""The audit log: one row per attempt, and `actions-service audit` to read it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import uuid
from typing import Any

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from services.actions_service.callers import name_of_token
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_CUSTOMER
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)
from tests.stack import SERVICE_PROGRAM, add_fault, audit_rows, running_service, service_settings

TOKEN = "internal-billing-token"
AGENT = pb.ActionContext(agent_id="agent-7", gladly_customer_id=GLADLY_CUSTOMER)


def skip(role: Role, request_id: str, context: pb.ActionContext | None = None) -> Any:
    return pb.SkipNextOrderRequest(
        subscription_id=DEMO_SUBSCRIPTION_IDS[role],
        customer_id=DEMO_CUSTOMER_ID,
        request_id=request_id,
        context=context,
    )


def cancel(role: Role, request_id: str = "") -> pb.CancelSubscriptionRequest:
    return pb.CancelSubscriptionRequest(
        subscription_id=DEMO_SUBSCRIPTION_IDS[role],
        customer_id=DEMO_CUSTOMER_ID,
        reason_code="12",
        request_id=request_id,
    )


async def attempt(call: Any) -> None:
    with contextlib.suppress(grpc.aio.AioRpcError):
        await call


async def test_each_attempt_leaves_a_row_saying_who_what_and_how_it_ended(
    ordergroove_url: str, gladly_url: str, store_url: str, ordergroove: httpx.AsyncClient
) -> None:
    settings = service_settings(
        ordergroove_url, gladly_url, store_url=store_url, api_tokens=(TOKEN,)
    )
    auth = (("authorization", f"Bearer {TOKEN}"),)
    skip_id = str(uuid.uuid4())
    async with running_service(settings) as service:
        stub = service.stub
        await stub.SkipNextOrder(skip(Role.DOG_FOOD, skip_id, AGENT), metadata=auth)
        await stub.SkipNextOrder(skip(Role.DOG_FOOD, skip_id, AGENT), metadata=auth)  # replay
        await attempt(stub.SkipNextOrder(skip(Role.SHAMPOO, skip_id), metadata=auth))  # reused
        await attempt(stub.CancelSubscription(cancel(Role.PREPAID_TEA), metadata=auth))
        await attempt(stub.CancelSubscription(cancel(Role.CANCELLED_TOOTHBRUSH), metadata=auth))
        await add_fault(ordergroove, method="PATCH", status=500, times=1)
        await attempt(stub.SkipNextOrder(skip(Role.VITAMINS, ""), metadata=auth))
    rows = await audit_rows(store_url)
    service_name = f"service:{name_of_token(TOKEN)}"
    assert [(r.who, r.action, r.outcome, r.reason, r.ordergroove_status) for r in rows] == [
        ("agent:agent-7", "skip", "done", "", 200),
        (service_name, "skip", "refused", "REQUEST_ID_REUSED", None),
        # Refused before any write: Ordergroove is known to refuse to cancel a prepaid one.
        (service_name, "cancel", "refused", "ORDERGROOVE_REJECTED", None),
        (service_name, "cancel", "refused", "SUBSCRIPTION_NOT_ACTIVE", None),
        (service_name, "skip", "failed", "UPSTREAM_UNAVAILABLE", 500),
    ]
    done = rows[0]
    assert (done.customer_id, done.subscription_id, done.order_id, done.request_id) == (
        DEMO_CUSTOMER_ID,
        DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD],
        DEMO_NEXT_ORDER_IDS[Role.DOG_FOOD],
        skip_id,
    )
    assert rows[-1].order_id == DEMO_NEXT_ORDER_IDS[Role.VITAMINS]
    assert all(row.at.tzinfo is not None and row.request_id for row in rows)
    # Each row names the trace of its call, which is where to look for more.
    assert all(len(row.trace_id) == 32 for row in rows)
    assert len({row.trace_id for row in rows}) == len(rows)
    assert len({row.request_id for row in rows[2:]}) == 3  # generated when not given
    assert TOKEN not in repr(rows)


async def test_calls_without_auth_or_agent_are_internal(
    ordergroove_url: str, gladly_url: str, store_url: str
) -> None:
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    async with running_service(settings) as service:
        await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, ""))
    [row] = await audit_rows(store_url)
    assert (row.who, row.outcome) == ("internal", "done")


def audit_command(store_url: str, *arguments: str) -> str:
    env = {"PATH": os.environ.get("PATH", ""), "STORE_URL": store_url}
    result = subprocess.run(  # noqa: S603 - our own program, fixed arguments
        [str(SERVICE_PROGRAM), "audit", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


async def test_the_audit_command_lists_rows_and_undelivered_entries(
    ordergroove_url: str,
    gladly_url: str,
    store_url: str,
    ordergroove: httpx.AsyncClient,
    gladly: httpx.AsyncClient,
) -> None:
    await add_fault(gladly, method="POST", status=503)
    settings = service_settings(ordergroove_url, gladly_url, store_url=store_url)
    async with running_service(settings) as service:
        await service.stub.SkipNextOrder(skip(Role.DOG_FOOD, str(uuid.uuid4()), AGENT))
        await add_fault(ordergroove, method="PATCH", status=500, times=1)
        await attempt(service.stub.SkipNextOrder(skip(Role.SHAMPOO, "")))

    everything = json.loads(await asyncio.to_thread(audit_command, store_url, "--json"))
    assert [row["outcome"] for row in everything["audit"]] == ["failed", "done"]  # newest first
    [pending] = everything["outbox"]
    assert (pending["state"], pending["gladly_customer_id"]) == ("pending", GLADLY_CUSTOMER)
    assert everything["audit"][1]["at"].endswith("+00:00")

    failed = json.loads(await asyncio.to_thread(audit_command, store_url, "--json", "--failed"))
    assert [row["outcome"] for row in failed["audit"]] == ["failed"]
    assert failed["outbox"] == []
    limited = json.loads(
        await asyncio.to_thread(audit_command, store_url, "--json", "--limit", "1")
    )
    assert len(limited["audit"]) == 1

    table = await asyncio.to_thread(audit_command, store_url)
    assert "outcome" in table and "agent:agent-7" in table and "UPSTREAM_UNAVAILABLE" in table
    assert "pending" in table


def test_the_audit_command_explains_a_bad_store_url() -> None:
    result = subprocess.run(  # noqa: S603 - our own program, fixed arguments
        [str(SERVICE_PROGRAM), "audit"],
        env={"PATH": os.environ.get("PATH", ""), "STORE_URL": "mysql://nowhere/db"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("actions-service: STORE_URL")


@pytest.mark.parametrize("command", [["--help"], ["audit", "--help"]])
def test_the_program_documents_its_commands(command: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - our own program, fixed arguments
        [str(SERVICE_PROGRAM), *command], capture_output=True, text=True, timeout=30, check=True
    )
    assert "audit" in result.stdout
