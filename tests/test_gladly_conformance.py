"""Gladly as documented, both ways, over HTTP.

1. Every request the Actions service sends to Gladly, captured on its way into the Gladly sandbox
   during a session of reads and actions (merged customers included), matches one documented
   endpoint and that endpoint's request schema (fixtures/gladly_schemas.json): method, path,
   Basic credentials, JSON, and a body with only documented fields within their limits.
2. The Gladly sandbox answers as Gladly's documented examples do (fixtures/gladly_answers.json):
   the status, the keys at every level (none made up, none of the promised ones missing) and the
   JSON type of every value.
3. The gateway's lookup answers have the documented lookup response shape.

The fixtures are written field for field from Gladly's OpenAPI and lookup documentation.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jsonschema
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from actions.v1 import actions_pb2 as pb
from services.actions_service.domain import TimelineEntry
from services.actions_service.gladly import GladlyClient, timeline_item
from services.gladly_sandbox import lookup_answer
from services.gladly_sandbox.app import create_app as create_gladly_app
from services.gladly_sandbox.state import DEMO_CONVERSATION_ID
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID as GLADLY_DEMO
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_EMAIL,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)
from tests.servers import serve_asgi
from tests.stack import GLADLY_TOKEN, GLADLY_USER, add_fault, customer_timeline, eventually

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMAS: dict[str, Any] = json.loads((FIXTURES / "gladly_schemas.json").read_text())
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "gladly_answers.json").read_text())
REQUESTS: dict[str, dict[str, Any]] = SCHEMAS["requests"]

# What no Gladly page documents, so the sandbox's answer there is a choice, not a fact.
UNVERIFIED = {
    "GET /api/v1/customers/{customerId}/conversations 301": "a merged customer's conversation "
    "list: answered like the profile read's documented 301",
    "POST /api/v1/customers/{customerId}/conversation-items 404 body": "documented without a "
    "body: answered with the NotFoundErrors example's shape",
    "lookup SUBSCRIPTION transaction keys": "Gladly names the card's fields, not their keys",
}


# --- 1. what the service sends ----------------------------------------------------------------


@dataclass(frozen=True)
class Captured:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Capture:
    """An ASGI wrapper that keeps every `/api/` request before the app answers it."""

    app: ASGIApp
    requests: list[Captured] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while not messages or messages[-1].get("more_body"):
            messages.append(await receive())
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        body = b"".join(m.get("body", b"") for m in messages)
        self.requests.append(Captured(scope["method"], scope["raw_path"].decode(), headers, body))
        replay = iter(messages)

        async def receive_again() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, receive_again, send)


@pytest.fixture
def capture() -> Capture:
    return Capture(create_gladly_app(rate_limit=1_000_000))


@pytest.fixture
async def gladly_url(capture: Capture) -> AsyncIterator[str]:
    """The Gladly sandbox every test fixture here uses (the service's too), captured."""
    async with serve_asgi(capture) as url:
        yield url


def endpoint_of(request: Captured) -> str:
    """The documented endpoint the request is for; fails the test when there is none."""
    path = request.raw_path.split("?")[0]
    for name, endpoint in REQUESTS.items():
        pattern = re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(endpoint["path"]))
        if request.method == endpoint["method"] and re.fullmatch(pattern, path):
            return name
    pytest.fail(f"{request.method} {path}: no documented Gladly endpoint")


def violations(request: Captured, endpoint: dict[str, Any]) -> list[str]:
    found = []
    if not request.headers.get("authorization", "").startswith("Basic "):
        found.append("no Basic credentials")
    if request.headers.get("accept") != "application/json":
        found.append(f"accept {request.headers.get('accept')!r}")
    schema = endpoint.get("body")
    if schema is None:
        return found + ([f"a body on a {request.method}"] if request.body else [])
    if request.headers.get("content-type") != "application/json":
        found.append(f"content-type {request.headers.get('content-type')!r}")
    validator = jsonschema.Draft202012Validator(schema)
    body = json.loads(request.body)
    return found + [f"{e.json_path}: {e.message}" for e in validator.iter_errors(body)]


