"""Gladly's documented answers (tests/fixtures/gladly_answers.json, written field for field from
Gladly's documentation) replayed over HTTP through the service's Gladly client: what it makes of
each shape, independent of how our sandbox imitates Gladly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.actions_service.domain import TimelineEntry
from services.actions_service.errors import UpstreamUnavailable
from services.actions_service.gladly import GladlyClient, TimelineRefused
from tests.servers import serve_asgi

ANSWERS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "gladly_answers.json").read_text()
)
APP_ID = "ABC12345"  # the lookup integration's id in Gladly's OpenAPI example
PROFILE_ID = ANSWERS["profile"]["body"]["id"]
LEGACY_ID = ANSWERS["legacy_profile"]["body"]["id"]
# The documented conversations belong to this customer.
OWNER = ANSWERS["conversation_open"]["body"]["customerId"]
ENTRY = TimelineEntry("og-cancel-0123", "Subscription cancelled", "Done", datetime.now(UTC))
# Not a Gladly answer: what a proxy in front of it may send instead.
MAINTENANCE_PAGE = "<html>down for maintenance</html>"


class Replay:
    """Answers `(method, path)` with a named fixture; records every request it got."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], str] = {}
        self.seen: list[tuple[str, str]] = []

    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            self.seen.append((request.method, request.url.path))
            name = self.answers.get((request.method, request.url.path), "not_exist")
            if name == "maintenance_page":
                return Response(MAINTENANCE_PAGE, 200, media_type="text/html")
            fixture: dict[str, Any] = ANSWERS[name]
            return JSONResponse(fixture["body"], fixture["status"], fixture.get("headers"))

        return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


@pytest.fixture
def replay() -> Replay:
    return Replay()


@asynccontextmanager
async def client_of(replay: Replay, app_id: str = APP_ID) -> AsyncIterator[GladlyClient]:
    async with serve_asgi(replay.app()) as url:
        client = GladlyClient.create(url, "agent@example.com", "token", lookup_app_id=app_id)
        try:
            yield client
        finally:
            await client.aclose()


def profile(customer_id: str) -> tuple[str, str]:
    return ("GET", f"/api/v1/customer-profiles/{customer_id}")


def conversations(customer_id: str) -> tuple[str, str]:
    return ("GET", f"/api/v1/customers/{customer_id}/conversations")


def items(customer_id: str) -> tuple[str, str]:
    return ("POST", f"/api/v1/customers/{customer_id}/conversation-items")


async def test_the_link_is_the_lookup_apps_entry(replay: Replay) -> None:
    replay.answers[profile(PROFILE_ID)] = "profile"
    replay.answers[profile(LEGACY_ID)] = "legacy_profile"
    replay.answers[profile("nobody")] = "unknown_profile"
    async with client_of(replay) as gladly:
        assert await gladly.linked_customer_id(PROFILE_ID) == "54321"
        assert await gladly.linked_customer_id(LEGACY_ID) == "a21c1636-c622-48b7-bf6a-d9032645aa55"
        assert await gladly.linked_customer_id("nobody") == ""  # 404 not_exist
    async with client_of(replay, app_id="another-app") as gladly:
        assert await gladly.linked_customer_id(PROFILE_ID) == ""  # linked to another integration


async def test_a_merged_customers_profile_is_read_from_the_survivor(replay: Replay) -> None:
    """The documented 301 names the survivor only in its `moved` error's meta.new (no
    Location): the client reads the survivor's profile instead of failing."""
    moved = ANSWERS["merged_profile"]["body"]["errors"][0]["meta"]
    replay.answers[profile(moved["old"])] = "merged_profile"
    replay.answers[profile(moved["new"])] = "profile"
    async with client_of(replay) as gladly:
        assert await gladly.linked_customer_id(moved["old"]) == "54321"
    assert replay.seen == [profile(moved["old"]), profile(moved["new"])]


async def test_a_merged_customers_entry_is_posted_to_the_survivor(replay: Replay) -> None:
    moved = ANSWERS["merged_items"]["body"]["errors"][0]["meta"]
    replay.answers[items(moved["old"])] = "merged_items"
    replay.answers[items(moved["new"])] = "item_created"
    async with client_of(replay) as gladly:
        await gladly.post_timeline_entry(moved["old"], ENTRY)
    assert replay.seen == [items(moved["old"]), items(moved["new"])]


async def test_open_means_not_closed(replay: Replay) -> None:
    for customer, answer in (
        ("closed", "conversations_closed"),
        ("capped", "conversations_capped"),
        ("waiting", "conversations_waiting"),
        ("documented", "conversations"),
    ):
        replay.answers[conversations(customer)] = answer
    conversation = ANSWERS["conversation_open"]["body"]["id"]
    replay.answers[("GET", f"/api/v1/conversations/{conversation}")] = "conversation_open"
    replay.answers[profile("stranger")] = "profile"  # not merged: its own id
    async with client_of(replay) as gladly:
        assert not await gladly.conversation_allows_actions("closed")
        assert await gladly.conversation_allows_actions("waiting")
        assert await gladly.conversation_allows_actions("documented")
        # Capped, none open among the oldest 100: the newest are unseen, so not known closed.
        assert await gladly.conversation_allows_actions("capped")
        assert await gladly.conversation_allows_actions(OWNER, conversation)
        assert not await gladly.conversation_allows_actions("stranger", conversation)
        assert not await gladly.conversation_allows_actions(OWNER, "no-such-conversation")


async def test_only_taken_means_already_delivered(replay: Replay) -> None:
    replay.answers[items("taken")] = "item_taken"
    replay.answers[items("conflict")] = "item_conflict"
    replay.answers[items("invalid")] = "item_invalid"
    async with client_of(replay) as gladly:
        await gladly.post_timeline_entry("taken", ENTRY)
        with pytest.raises(UpstreamUnavailable):
            await gladly.post_timeline_entry("conflict", ENTRY)
        with pytest.raises(TimelineRefused):
            await gladly.post_timeline_entry("invalid", ENTRY)


async def test_an_answer_that_is_not_json_is_an_upstream_failure(replay: Replay) -> None:
    replay.answers[profile("x")] = "maintenance_page"
    replay.answers[conversations("x")] = "maintenance_page"
    async with client_of(replay) as gladly:
        with pytest.raises(UpstreamUnavailable):
            await gladly.linked_customer_id("x")
        with pytest.raises(UpstreamUnavailable):
            await gladly.conversation_allows_actions("x")
