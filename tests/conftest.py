from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.gladly_sandbox.app import create_app as create_gladly_app
from services.ordergroove_sandbox.app import create_app as create_ordergroove_app
from tests.servers import serve_asgi
from tests.stack import ServiceHandle, running_service, service_settings


@pytest.fixture
async def ordergroove_url() -> AsyncIterator[str]:
    async with serve_asgi(create_ordergroove_app()) as url:
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
async def service(ordergroove_url: str, gladly_url: str) -> AsyncIterator[ServiceHandle]:
    async with running_service(service_settings(ordergroove_url, gladly_url)) as handle:
        yield handle
