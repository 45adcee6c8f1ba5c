"""The gateway as an operator sees it: probes, its OpenAPI document, the `actions-gateway`
program, and the default 15 s deadline."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from actions.contract import ID_PATTERN, MAX_ID_LENGTH, MAX_REASON_DETAILS
from common.config import GatewaySettings
from gateway.app import ROUTES, create_app
from gateway.gladly_auth import GladlySignature
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS, Role
from tests.servers import free_port, serve_asgi
from tests.stack import action_url, add_fault, running_service, service_settings


async def test_healthz_and_readyz(ordergroove_url: str, gladly_url: str) -> None:
    async with running_service(service_settings(ordergroove_url, gladly_url)) as service:
        settings = GatewaySettings(grpc_target=service.target, gladly_signing_keys=("k",))
        async with serve_asgi(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as c:
            assert (await c.get("/healthz")).json() == {"status": "ok"}
            assert (await c.get("/readyz")).json() == {"status": "ok"}
            await service.running.health.enter_graceful_shutdown()  # NOT_SERVING
            not_serving = await c.get("/readyz")
            await service.running.server.stop(0)
            unreachable = await c.get("/readyz")
            assert (await c.get("/healthz")).status_code == 200  # the process itself is fine
    for response in (not_serving, unreachable):
        assert response.status_code == 503
        assert response.json()["errors"][0]["traceId"]


SUBSCRIPTION = (
    "/gladly/customers/{gladly_customer_id}/ordergroove/{og_customer_id}"
    "/subscriptions/{subscription_id}"
)


async def test_openapi_documents_every_route() -> None:
    settings = GatewaySettings(grpc_target="127.0.0.1:9", gladly_signing_keys=("k",))
    async with serve_asgi(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        document = (await client.get("/openapi.json")).json()
    legacy = "/gladly/customers/{gladly_customer_id}/subscriptions/{subscription_id}"
    subscription = SUBSCRIPTION
    submission = "/submissions/{submission_id}"
    # Action URLs of forms served by earlier versions: answered 410, nothing done.
    retired = {
        f"{legacy}/cancel",
        f"{legacy}/orders/{{order_id}}/skip",
        f"{subscription}/skip/orders/{{order_id}}{submission}",
        f"{subscription}/send-now/orders/{{order_id}}/dates/{{expected_date}}{submission}",
    }
    assert document["openapi"].startswith("3.")
    # Among them, the URLs Gladly may hold from cards rendered before, and the probes.
    assert {path: set(item) for path, item in document["paths"].items()}.items() >= {
        "/gladly/lookup": {"post"},
        f"{subscription}/cancel": {"get"},
        f"{subscription}/cancel{submission}": {"post"},
        f"{subscription}/skip": {"get"},
        f"{subscription}/skip/orders/{{order_id}}/dates/{{expected_date}}{submission}": {"post"},
        f"{subscription}/send-now": {"get"},
        f"{subscription}/send-now/orders/{{order_id}}/dates/{{expected_date}}"
        f"/ships/{{expected_subscriptions}}{submission}": {"post"},
        f"{legacy}/cancel": {"get", "post"},
        f"{legacy}/skip": {"get"},
        **{path: {"post"} for path in retired - {f"{legacy}/cancel"}},
        "/healthz": {"get"},
        "/readyz": {"get"},
        "/openapi.json": {"get"},
        "/metrics": {"get"},
    }.items()
    served = {(route.path, method.lower()) for route in ROUTES for method in route.methods or ()}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == served - {(path, "head") for path, _ in served}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if (path, method) in {(path, "post") for path in retired}:
                assert operation["deprecated"] is True
                assert set(operation["responses"]) == {"401", "410", "default"}
                continue
            assert "200" in operation["responses"]
            if path.startswith("/gladly/"):
                assert {"400", "401", "413", "503", "504"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    assert schemas["LookupRequest"]["properties"]["lookupLevel"]["enum"] == ["BASIC", "DETAILED"]
    assert "SUBSCRIPTION" in schemas["SubscriptionCard"]["properties"]["type"]["enum"]


async def test_openapi_limits_are_the_services_and_its_examples_fit() -> None:
    """The document is generated from the wire shapes, whose limits are the service's own; every
    example it shows is valid against the schema beside it."""
    settings = GatewaySettings(grpc_target="127.0.0.1:9", gladly_signing_keys=("k",))
    async with serve_asgi(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert schemas["CancelSubmission"]["properties"]["details"]["anyOf"][0] == {
        "type": "string",
        "maxLength": MAX_REASON_DETAILS,
    }
    cancel = document["paths"][f"{SUBSCRIPTION}/cancel/submissions/{{submission_id}}"]["post"]
    ids = {p["name"]: p["schema"] for p in cancel["parameters"] if p["in"] == "path"}
    assert ids["subscription_id"]["maxLength"] == MAX_ID_LENGTH
    assert ids["subscription_id"]["pattern"] == f"^{ID_PATTERN}$"
    assert ids["submission_id"]["format"] == "uuid"
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    examples = 0
    for item in document["paths"].values():
        for operation in item.values():
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            for media in (b.get("content", {}).get("application/json") for b in bodies):
                if media and "example" in media:
                    schema = _rebased(media["schema"])
                    Draft202012Validator(schema, registry=registry).validate(media["example"])
                    examples += 1
    assert examples >= 5


def _rebased(schema: Any) -> Any:
    """The schema with its `#/components/...` references made absolute (urn:openapi)."""
    if isinstance(schema, dict):
        return {
            key: f"urn:openapi{value}" if key == "$ref" else _rebased(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_rebased(value) for value in schema]
    return schema


async def run_program(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from gateway.server import main; main()",
        env=os.environ | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_program_needs_a_signing_key() -> None:
    process = await run_program({"GLADLY_SIGNING_KEYS": " "})
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert stderr.decode().strip().splitlines() == [
        "actions-gateway: GLADLY_SIGNING_KEYS: at least one signing key is required"
    ]


async def test_the_program_serves_and_stops_on_sigterm() -> None:
    port = free_port()
    process = await run_program({"GLADLY_SIGNING_KEYS": "k", "GATEWAY_LISTEN": f"127.0.0.1:{port}"})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the gateway did not start")
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    # uvicorn shuts down (the lifespan closes the channel), then re-raises the signal.
    assert "Application shutdown complete." in stderr.decode()
    assert process.returncode == -signal.SIGTERM


async def test_the_default_15_second_deadline(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    """THE ONE SLOW TEST: the real default deadline of 15 s, end to end — gateway, service, and
    an Ordergroove that never answers. No deadline is overridden anywhere."""
    async with running_service(
        service_settings(ordergroove_url, gladly_url, deadline_seconds=15.0)
    ) as service:
        settings = GatewaySettings(grpc_target=service.target, gladly_signing_keys=("k",))
        assert settings.deadline_seconds == 15.0
        vitamins = SUBSCRIPTION.format(
            gladly_customer_id=GLADLY_DEMO,
            og_customer_id=DEMO_CUSTOMER_ID,
            subscription_id=DEMO_SUBSCRIPTION_IDS[Role.VITAMINS],
        )
        async with (
            serve_asgi(create_app(settings)) as base_url,
            httpx.AsyncClient(base_url=base_url, auth=GladlySignature("k"), timeout=30) as caller,
        ):
            url = await action_url(caller, f"{vitamins}/cancel")  # the agent opened it before
            await add_fault(ordergroove, path="/subscriptions/", hang=True)
            started = asyncio.get_running_loop().time()
            response = await caller.post(url, json={"reason": "7"})
            elapsed = asyncio.get_running_loop().time() - started
    assert response.status_code == 504
    assert response.json()["errors"][0]["traceId"]
    assert 15.0 - 0.05 <= elapsed < 15.5
