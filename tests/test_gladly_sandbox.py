"""The Gladly sandbox over real HTTP: Gladly's API semantics and the `/_sandbox/` controls."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.gladly_sandbox import lookup_answer
from services.gladly_sandbox.app import create_app
from services.gladly_sandbox.console import ConsoleSettings
from services.gladly_sandbox.ratelimit import RateLimiter
from services.gladly_sandbox.state import (
    CLOSED_CONVERSATION_ID,
    CLOSED_CUSTOMER_ID,
    DEFAULT_LOOKUP_APP_ID,
    DEMO_CONVERSATION_ID,
    DEMO_CUSTOMER_ID,
    DEMO_EXTERNAL_CUSTOMER_ID,
    JOURNAL_SIZE,
    SandboxState,
)
from tests.servers import serve_asgi

AUTH = ("sandbox@example.com", "sandbox-token")
ITEMS = f"/api/v1/customers/{DEMO_CUSTOMER_ID}/conversation-items"
CONVERSATIONS = f"/api/v1/customers/{DEMO_CUSTOMER_ID}/conversations"


def days_ago(days: int) -> str:
    """An RFC 3339 instant with milliseconds, `days` before now."""
    when = datetime.now(UTC) - timedelta(days=days)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def item(**content: Any) -> dict[str, Any]:
    """A valid conversation item body, with content fields replaced (None removes one)."""
    fields = {
        "type": "CUSTOMER_ACTIVITY",
        "title": "Subscription cancelled",
        "body": "Cancelled by agent",
        "activityType": "ISSUE",
        "sourceName": "Ordergroove",
    } | content
    return {"content": {name: value for name, value in fields.items() if value is not None}}


# One server for the module (starting and stopping uvicorn costs ~0.2 s), reset before each test.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox_url() -> AsyncIterator[str]:
    # A high limit so that only the rate-limit test meets it.
    async with serve_asgi(create_app(rate_limit=1000)) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="module")
async def client(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox_url, auth=AUTH) as http:
        assert (await http.post("/_sandbox/reset")).status_code == 204
        yield http


@pytest_asyncio.fixture(loop_scope="module")
async def limited() -> AsyncIterator[httpx.AsyncClient]:
    async with serve_asgi(create_app()) as url, httpx.AsyncClient(base_url=url, auth=AUTH) as http:
        yield http


@pytest.mark.parametrize(
    "auth",
    [None, ("sandbox@example.com", "wrong"), ("other@example.com", "sandbox-token")],
)
async def test_api_needs_the_right_basic_credentials(
    client: httpx.AsyncClient, auth: tuple[str, str] | None
) -> None:
    response = await client.get(CONVERSATIONS, auth=auth or _no_auth())
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


async def test_garbled_authorization_is_refused(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Basic not*base64"}
    response = await client.get(CONVERSATIONS, headers=headers, auth=_no_auth())
    assert response.status_code == 401


async def test_custom_credentials() -> None:
    app = create_app(api_user="me@example.com", api_token="t0ken")
    async with serve_asgi(app) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get(CONVERSATIONS, auth=AUTH)).status_code == 401
        assert (await http.get(CONVERSATIONS, auth=("me@example.com", "t0ken"))).status_code == 200


async def test_item_is_created_and_lands_on_the_timeline(client: httpx.AsyncClient) -> None:
    body = item(occurredAt=days_ago(1), link={"url": "https://x", "text": "x"})
    response = await client.post(ITEMS, json={"id": "cancel-sub-1"} | body)
    assert response.status_code == 200
    created = response.json()
    assert created["id"] == "cancel-sub-1"
    assert created["customerId"] == DEMO_CUSTOMER_ID
    assert created["content"] == body["content"]
    assert created["timestamp"].endswith("Z")
    timeline = await client.get(f"/_sandbox/customers/{DEMO_CUSTOMER_ID}/timeline")
    assert timeline.json() == [created]


async def test_item_without_id_gets_one_and_timeline_is_oldest_first(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post(ITEMS, json=item(title="first"))).json()
    second = (await client.post(ITEMS, json=item(title="second"))).json()
    assert first["id"] and first["id"] != second["id"]
    timeline = (await client.get("/_sandbox/timeline")).json()
    assert [entry["content"]["title"] for entry in timeline] == ["first", "second"]


async def test_repeated_item_id_is_taken(client: httpx.AsyncClient) -> None:
    assert (await client.post(ITEMS, json={"id": "same"} | item())).status_code == 200
    response = await client.post(ITEMS, json={"id": "same"} | item(title="again"))
    assert response.status_code == 409
    # Gladly's OpenAPI example of this answer.
    assert response.json()["errors"] == [
        {
            "attr": "newConversationItems",
            "code": "taken",
            "detail": "conversation item already exists",
        }
    ]
    assert len((await client.get("/_sandbox/timeline")).json()) == 1


async def test_item_for_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/customers/nobody/conversation-items", json=item())
    assert response.status_code == 404
    assert response.json()["errors"] == [{"code": "not_exist", "detail": "customer does not exist"}]


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"id": "not/url-safe"} | item(), "id", "invalid"),
        ({"id": "x" * 51} | item(), "id", "too_long"),
        ({"id": 7} | item(), "id", "invalid"),
        ({}, "content", "blank"),
        ({"content": "text"}, "content", "invalid"),
        (item(type=None), "content.type", "blank"),
        (item(type="CHAT_MESSAGE"), "content.type", "invalid"),
        (item(title="x" * 101), "content.title", "too_long"),
        (item(title=5), "content.title", "invalid"),
        (item(body="x" * 25001), "content.body", "too_long"),
        (item(activityType=None), "content.activityType", "blank"),
        (item(activityType="CALL"), "content.activityType", "invalid"),
        (item(sourceName="x" * 51), "content.sourceName", "too_long"),
        (item(occurredAt="2024-05-01"), "content.occurredAt", "invalid"),
        (item(occurredAt="2024-13-01T00:00:00Z"), "content.occurredAt", "invalid"),
        (item(occurredAt=days_ago(366)), "content.occurredAt", "invalid"),
        (item(link="https://x"), "content.link", "invalid"),
        (item(link={"url": "https://x", "text": "x" * 51}), "content.link.text", "too_long"),
        (item(link={"url": 5}), "content.link.url", "invalid"),
        (item(expandByDefault="yes"), "content.expandByDefault", "invalid"),
    ],
)
async def test_invalid_item_is_refused(
    client: httpx.AsyncClient, body: dict[str, Any], attr: str, code: str
) -> None:
    response = await client.post(ITEMS, json=body)
    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [(attr, code)]


async def test_only_type_and_activity_type_are_required(client: httpx.AsyncClient) -> None:
    """Gladly's OpenAPI: a Customer Activity requires `activityType` and `type`, nothing else."""
    bare = {"content": {"type": "CUSTOMER_ACTIVITY", "activityType": "SURVEY"}}
    assert (await client.post(ITEMS, json=bare)).status_code == 200
    link_without_url = item(title="", link={"text": "View Details"})
    assert (await client.post(ITEMS, json=link_without_url)).status_code == 200


