"""Ordergroove's recorded exchanges (fixtures/ordergroove_recorded.json) and a server on port 0
that answers like them, for the tests of the Ordergroove client and sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.actions_service.ordergroove import OrdergrooveClient
from services.actions_service.upstream import RetryPolicy
from tests.servers import serve_asgi

FIXTURE = Path(__file__).parent / "fixtures" / "ordergroove_recorded.json"
EXCHANGES: dict[str, Any] = json.loads(FIXTURE.read_text())["exchanges"]
API_KEY = "contract-key"
CHICAGO = ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class Exchange:
    """One recorded request and Ordergroove's answer (`status` None: not recorded; `body` None:
    no body recorded)."""

    name: str
    method: str
    path: str  # as recorded, percent-encoded
    query: list[tuple[str, str]]
    body: Any  # the request's
    status: int | None
    answer: Any

    @classmethod
    def named(cls, name: str) -> Exchange:
        entry = EXCHANGES[name]
        url = urlsplit(entry["request"]["url"])
        return cls(
            name,
            entry["request"]["method"],
            url.path,
            parse_qsl(url.query),
            entry["request"].get("body"),
            entry["response"]["status"],
            entry["response"]["body"],
        )


def exchanges() -> list[Exchange]:
    return [Exchange.named(name) for name in EXCHANGES]


# The merchant the recorded discounts name (issueOneTimeDiscount/*).
RECORDED_MERCHANT = "merch_1"


@dataclass
class Received:
    method: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any


Answer = tuple[int, bytes]


def json_answer(status: int, body: Any) -> Answer:
    """`body` None (or "", as recorded deleteOrderItem/success): an empty body."""
    return status, b"" if body is None or body == "" else json.dumps(body).encode()


@dataclass
class Ordergroove:
    """Answers by (method, raw path), else `otherwise`; keeps what it received, in order."""

    answers: dict[tuple[str, str], Answer | Callable[[Request], Answer]] = field(
        default_factory=dict
    )
    otherwise: Answer = (404, b'{"detail": "Not found."}')
    received: list[Received] = field(default_factory=list)

    def on(self, method: str, path: str, status: int, body: Any) -> None:
        self.answers[method, path] = json_answer(status, body)

    def always(self, status: int, body: Any) -> None:
        self.otherwise = json_answer(status, body)

    async def __call__(self, request: Request) -> Response:
        raw = await request.body()
        raw_path = request.scope["raw_path"].decode()
        self.received.append(
            Received(
                request.method,
                raw_path,
                parse_qsl(request.url.query),
                dict(request.headers),
                json.loads(raw) if raw else None,
            )
        )
        answer = self.answers.get((request.method, raw_path), self.otherwise)
        status, content = answer(request) if callable(answer) else answer
        return Response(content, status, media_type="application/json" if content else None)


@asynccontextmanager
async def serving(ordergroove: Ordergroove) -> AsyncIterator[str]:
    async def endpoint(request: Request) -> Response:
        return await ordergroove(request)

    app = Starlette(
        routes=[Route("/{path:path}", endpoint, methods=["GET", "PATCH", "POST", "DELETE"])]
    )
    async with serve_asgi(app) as base_url:
        yield base_url


@asynccontextmanager
async def client_of(ordergroove: Ordergroove) -> AsyncIterator[OrdergrooveClient]:
    """The service's Ordergroove client, talking to `ordergroove` on port 0."""
    async with serving(ordergroove) as base_url:
        client = OrdergrooveClient.create(
            base_url,
            API_KEY,
            policy=RetryPolicy(attempts=1),
            timezone=CHICAGO,
            merchant_id=RECORDED_MERCHANT,
        )
        try:
            yield client
        finally:
            await client.aclose()
