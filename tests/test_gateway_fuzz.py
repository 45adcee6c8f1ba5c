"""Schemathesis against the gateway's own /openapi.json: every generated request, validly signed,
goes over HTTP to the real gateway, service and sandboxes; no answer may be a 5xx or differ from
the document."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway import signing
from gateway.app import ROUTES
from tests.conftest import GATEWAY_SIGNING_KEY

Operation = schemathesis.APIOperation[Any, Any, Any, Any]

MAX_EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def gladly_url(unlimited_gladly_url: str) -> str:
    return unlimited_gladly_url  # the fuzzer sends far more than Gladly's 10 requests/second


def sign_as_gladly(request: Any) -> Any:
    """A `requests` auth hook: sign the prepared request (its final URL and body bytes)."""
    url = urlsplit(request.url)
    body = request.body or b""
    request.headers.update(
        signing.sign(
            GATEWAY_SIGNING_KEY,
            request.method,
            url.path,
            query=url.query,
            headers=dict(request.headers),
            body=body.encode() if isinstance(body, str) else body,
            when=datetime.now(UTC),
        )
    )
    return request


def _modes(operation: Operation) -> list[schemathesis.GenerationMode]:
    """Negative cases need something to break: a parameter or a body."""
    negatable = bool(operation.body) or any(True for _ in operation.iter_parameters())
    modes = [schemathesis.GenerationMode.POSITIVE]
    return [*modes, schemathesis.GenerationMode.NEGATIVE] if negatable else modes


def fuzz(base_url: str) -> list[str]:
    """Run every operation in both generation modes; returns the labels that were exercised."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    exercised = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid
        operation = result.ok()
        for mode in _modes(operation):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                case.call_and_validate(base_url=base_url, auth=sign_as_gladly, checks=CHECKS)

            run()
        exercised.append(operation.label)
    return exercised


async def test_no_generated_request_breaks_the_gateway(gateway_url: str) -> None:
    # Schemathesis is synchronous: it runs off the event loop that serves the whole stack.
    exercised = await asyncio.to_thread(fuzz, gateway_url)
    # Every route but /openapi.json, which schemathesis leaves out as the schema's own address.
    served = {
        f"{method} {route.path}"
        for route in ROUTES
        for method in route.methods or ()
        if method != "HEAD" and route.path != "/openapi.json"
    }
    assert set(exercised) == served