async def test_every_request_to_gladly_is_a_documented_one(
    service: Any, gladly: httpx.AsyncClient, capture: Capture
) -> None:
    """Reads and actions for a customer, one merged into another: every endpoint the service
    uses, each request as documented."""
    for body in (
        {"id": "merged-away", "externalCustomerId": DEMO_CUSTOMER_ID, "conversation": "OPEN"},
        {"id": "survivor"},
    ):
        assert (await gladly.post("/_sandbox/customers", json=body)).status_code == 201
    merge = await gladly.post("/_sandbox/customers/merged-away/merge", json={"into": "survivor"})
    assert merge.status_code == 204
    found = await service.stub.GetSubscriptions(
        pb.GetSubscriptionsRequest(gladly_customer_id="merged-away")
    )
    assert found.linked
    for subscription, context in (
        # In a named conversation: that conversation is read.
        (
            Role.SHARED_COFFEE,
            pb.ActionContext(gladly_customer_id=GLADLY_DEMO, conversation_id=DEMO_CONVERSATION_ID),
        ),
        # No conversation named: the (merged) customer's conversations are listed.
        (Role.VITAMINS, pb.ActionContext(gladly_customer_id="merged-away")),
    ):
        await service.stub.CancelSubscription(
            pb.CancelSubscriptionRequest(
                subscription_id=DEMO_SUBSCRIPTION_IDS[subscription],
                reason_code="7",
                context=context,
            )
        )
    await eventually(lambda: customer_timeline(gladly, GLADLY_DEMO))
    await eventually(lambda: customer_timeline(gladly, "survivor"))

    used: dict[str, list[str]] = {}
    for request in capture.requests:
        name = endpoint_of(request)
        used.setdefault(name, []).extend(violations(request, REQUESTS[name]))
    assert used == {name: [] for name in REQUESTS}  # every endpoint used, none wrongly
    # The merged customer's profile, conversations and timeline post were each followed.
    merged, survived = (
        {endpoint_of(r) for r in capture.requests if f"/{customer}" in r.raw_path}
        for customer in ("merged-away", "survivor")
    )
    assert merged == survived == {"profile_read", "conversations_list", "timeline_post"}


async def test_a_long_entry_is_clipped_to_gladlys_limits(
    gladly_url: str, gladly: httpx.AsyncClient
) -> None:
    """Over Gladly's limits an entry would be refused for good (400): the client clips the
    title to 100 and the body to 25000 characters, and writes the time in UTC."""
    chicago = datetime.now(ZoneInfo("America/Chicago"))
    entry = TimelineEntry("og-long-entry", "t" * 150, "b" * 30_000, chicago)
    client = GladlyClient.create(gladly_url, GLADLY_USER, GLADLY_TOKEN)
    try:
        await client.post_timeline_entry(GLADLY_DEMO, entry)
    finally:
        await client.aclose()
    [item] = await customer_timeline(gladly, GLADLY_DEMO)
    title, body = item["content"]["title"], item["content"]["body"]
    assert (len(title), len(body)) == (100, 25_000) and body.endswith("…")
    assert item["content"]["occurredAt"].endswith("Z")


# --- 2. what the sandbox answers ----------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def shape_mismatches(
    actual: Any, documented: Any, case: dict[str, Any], path: str = ""
) -> list[str]:
    """How `actual` differs from the documented example in keys and JSON types."""
    where = path or "$"
    if json_type(actual) != json_type(documented):
        return [f"{where}: {json_type(actual)}, documented {json_type(documented)}"]
    if isinstance(documented, list):
        items = [d for d in documented if isinstance(d, dict)]
        # A list's items are compared with every key its documented items show.
        template = {k: v for d in items for k, v in d.items()} if items else next(iter(documented))
        return [m for a in actual for m in shape_mismatches(a, template, case, f"{path}[]")]
    if not isinstance(documented, dict):
        return []
    if path in case.get("maps", ()):
        values = next(iter(documented.values()))
        return [m for a in actual.values() for m in shape_mismatches(a, values, case, f"{path}.*")]
    found = [f"{path}.{key}".lstrip(".") + ": not documented" for key in actual.keys() - documented]
    for key in documented.keys() - actual.keys():
        if (name := f"{path}.{key}".lstrip(".")) not in case.get("optional", ()):
            found.append(f"{name}: missing")
    for key in actual.keys() & documented.keys():
        found += shape_mismatches(actual[key], documented[key], case, f"{path}.{key}".lstrip("."))
    return found


def differences(answer: httpx.Response, name: str) -> list[str]:
    case = ANSWERS[name]
    if answer.status_code != case["status"]:
        return [f"status {answer.status_code}, documented {case['status']}"]
    missing = [h for h in case.get("headers", {}) if h not in answer.headers]
    return [f"header {h} missing" for h in missing] + shape_mismatches(
        answer.json(), case["body"], case
    )


Ask = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]
ITEMS = f"/api/v1/customers/{GLADLY_DEMO}/conversation-items"
ENTRY = TimelineEntry("og-cancel-conformance", "Subscription cancelled", "Done", datetime.now(UTC))


