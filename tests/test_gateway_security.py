"""The guard in front of `/gladly/*`: signatures, the replay window, key rotation, the size limit,
and the HTTP answers for requests that are not what a route expects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actions.contract import MAX_REASON_DETAILS
from common.config import GatewaySettings
from gateway.app import create_app
from gateway.gladly_auth import GladlySignature
from gateway.guard import MAX_BODY_BYTES, GladlyGuard
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS, Role
from tests.servers import serve_asgi
from tests.stack import running_service, service_settings
from tests.test_signing import VECTOR_BODY, VECTOR_PATH, VECTOR_TIME, vector_headers

# The vitamins' cancel form, and an action URL of the kind it answers (no service is needed to
# make one: the guard and the parsing come before the service).
CANCEL_FORM = (
    f"/gladly/customers/{GLADLY_DEMO}/ordergroove/{DEMO_CUSTOMER_ID}"
    f"/subscriptions/{DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]}/cancel"
)
SUBMISSION_ID = "0b6f6a52-8c1e-4f0a-9d3b-5a7e2c4d1f90"
CANCEL_URL = f"{CANCEL_FORM}/submissions/{SUBMISSION_ID}"
LOOKUP = {"lookupLevel": "BASIC", "query": {"email": "demo@example.com"}}
KEY = "test-signing-key"
# Passes the guard, then finds no route: 404 proves the signature was accepted.
UNROUTED = "/gladly/unrouted"


@pytest.fixture
async def lone_gateway() -> AsyncIterator[str]:
    """A gateway with nothing behind it: the guard and the parsing need no service (a request
    that reached the service would fail 503)."""
    settings = GatewaySettings(grpc_target="127.0.0.1:9", gladly_signing_keys=(KEY,))
    async with serve_asgi(create_app(settings)) as url:
        yield url


@pytest.fixture
async def lone_caller(lone_gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=lone_gateway, auth=GladlySignature(KEY)) as caller:
        yield caller


async def echo(request: Request) -> Response:
    """Answers with the body it was handed."""
    return JSONResponse({"body": (await request.body()).decode()})


async def test_the_documented_vector_passes_the_middleware() -> None:
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["POST"])])
    guard = GladlyGuard(app, ["test-apikey-1"], prefix="/api/", clock=lambda: VECTOR_TIME)
    async with serve_asgi(guard) as url, httpx.AsyncClient(base_url=url) as client:
        accepted = await client.post(VECTOR_PATH, content=VECTOR_BODY, headers=vector_headers())
        tampered = await client.post(
            VECTOR_PATH, content=VECTOR_BODY.replace(b"abc", b"abd"), headers=vector_headers()
        )
        wrong_query = await client.post(
            f"{VECTOR_PATH}?x=1", content=VECTOR_BODY, headers=vector_headers()
        )
    assert accepted.status_code == 200
    assert accepted.json() == {"body": VECTOR_BODY.decode()}  # replayed to the app intact
    assert tampered.status_code == 401
    assert wrong_query.status_code == 401


async def journal(ordergroove: httpx.AsyncClient) -> list[Any]:
    rows: list[Any] = (await ordergroove.get("/_sandbox/requests")).json()
    return rows


async def test_unsigned_or_badly_signed_requests_do_nothing(
    gateway_url: str, ordergroove: httpx.AsyncClient, gladly: httpx.AsyncClient
) -> None:
    await ordergroove.delete("/_sandbox/requests")
    body = {"reason": "7"}
    async with httpx.AsyncClient(base_url=gateway_url) as plain:
        answers = [
            await plain.post(CANCEL_URL, json=body),
            await plain.get(CANCEL_FORM),
            await plain.post("/gladly/lookup", json=LOOKUP),
            await plain.get("/gladly/no-such-route"),
        ]
    async with httpx.AsyncClient(
        base_url=gateway_url, auth=GladlySignature("not-the-key")
    ) as wrong_key:
        answers.append(await wrong_key.post(CANCEL_URL, json=body))
    for response in answers:
        assert response.status_code == 401
        [error] = response.json()["errors"]
        assert error["message"] == "Unauthorized" and error["traceId"]
    assert await journal(ordergroove) == []  # nothing reached Ordergroove
    assert await journal(gladly) == []  # nor Gladly


async def test_the_replay_window_is_300_seconds(lone_gateway: str) -> None:
    async def status(skew: timedelta) -> int:
        auth = GladlySignature(KEY, clock=lambda: datetime.now(UTC) + skew)
        async with httpx.AsyncClient(base_url=lone_gateway, auth=auth) as caller:
            return (await caller.post(UNROUTED, json=LOOKUP)).status_code

    assert await status(timedelta(seconds=-299)) == 404
    assert await status(timedelta(seconds=299)) == 404
    assert await status(timedelta(seconds=-301)) == 401
    assert await status(timedelta(seconds=301)) == 401


async def test_every_configured_key_is_accepted() -> None:
    settings = GatewaySettings(
        grpc_target="127.0.0.1:9", gladly_signing_keys=("old-key", "new-key")
    )
    async with serve_asgi(create_app(settings)) as url:
        for key, status in (("old-key", 404), ("new-key", 404), ("retired-key", 401)):
            async with httpx.AsyncClient(base_url=url, auth=GladlySignature(key)) as caller:
                response = await caller.post(UNROUTED, json=LOOKUP)
                assert response.status_code == status


async def test_bodies_over_64_kib_are_413(lone_caller: httpx.AsyncClient) -> None:
    padding = "x" * MAX_BODY_BYTES
    announced = await lone_caller.post("/gladly/lookup", json=LOOKUP | {"padding": padding})
    assert announced.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * (MAX_BODY_BYTES // 4)

    # A streamed body announces no length: the guard counts what arrives.
    streamed = await lone_caller.post(CANCEL_URL, content=chunks())
    assert streamed.request.headers.get("Transfer-Encoding") == "chunked"
    assert streamed.status_code == 413
    assert streamed.json()["errors"][0]["message"] == "Payload Too Large"
    just_fits = b'{"lookupLevel":"BASIC","query":{"name":"%s"}}'
    body = just_fits % (b"y" * (MAX_BODY_BYTES - len(just_fits) + 2))
    assert len(body) == MAX_BODY_BYTES
    response = await lone_caller.post(UNROUTED, content=body)
    assert response.status_code == 404


async def test_malformed_requests_are_400(lone_caller: httpx.AsyncClient) -> None:
    cases = [
        ("/gladly/lookup", b"{not json"),
        ("/gladly/lookup", b"\xff\xfe"),
        ("/gladly/lookup", b"[]"),
        ("/gladly/lookup", b'{"lookupLevel": "EVERYTHING"}'),
        ("/gladly/lookup", b'{"query": {}}'),
        ("/gladly/lookup", b'{"lookupLevel": "BASIC", "query": []}'),
        ("/gladly/lookup", b'{"lookupLevel": "BASIC", "query": {"emails": "a@b.c"}}'),
        ("/gladly/lookup", b'{"lookupLevel": "BASIC", "query": {"emails": ["a@b.c"] }}' * 2),
        (CANCEL_URL, b'{"reason": 7}'),
        (CANCEL_URL, b""),
        # Deeper than the JSON parser recurses: a RecursionError, not a failure of ours.
        ("/gladly/lookup", b'{"a":' * 5000),
        ("/gladly/lookup", b"[" * 60_000),
    ]
    for path, body in cases:
        response = await lone_caller.post(path, content=body)
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["errors"][0]["message"] == "Invalid request"
    level = await lone_caller.post("/gladly/lookup", json={"lookupLevel": "FULL"})
    assert level.json()["errors"][0]["attr"] == "lookupLevel"


async def test_a_refused_field_is_named_and_the_service_is_not_asked(
    lone_caller: httpx.AsyncClient,
) -> None:
    """The wire shapes name the field, as Gladly marks a form's; nothing is behind this gateway,
    so a request that got past them would have been a 503."""
    too_long = {"reason": "7", "details": "x" * (MAX_REASON_DETAILS + 1)}
    cases = [
        ("/gladly/lookup", {"lookupLevel": "BASIC", "query": {"emails": ["a@b.c", 7]}}),
        ("/gladly/lookup", {"lookupLevel": "DETAILED", "query": {"externalCustomerId": 1}}),
        (CANCEL_URL, too_long),
        (CANCEL_URL, {"reason": "7", "agentId": ["a"]}),
    ]
    attrs = ["query.emails[1]", "query.externalCustomerId", "details", "agentId"]
    for (path, body), attr in zip(cases, attrs, strict=True):
        response = await lone_caller.post(path, json=body)
        assert response.status_code == 400, response.text
        error = response.json()["errors"][0]
        assert error["message"] == "Invalid request"
        assert error["attr"] == attr
        assert error["detail"].startswith(f"{attr}: ")
        assert len(error["traceId"]) == 32
    # Gladly's custom attributes come as more keys of the query; unknown keys are no error.
    extra = {"lookupLevel": "BASIC", "query": {"loyaltyTier": {"gold": True}}, "more": 1}
    assert (await lone_caller.post("/gladly/lookup", json=extra)).json() == {"results": []}


async def test_wrong_method_is_405_and_unknown_route_404(
    lone_caller: httpx.AsyncClient,
) -> None:
    wrong_method = await lone_caller.get("/gladly/lookup")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"
    assert wrong_method.json()["errors"][0]["message"] == "Method Not Allowed"
    assert (await lone_caller.delete(CANCEL_URL)).status_code == 405
    assert (await lone_caller.get("/gladly/nothing-here")).status_code == 404
    assert (await lone_caller.get("/nothing-here")).status_code == 404


async def test_no_redirect_is_built_from_the_host_header(lone_gateway: str) -> None:
    """Starlette's slash redirect named whatever host the caller sent."""
    async with httpx.AsyncClient(base_url=lone_gateway) as client:
        for path in ("/healthz/", "/readyz/", "/gladly/lookup/"):
            response = await client.get(path, headers={"Host": "evil.example"})
            assert response.status_code in (404, 401), (path, response.status_code)
            assert "location" not in response.headers
    async with httpx.AsyncClient(base_url=lone_gateway, auth=GladlySignature(KEY)) as caller:
        signed = await caller.post("/gladly/lookup/", json=LOOKUP, headers={"Host": "evil.example"})
    assert signed.status_code == 404
    assert "location" not in signed.headers