async def test_item_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    """The text limits are inclusive; an id must be *under* 50 characters (gladly.md §4)."""
    body = {"id": "x" * 49} | item(title="t" * 100, body="b" * 25000, sourceName="s" * 50)
    body["content"]["link"] = {"url": "https://x", "text": "l" * 50}
    assert (await client.post(ITEMS, json=body)).status_code == 200
    too_long = await client.post(ITEMS, json=body | {"id": "y" * 50})
    assert [e["code"] for e in too_long.json()["errors"]] == ["too_long"]


async def test_body_that_is_not_json_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(ITEMS, content=b"{not json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid"


async def test_seeded_conversations(client: httpx.AsyncClient) -> None:
    [demo] = (await client.get(CONVERSATIONS)).json()
    assert demo["id"] == DEMO_CONVERSATION_ID
    assert demo["status"] == "OPEN"
    assert "closedAt" not in demo
    closed = await client.get(f"/api/v1/customers/{CLOSED_CUSTOMER_ID}/conversations")
    assert [(c["id"], c["status"]) for c in closed.json()] == [(CLOSED_CONVERSATION_ID, "CLOSED")]
    assert "closedAt" in closed.json()[0]
    one = await client.get(f"/api/v1/conversations/{DEMO_CONVERSATION_ID}")
    assert one.json() == demo


async def test_unknown_customer_and_conversation_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/customers/nobody/conversations")).status_code == 404
    assert (await client.get("/api/v1/conversations/nothing")).status_code == 404
    unknown_route = await client.get("/api/v1/nothing-here")
    assert unknown_route.status_code == 404
    assert unknown_route.json()["errors"][0]["code"] == "not_found"


async def test_closing_and_opening_conversations(client: httpx.AsyncClient) -> None:
    closed = await client.post(f"/_sandbox/customers/{DEMO_CUSTOMER_ID}/close-conversations")
    assert [c["status"] for c in closed.json()] == ["CLOSED"]
    assert [c["status"] for c in (await client.get(CONVERSATIONS)).json()] == ["CLOSED"]
    opened = await client.post(f"/_sandbox/customers/{DEMO_CUSTOMER_ID}/conversations")
    assert opened.status_code == 201
    listed = (await client.get(CONVERSATIONS)).json()
    assert [c["status"] for c in listed] == ["CLOSED", "OPEN"]
    assert listed[1] == opened.json()
    assert (await client.post("/_sandbox/customers/nobody/conversations")).status_code == 404


async def test_sandbox_creates_customers(client: httpx.AsyncClient) -> None:
    created = await client.post("/_sandbox/customers", json={"id": "c1", "conversation": "OPEN"})
    assert created.status_code == 201
    assert [c["status"] for c in created.json()["conversations"]] == ["OPEN"]
    bare = await client.post("/_sandbox/customers", json={"id": "c2", "conversation": None})
    assert bare.json()["conversations"] == []
    again = await client.post("/_sandbox/customers", json={"id": "c1"})
    assert again.status_code == 409
    bad = await client.post("/_sandbox/customers", json={"id": "c3", "conversation": "MAYBE"})
    assert bad.status_code == 400
    assert (await client.post("/api/v1/customers/c2/conversation-items", json=item())).is_success


async def test_profiles_carry_the_link_keyed_by_the_lookup_app(client: httpx.AsyncClient) -> None:
    """`externalCustomerIds` only; the single `externalCustomerId` only for a profile linked
    before 05/12/21 (`legacyLink`); an unknown customer is 404 `not_exist`."""
    profile = (await client.get(f"/api/v1/customer-profiles/{DEMO_CUSTOMER_ID}")).json()
    assert profile["externalCustomerIds"] == {DEFAULT_LOOKUP_APP_ID: DEMO_EXTERNAL_CUSTOMER_ID}
    assert "externalCustomerId" not in profile
    old = {"id": "old", "externalCustomerId": "og-1", "legacyLink": True}
    assert (await client.post("/_sandbox/customers", json=old)).status_code == 201
    legacy = (await client.get("/api/v1/customer-profiles/old")).json()
    assert legacy["externalCustomerIds"] == {DEFAULT_LOOKUP_APP_ID: "og-1"}
    assert legacy["externalCustomerId"] == "og-1"
    unknown = await client.get("/api/v1/customer-profiles/nobody")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "not_exist"


async def test_a_merged_customer_answers_301(client: httpx.AsyncClient) -> None:
    """Gladly's OpenAPI: the surviving id in the body's `moved` error; a `Location` only where
    documented, on the timeline post."""
    await client.post("/_sandbox/customers", json={"id": "gone", "conversation": "OPEN"})
    merged = await client.post("/_sandbox/customers/gone/merge", json={"into": DEMO_CUSTOMER_ID})
    assert merged.status_code == 204
    for method, path, attr in (
        ("GET", "/api/v1/customer-profiles/gone", "customerId"),
        ("POST", "/api/v1/customers/gone/conversation-items", "customer id"),
        ("GET", "/api/v1/customers/gone/conversations", "customerId"),
    ):
        moved = await client.request(method, path, json=item() if method == "POST" else None)
        assert moved.status_code == 301
        [error] = moved.json()["errors"]
        assert error["attr"] == attr and error["code"] == "moved"
        assert error["meta"] == {"old": "gone", "new": DEMO_CUSTOMER_ID}
        assert isinstance(error["detail"], str)
        if method == "POST":
            assert moved.headers["Location"] == f"{client.base_url}{ITEMS}"
        else:
            assert "Location" not in moved.headers
    # The survivor has the merged customer's conversations.
    assert len((await client.get(CONVERSATIONS)).json()) == 2


async def test_conversations_oldest_first_at_most_100(client: httpx.AsyncClient) -> None:
    many = {"status": "CLOSED", "count": 120}
    opened = await client.post(f"/_sandbox/customers/{DEMO_CUSTOMER_ID}/conversations", json=many)
    assert opened.status_code == 201
    listed = await client.get(CONVERSATIONS)
    assert len(listed.json()) == 100 and listed.headers["Gladly-Limited-Data"]
    assert listed.json()[0]["id"] == DEMO_CONVERSATION_ID  # the oldest
    assert opened.json()["id"] not in {c["id"] for c in listed.json()}  # the newest are cut
    one = await client.get(f"/api/v1/conversations/{opened.json()['id']}")
    assert one.json()["status"] == "CLOSED"
    short = await client.get(f"/api/v1/customers/{CLOSED_CUSTOMER_ID}/conversations")
    assert "Gladly-Limited-Data" not in short.headers
    waiting = {"status": "WAITING"}
    made = await client.post(
        f"/_sandbox/customers/{CLOSED_CUSTOMER_ID}/conversations", json=waiting
    )
    assert made.json()["status"] == "WAITING"


async def test_rate_limit_per_method_and_headers(limited: httpx.AsyncClient) -> None:
    answers = [await limited.get(CONVERSATIONS) for _ in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert [a.headers["Ratelimit-Remaining-Second"] for a in answers] == [
        *(str(n) for n in range(9, -1, -1)),
        "0",
    ]
    assert {a.headers["Ratelimit-Limit-Second"] for a in answers} == {"10"}
    assert answers[-1].json()["errors"][0]["code"] == "rate_limited"
    # The limit is per method: POSTs still have their own ten.
    post = await limited.post(ITEMS, json=item())
    assert post.status_code == 200
    assert post.headers["Ratelimit-Remaining-Second"] == "9"


async def test_rate_limiter_window_slides() -> None:  # async only to share the module's mark
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert [limiter.take("GET").allowed for _ in range(3)] == [True, True, False]
    now[0] = 0.5
    assert not limiter.take("GET").allowed
    now[0] = 1.0  # the first two requests have left the window
    assert limiter.take("GET").remaining == 1


async def test_status_fault_applies_given_times(client: httpx.AsyncClient) -> None:
    fault = {"method": "get", "path": "/api/v1/customers/", "status": 503, "times": 2}
    assert (await client.post("/_sandbox/faults", json=fault)).status_code == 201
    assert (await client.post(ITEMS, json=item())).status_code == 200  # other method
    statuses = [(await client.get(CONVERSATIONS)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert (await client.get("/_sandbox/faults")).json() == []


async def test_fault_without_times_stays_until_deleted(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"status": 500})
    response = await client.get(CONVERSATIONS)
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "sandbox_fault"
    assert "Ratelimit-Remaining-Second" in response.headers
    assert (await client.get(CONVERSATIONS)).status_code == 500
    assert (await client.delete("/_sandbox/faults")).status_code == 204
    assert (await client.get(CONVERSATIONS)).status_code == 200


async def test_latency_fault(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"latency_ms": 200, "times": 1})
    started = time.monotonic()
    assert (await client.get(CONVERSATIONS)).status_code == 200
    assert time.monotonic() - started >= 0.2


async def test_hang_fault_holds_until_the_client_gives_up(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"hang": True, "times": 1})
    with pytest.raises(httpx.ReadTimeout):
        await client.get(CONVERSATIONS, timeout=0.2)
    for _ in range(100):  # the server notices the disconnect shortly after
        journal = (await client.get("/_sandbox/requests")).json()
        if journal[0]["status"] is not None:
            break
        await asyncio.sleep(0.01)
    assert journal == [{"method": "GET", "path": CONVERSATIONS, "status": 499}]


@pytest.mark.parametrize(
    "fault",
    [
        {},
        {"status": 99},
        {"status": True},
        {"status": 500, "times": 0},
        {"latency_ms": -1},
        {"status": 500, "colour": "red"},
        [],
    ],
)
async def test_bad_fault_is_refused(client: httpx.AsyncClient, fault: Any) -> None:
    response = await client.post("/_sandbox/faults", json=fault)
    assert response.status_code == 400
    assert (await client.get("/_sandbox/faults")).json() == []


async def test_journal_records_api_requests_only(client: httpx.AsyncClient) -> None:
    await client.get(CONVERSATIONS)
    await client.get(CONVERSATIONS, auth=_no_auth())
    await client.post(ITEMS, json={})
    await client.get("/_sandbox/timeline")
    journal = (await client.get("/_sandbox/requests")).json()
    assert journal == [
        {"method": "GET", "path": CONVERSATIONS, "status": 200},
        {"method": "GET", "path": CONVERSATIONS, "status": 401},
        {"method": "POST", "path": ITEMS, "status": 400},
    ]


async def test_journal_keeps_the_most_recent_requests() -> None:  # async for the module's mark
    state = SandboxState()
    for n in range(JOURNAL_SIZE + 2):
        state.record("GET", f"/api/v1/customers/{n}")
    assert len(state.journal) == JOURNAL_SIZE
    assert state.journal[0].path == "/api/v1/customers/2"


async def test_reset_restores_the_seed(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/customers", json={"id": "c1"})
    await client.post(f"/_sandbox/customers/{DEMO_CUSTOMER_ID}/close-conversations")
    await client.post(ITEMS, json={"id": "kept"} | item())
    await client.post("/_sandbox/faults", json={"status": 500, "path": "/api/v1/conversations/"})
    assert (await client.post("/_sandbox/reset")).status_code == 204
    assert (await client.get("/_sandbox/timeline")).json() == []
    assert (await client.get("/_sandbox/requests")).json() == []
    assert (await client.get("/_sandbox/faults")).json() == []
    assert (await client.get("/api/v1/customers/c1/conversations")).status_code == 404
    assert [c["status"] for c in (await client.get(CONVERSATIONS)).json()] == ["OPEN"]
    assert (await client.post(ITEMS, json={"id": "kept"} | item())).status_code == 200


# --- acting as Gladly: the lookup answers it takes --------------------------------------------

PAT = {"externalCustomerId": "og-1", "name": "Pat Doe", "emails": [{"original": "pat@example.com"}]}


@pytest.mark.parametrize(
    ("phone", "taken"),
    [
        ({"original": "+15550100100", "type": "MOBILE"}, True),
        ({"original": "+15550100100", "type": "HOME"}, True),
        ({"original": "+15550100100"}, True),  # type unknown: Gladly files it as Other
        ({"original": "+15550100100", "type": "CELL"}, False),
        ({"original": "+15550100100", "type": "mobile"}, False),
        ("+15550100100", False),
        ({"type": "MOBILE"}, False),
    ],
)
async def test_the_console_takes_only_documented_phones(phone: Any, taken: bool) -> None:
    """Gladly's lookup answer: phones `[{"original", "type"}]`, type HOME | MOBILE | OFFICE or
    none; Gladly fails the agent's lookup on an answer shaped otherwise."""
    answer = {"results": [PAT | {"phones": [phone]}]}
    async with lookup_adaptor(answer) as adaptor_url:
        page = await console_search(adaptor_url, "pat@example.com")
    assert ("Pat Doe" in page) is taken
    assert ("not shaped as Gladly documents" in page) is not taken


@pytest.mark.parametrize(
    ("answer", "level"),
    [
        ({"results": [PAT, PAT | {"externalCustomerId": "og-2"}]}, "DETAILED"),
        ({"results": [PAT | {"externalCustomerId": ""}]}, "BASIC"),
        ({"results": [PAT | {"customAttributes": {"tier": {"name": "gold"}}}]}, "BASIC"),
        ({"results": [PAT | {"transactions": [{"type": "SUBSCRIPTIONS"}]}]}, "DETAILED"),
        ({"results": [PAT | {"actions": [{"name": "Cancel"}]}]}, "DETAILED"),
        ({"customers": [PAT]}, "BASIC"),
    ],
)
async def test_lookup_answers_gladly_refuses(answer: Any, level: str) -> None:
    assert lookup_answer.refusal(answer, level)
    assert lookup_answer.refusal({"results": [PAT]}, level) == ""


@contextlib.asynccontextmanager
async def lookup_adaptor(answer: Any) -> AsyncIterator[str]:
    """A lookup adaptor that answers every lookup with `answer`."""

    async def answer_lookup(request: Request) -> Response:
        return JSONResponse(answer)

    app = Starlette(routes=[Route("/gladly/lookup", answer_lookup, methods=["POST"])])
    async with serve_asgi(app) as url:
        yield url


async def console_search(adaptor_url: str, email: str) -> str:
    """The console's search page, its BASIC lookup sent to the adaptor at `adaptor_url`."""
    console = create_app(console=ConsoleSettings(gateway_url=adaptor_url))
    async with serve_asgi(console) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/", params={"email": email})
    return response.text


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/_sandbox/healthz", auth=_no_auth())
    assert response.json() == {"status": "ok"}


def _no_auth() -> httpx.Auth:
    """Override the client's default credentials for one request."""
    return httpx.Auth()