def _get(path: str) -> Ask:
    return lambda api: api.get(path)


def _post(path: str, body: Any) -> Ask:
    return lambda api: api.post(path, json=body)


SANDBOX_CASES: list[tuple[str, Ask]] = [
    ("profile", _get(f"/api/v1/customer-profiles/{GLADLY_DEMO}")),
    ("merged_profile", _get("/api/v1/customer-profiles/merged-away")),
    ("not_exist", _get("/api/v1/customer-profiles/nobody")),
    ("conversations", _get("/api/v1/customers/gladly-closed-customer/conversations")),
    ("conversations", _get(f"/api/v1/customers/{GLADLY_DEMO}/conversations")),
    ("not_exist", _get("/api/v1/customers/nobody/conversations")),
    ("conversation_open", _get(f"/api/v1/conversations/{DEMO_CONVERSATION_ID}")),
    ("conversation_closed", _get("/api/v1/conversations/gladly-closed-conversation")),
    ("not_exist", _get("/api/v1/conversations/nothing")),
    ("item_created", _post(ITEMS, timeline_item(ENTRY))),
    ("item_taken", _post(ITEMS, timeline_item(ENTRY))),  # the same id again
    ("item_invalid", _post(ITEMS, {})),
    ("merged_items", _post("/api/v1/customers/merged-away/conversation-items", {})),
    ("not_exist", _post("/api/v1/customers/nobody/conversation-items", timeline_item(ENTRY))),
]


async def test_the_sandbox_answers_as_gladly_documents() -> None:
    async with (
        serve_asgi(create_gladly_app(rate_limit=1_000_000)) as url,
        httpx.AsyncClient(base_url=url, auth=(GLADLY_USER, GLADLY_TOKEN)) as api,
    ):
        await api.post("/_sandbox/customers", json={"id": "merged-away"})
        await api.post("/_sandbox/customers/merged-away/merge", json={"into": GLADLY_DEMO})
        found = {}
        for name, ask in SANDBOX_CASES:
            answer = await ask(api)
            found[f"{answer.request.method} {answer.request.url.path} ({name})"] = differences(
                answer, name
            )
    assert found == {case: [] for case in found}


def test_the_shape_check_sees_made_up_missing_and_mistyped_keys() -> None:
    """The comparison itself: each kind of drift is named."""
    documented = ANSWERS["conversation_open"]
    answer = dict(documented["body"]) | {"colour": "red", "createdAt": 20160102}
    del answer["inboxId"], answer["agentId"]  # agentId is optional
    assert sorted(shape_mismatches(answer, documented["body"], documented)) == [
        "colour: not documented",
        "createdAt: integer, documented string",
        "inboxId: missing",
    ]


def test_unverified_answers_are_listed() -> None:
    """Printed so that the list shows what is still a guess (run with -s to see it)."""
    print("\nGladly answers no page documents:")
    for what, why in UNVERIFIED.items():
        print(f"  unverified: {what}: {why}")
    assert UNVERIFIED


# --- 3. what the gateway answers Gladly's lookups -----------------------------------------------


async def test_lookup_answers_have_the_documented_shape(
    gladly_caller: httpx.AsyncClient, ordergroove: httpx.AsyncClient
) -> None:
    """BASIC and DETAILED, with the card and without it (Ordergroove unreadable: the notice)."""
    asked = [
        ("BASIC", {"emails": [DEMO_EMAIL]}),
        ("DETAILED", {"externalCustomerId": DEMO_CUSTOMER_ID, "id": GLADLY_DEMO}),
        ("DETAILED", {"externalCustomerId": DEMO_CUSTOMER_ID, "id": GLADLY_DEMO}),
    ]
    answers: list[list[dict[str, Any]]] = []
    for level, query in asked:
        if len(answers) == 2:
            await add_fault(ordergroove, path="/subscriptions/", status=500)
        body = {"lookupLevel": level, "query": query, "uniqueMatchRequired": level == "DETAILED"}
        answer = (await gladly_caller.post("/gladly/lookup", json=body)).json()
        errors = jsonschema.Draft202012Validator(SCHEMAS["lookup_response"]).iter_errors(answer)
        assert [f"{e.json_path}: {e.message}" for e in errors] == [], level
        assert lookup_answer.refusal(answer, level) == ""  # the sandbox, as Gladly, takes it
        answers.append(answer["results"])
    [basic], [card], [notice] = answers
    assert "transactions" in card and "transactions" not in notice
    # The phone's kind is unknown to Ordergroove's record: no type, never a guessed MOBILE.
    assert basic["phones"] and all("type" not in phone for phone in basic["phones"])