async def test_ids_with_a_trailing_newline_or_dot_segments_are_400(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    """Path parameters are checked whole: `$` accepted a trailing newline (then the URL to
    Ordergroove or Gladly was invalid: a 500), and "." or ".." named another resource."""
    await ordergroove.delete("/_sandbox/requests")
    subscription = DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]
    for customer, sub in (
        (f"{GLADLY_DEMO}%0A", subscription),
        (GLADLY_DEMO, f"{subscription}%0A"),
        (GLADLY_DEMO, "%2E%2E"),
    ):
        response = await gladly_caller.post(
            f"/gladly/customers/{customer}/ordergroove/{DEMO_CUSTOMER_ID}/subscriptions/{sub}"
            f"/cancel/submissions/{SUBMISSION_ID}",
            json={"reason": "moving"},
        )
        assert response.status_code == 400, (customer, sub, response.text)
    assert await journal(ordergroove) == []


async def test_a_refused_service_token_is_not_ready_and_never_401(
    ordergroove_url: str, gladly_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """401 tells Gladly its signature is bad; a wrong ACTIONS_API_TOKEN is ours to fix: the
    gateway is not ready, and a call that is made anyway is a 500 with a line for the operator
    (a lookup answers no results instead: it must never fail the agent's whole profile)."""
    guarded = service_settings(ordergroove_url, gladly_url, api_tokens=("right-token",))
    async with running_service(guarded) as service:
        for token, ready in (("right-token", 200), ("wrong-token", 503)):
            settings = GatewaySettings(
                grpc_target=service.target, gladly_signing_keys=(KEY,), api_token=token
            )
            async with (
                serve_asgi(create_app(settings)) as url,
                httpx.AsyncClient(base_url=url, auth=GladlySignature(KEY)) as caller,
            ):
                assert (await caller.get("/readyz")).status_code == ready
                lookup = await caller.post("/gladly/lookup", json=LOOKUP)
                form = await caller.get(CANCEL_FORM)
        assert lookup.status_code == 200 and lookup.json() == {"results": []}
        assert form.status_code == 500
        assert "Unauthorized" not in form.text
    assert "ACTIONS_API_TOKEN" in caplog.text
