from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.config import GatewaySettings
from gateway.app import create_app as create_gateway_app
from gateway.gladly_auth import GladlySignature
from services.gladly_sandbox.app import create_app as create_gladly_app
from services.ordergroove_sandbox.app import create_app as create_ordergroove_app
from services.postgres_scratch import postgres_schema
from tests.servers import serve_asgi, serve_asgi_built
from tests.stack import (
    ServiceHandle,
    postgres_dsn,
    running_service,
    service_settings,
)
from tests.telemetry import Recorded, install


@pytest.fixture(scope="session", autouse=True)
def telemetry() -> Recorded:
    """Tracing and metrics for every test, recorded in memory (see tests/telemetry.py)."""
    return install()


@pytest.fixture
async def ordergroove_url() -> AsyncIterator[str]:
    async with serve_asgi_built(lambda url: create_ordergroove_app(public_url=url)) as url:
        yield url


@pytest.fixture
async def gladly_url() -> AsyncIterator[str]:
    async with serve_asgi(create_gladly_app()) as url:
        yield url


@pytest.fixture
async def ordergroove(ordergroove_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the Ordergroove sandbox, for its control API and for checking its state."""
    async with httpx.AsyncClient(
        base_url=ordergroove_url, headers={"x-api-key": "sandbox-api-key"}
    ) as client:
        yield client


@pytest.fixture
async def gladly(gladly_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the Gladly sandbox's control API."""
    async with httpx.AsyncClient(base_url=gladly_url) as client:
        yield client


@pytest.fixture
def service_overrides() -> dict[str, Any]:
    """What a test module changes in its `service`'s settings (e.g. a `store_url`): none here."""
    return {}


@pytest.fixture
async def service(
    ordergroove_url: str, gladly_url: str, service_overrides: dict[str, Any]
) -> AsyncIterator[ServiceHandle]:
    settings = service_settings(ordergroove_url, gladly_url, **service_overrides)
    async with running_service(settings) as handle:
        yield handle


# --- the REST gateway ------------------------------------------------------------------------

GATEWAY_SIGNING_KEY = "test-signing-key"


@pytest.fixture
def gateway_settings(service: ServiceHandle) -> GatewaySettings:
    """A gateway in front of `service`; tests override fields with `dataclasses.replace`."""
    return GatewaySettings(
        grpc_target=service.target,
        gladly_signing_keys=(GATEWAY_SIGNING_KEY,),
        deadline_seconds=3.0,
    )


@pytest.fixture
async def gateway_url(gateway_settings: GatewaySettings) -> AsyncIterator[str]:
    async with serve_asgi(create_gateway_app(gateway_settings)) as url:
        yield url


@pytest.fixture
async def gladly_caller(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway that signs every request as Gladly does."""
    async with httpx.AsyncClient(
        base_url=gateway_url, auth=GladlySignature(GATEWAY_SIGNING_KEY), timeout=30
    ) as client:
        yield client


# --- the action store ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty store: an SQLite file, or a PostgreSQL schema (TEST_POSTGRES_DSN)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/var/actions.db"
        return
    async with postgres_schema(postgres_dsn(), "test") as url:
        yield url


@pytest.fixture
async def unlimited_gladly_url() -> AsyncIterator[str]:
    """A Gladly sandbox without its 10 requests/second limit, for tests that call it in bursts
    (each action reads the customer's link and conversations) and do not test that limit."""
    async with serve_asgi(create_gladly_app(rate_limit=1_000_000)) as url:
        yield url
