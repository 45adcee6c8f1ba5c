"""The agent console in a real browser (the system's Chromium, JavaScript switched off) over the
real stack: the sandboxes, the Actions service and the gateway, each on a free port.

The stack runs on its own event loop in a thread, so that the browser can be driven from the
test with Playwright's synchronous API; one browser serves the whole module."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright import sync_api
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from common.config import GatewaySettings
from gateway.app import create_app as create_gateway_app
from gateway.guard import GladlyGuard
from services.gladly_sandbox.app import create_app as create_gladly_app
from services.gladly_sandbox.cli import main as gladly_sandbox
from services.gladly_sandbox.console import ConsoleSettings
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID, DEMO_EMAIL
from services.ordergroove_sandbox.app import create_app as create_ordergroove_app
from services.ordergroove_sandbox.demo import DEMO_SUBSCRIPTION_IDS, Role
from tests.servers import serve_asgi, serve_asgi_built
from tests.stack import running_service, service_settings

CHROMIUM = Path("/usr/bin/chromium")
SIGNING_KEY = "console-test-signing-key"
TRACE_URL = "http://traces.test/trace/{trace_id}"
TIMEOUT_MS = 10_000  # every browser wait is bounded
VITAMINS = DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]
DOG_FOOD = DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD]

T = TypeVar("T")

sync_api.expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class Stack:
    console_url: str  # the Gladly sandbox, whose root is the console
    ordergroove_url: str


def in_background(serve: Callable[[], AbstractAsyncContextManager[T]]) -> Iterator[T]:
    """Enter `serve()` on an event loop of its own in a thread; leave it when done."""
    started: Future[tuple[T, Callable[[], None]]] = Future()

    async def run() -> None:
        loop, stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with serve() as value:

                def stop_serving() -> None:
                    loop.call_soon_threadsafe(stop.set)

                started.set_result((value, stop_serving))
                await stop.wait()
        except BaseException as error:
            if not started.done():
                started.set_exception(error)
            raise

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    value, stop = started.result(timeout=30)
    try:
        yield value
    finally:
        stop()
        thread.join(timeout=30)


@asynccontextmanager
async def real_stack() -> AsyncIterator[Stack]:
    console = ConsoleSettings(signing_key=SIGNING_KEY, trace_url=TRACE_URL)
    async with (
        serve_asgi_built(lambda url: create_ordergroove_app(public_url=url)) as ordergroove_url,
        # A card, a form and an action exceed Gladly's 10 requests/second.
        serve_asgi(create_gladly_app(rate_limit=1_000_000, console=console)) as gladly_url,
        running_service(service_settings(ordergroove_url, gladly_url)) as service,
        serve_asgi(
            create_gateway_app(
                GatewaySettings(
                    grpc_target=service.target,
                    gladly_signing_keys=(SIGNING_KEY,),
                    deadline_seconds=3.0,
                )
            )
        ) as gateway_url,
    ):
        console.gateway_url = gateway_url  # the gateway starts last: it needs the service
        yield Stack(gladly_url, ordergroove_url)


@pytest.fixture
def stack() -> Iterator[Stack]:
    """The real stack, served on a loop of its own until the test ends."""
    yield from in_background(real_stack)


# --- a stand-in for a gateway whose card and forms changed: the console follows the JSON ----------

NEW_CARD: dict[str, Any] = {
    "externalCustomerId": "demo-customer-1",
    "name": "Dana Demo",
    "customAttributes": {"activeSubscriptions": "1", "loyaltyTier": "Gold"},
    "actions": [{"name": "Call back", "formUrl": "/v2/links/L-7/call-back"}],
    "transactions": [
        {
            "type": "SUBSCRIPTION",
            "subscriptionId": "S-1",
            "status": "PAUSED",
            "productName": "Green tea",
            "giftMessage": "Happy <birthday>",
            "cancellationReason": "Moved abroad",
            "actions": [{"name": "Wrap as a gift", "formUrl": "/v2/links/L-7/wrap"}],
        }
    ],
}
GIFT_FORM: dict[str, Any] = {
    "title": "Wrap as a gift",
    "submitButton": "Wrap it",
    "closeButton": "Not now",
    "actionUrl": "/v2/links/L-7/submissions/S-99",
    "sections": [
        {"type": "text", "text": "Wraps the next order."},
        {
            "type": "input",
            "label": "Paper",
            "attr": "paper",
            "defaultValue": "2",
            "input": {
                "type": "select",
                "options": [{"text": "Plain", "value": "1"}, {"text": "Stars", "value": "2"}],
            },
        },
        {
            "type": "input",
            "label": "Card text",
            "attr": "note",
            "hint": "Printed on the card.",
            "defaultValue": "Enjoy",
            "input": {"type": "text", "optional": True},
        },
        {
            "type": "input",
            "label": "Add a bow",
            "attr": "bow",
            "defaultValue": True,
            "input": {"type": "checkbox"},
        },
        {
            "type": "input",
            "label": "Gift receipt",
            "attr": "receipt",
            "input": {"type": "checkbox"},
        },
    ],
}


@dataclass(frozen=True)
class StandIn:
    console_url: str
    received: list[tuple[str, str, Any]]  # method, path, JSON body of what the gateway received


@asynccontextmanager
async def stand_in_stack() -> AsyncIterator[StandIn]:
    """The Gladly sandbox's console in front of a stand-in gateway that checks the signatures
    with the real gateway's guard and answers with a card and a form of shapes unknown today."""
    received: list[tuple[str, str, Any]] = []

    async def lookup(request: Request) -> Response:
        received.append(("POST", request.url.path, await request.json()))
        return JSONResponse({"results": [NEW_CARD]})

    async def form(request: Request) -> Response:
        received.append(("GET", request.url.path, None))
        return JSONResponse(GIFT_FORM)

    async def submit(request: Request) -> Response:
        received.append(("POST", request.url.path, await request.json()))
        return JSONResponse({"message": "Gift wrapped", "detail": "With a bow"})

    gateway = GladlyGuard(
        Starlette(
            routes=[
                Route("/gladly/lookup", lookup, methods=["POST"]),
                Route("/v2/links/{link}/wrap", form, methods=["GET"]),
                Route("/v2/links/{link}/submissions/{submission}", submit, methods=["POST"]),
            ]
        ),
        [SIGNING_KEY],
        prefix="/",
    )
    async with serve_asgi(gateway) as gateway_url:
        console = ConsoleSettings(gateway_url=gateway_url, signing_key=SIGNING_KEY)
        async with serve_asgi(create_gladly_app(console=console)) as gladly_url:
            yield StandIn(gladly_url, received)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    yield from in_background(stand_in_stack)


@pytest.fixture
def stand_in_page(browser: Any, stand_in: StandIn) -> Iterator[Any]:
    yield from new_page(browser, stand_in.console_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    yield from new_page(browser, stack.console_url)


def new_page(browser: Any, console_url: str) -> Iterator[Any]:
    """A fresh page with JavaScript switched off: the console must work without it."""
    context = browser.new_context(
        base_url=console_url,
        java_script_enabled=False,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_demo_customer(page: Any) -> None:
    """Search by e-mail (a BASIC lookup) and open the linked profile (a DETAILED lookup)."""
    page.goto("/")
    page.get_by_label("E-mail address").fill(DEMO_EMAIL)
    page.get_by_role("button", name="Search").click()
    sync_api.expect(page.get_by_role("heading", name=f"1 match for {DEMO_EMAIL}")).to_be_visible()
    sync_api.expect(page.get_by_text("Dana Demo")).to_be_visible()
    page.get_by_role("link", name=f"Open profile {DEMO_CUSTOMER_ID}").click()
    sync_api.expect(page.get_by_role("heading", name="Subscriptions")).to_be_visible()


def subscription(page: Any, subscription_id: str) -> Any:
    return page.locator(f"article[data-subscription='{subscription_id}']")


def fact(card: Any, key: str) -> Any:
    return card.locator(f"dd[data-key='{key}']")


def press(card: Any, button: str) -> None:
    card.get_by_role("button", name=button).click()


def timeline_shows(page: Any, text: str) -> None:
    """Timeline entries arrive through the service's outbox: reload until the newest is there."""
    for _ in range(40):
        first = page.locator("ol.timeline li").first
        if first.count() and text in first.inner_text():
            return
        page.wait_for_timeout(250)
        page.reload()
    pytest.fail(f"the timeline's newest entry never mentioned {text!r}")


def test_search_open_and_skip_the_next_order(page: Any) -> None:
    open_demo_customer(page)
    vitamins = subscription(page, VITAMINS)
    sync_api.expect(vitamins.get_by_role("heading")).to_contain_text("Daily Multivitamin")
    sync_api.expect(vitamins.locator(".status")).to_have_text("ACTIVE")
    sync_api.expect(fact(vitamins, "productSku")).not_to_be_empty()
    buttons = vitamins.get_by_role("button").all_inner_texts()
    assert buttons[:2] == ["Cancel Order", "Skip Next Order"] and "Change Quantity" in buttons
    before = fact(vitamins, "nextOrderDate").locator("time").get_attribute("datetime")
    page_counts = page.locator("#card dl.facts").first.inner_text()
    assert "Active subscriptions\n8" in page_counts and "Subscriptions in all\n12" in page_counts

    press(vitamins, "Skip Next Order")
    sync_api.expect(page.get_by_role("heading", name="Skip next order")).to_be_visible()
    sync_api.expect(page.get_by_role("button", name="Keep order")).to_be_visible()
    page.get_by_role("button", name="Skip order").click()

    sync_api.expect(page.get_by_role("status")).to_contain_text("Next order skipped")
    after = fact(subscription(page, VITAMINS), "nextOrderDate").locator("time")
    sync_api.expect(after).not_to_have_attribute("datetime", before or "")
    timeline_shows(page, "Skipped")


def test_change_the_shipping_address_picked_from_a_select(page: Any) -> None:
    open_demo_customer(page)
    dog_food = subscription(page, DOG_FOOD)
    sync_api.expect(dog_food.locator("dt", has_text="Ships to")).to_be_visible()
    before = fact(dog_food, "shipsTo").inner_text()
    assert before

    press(dog_food, "Change Shipping Address")
    sync_api.expect(page.get_by_role("heading", name="Change shipping address")).to_be_visible()
    sync_api.expect(page.get_by_text("ships to", exact=False).first).to_contain_text(before)
    address = page.get_by_label("Ship to")
    options = address.locator("option").all_inner_texts()[1:]  # after "Choose…"
    assert any(option.endswith("(current)") and before in option for option in options)
    choice = next(option for option in options if not option.endswith("(current)"))
    address.select_option(label=choice)
    page.get_by_role("button", name="Change address").click()

    sync_api.expect(page.get_by_role("status")).to_contain_text("Shipping address changed")
    after = fact(subscription(page, DOG_FOOD), "shipsTo")
    sync_api.expect(after).not_to_have_text(before)
    assert after.inner_text() in choice  # "Label: text" on the form, the text on the card
    timeline_shows(page, "Ships to")


def test_product_pictures_come_from_the_ordergroove_sandbox(page: Any, stack: Stack) -> None:
    open_demo_customer(page)
    picture = subscription(page, VITAMINS).locator("img")
    src = f"{stack.ordergroove_url}/_sandbox/images/VIT-MULTI-60.svg"
    sync_api.expect(picture).to_have_attribute("src", src)
    page.wait_for_load_state("load")  # pictures included: lazy loading needs JavaScript
    assert picture.evaluate("img => img.naturalWidth") > 0


def test_cancel_with_a_reason(page: Any) -> None:
    open_demo_customer(page)
    press(subscription(page, VITAMINS), "Cancel Order")
    sync_api.expect(page.get_by_role("heading", name="Cancel subscription")).to_be_visible()
    reason = page.get_by_label("Cancellation reason")
    reason.select_option(index=1)  # the first of the merchant's reasons
    chosen = reason.locator("option:checked").inner_text()
    sync_api.expect(page.get_by_text("(optional)").first).to_be_visible()
    page.get_by_label("Details").fill("Moving abroad <soon>")
    page.get_by_role("button", name="Cancel subscription").click()

    sync_api.expect(page.get_by_role("status")).to_contain_text("Subscription cancelled")
    vitamins = subscription(page, VITAMINS)
    sync_api.expect(vitamins.locator(".status")).to_have_text("CANCELLED")
    sync_api.expect(fact(vitamins, "cancellationDetails")).to_have_text("Moving abroad <soon>")
    sync_api.expect(fact(vitamins, "cancelledAt")).not_to_be_empty()
    assert vitamins.get_by_role("button", name="Cancel Order").count() == 0
    timeline_shows(page, chosen)


def test_a_refusal_is_shown_in_the_form_which_stays_open(page: Any) -> None:
    open_demo_customer(page)
    press(subscription(page, VITAMINS), "Cancel Order")
    page.get_by_label("Details").fill("Moving abroad")
    page.get_by_role("button", name="Cancel subscription").click()  # details, but no reason

    sync_api.expect(page.get_by_role("heading", name="Cancel subscription")).to_be_visible()
    details = page.get_by_label("Details")
    sync_api.expect(details).to_have_attribute("aria-invalid", "true")
    error_id = (details.get_attribute("aria-describedby") or "").split()[-1]
    sync_api.expect(page.locator(f"#{error_id}")).to_contain_text("reason")
    trace = page.locator("[data-trace-id]").first
    trace_id = trace.get_attribute("data-trace-id")
    assert trace_id and trace.get_attribute("href") == TRACE_URL.format(trace_id=trace_id)

    page.get_by_role("button", name="Keep subscription").click()
    sync_api.expect(subscription(page, VITAMINS).locator(".status")).to_have_text("ACTIVE")


def test_a_closed_conversation_refuses_actions(page: Any) -> None:
    open_demo_customer(page)
    page.get_by_label("Status").select_option("CLOSED")
    page.get_by_role("button", name="Set").click()
    sync_api.expect(page.locator("[data-conversation-status]")).to_have_text("CLOSED")

    press(subscription(page, VITAMINS), "Skip Next Order")
    page.get_by_role("button", name="Skip order").click()
    # Refused with a 400: the form stays open with the gateway's words and its trace.
    sync_api.expect(page.get_by_role("alert")).to_contain_text("No open conversation")
    sync_api.expect(page.locator("#form-trace [data-trace-id]")).to_have_count(1)
    page.get_by_role("button", name="Keep order").click()
    sync_api.expect(subscription(page, VITAMINS).locator(".status")).to_have_text("ACTIVE")


def test_any_other_failure_closes_the_form_with_the_message_and_trace(
    page: Any, stack: Stack
) -> None:
    open_demo_customer(page)
    press(subscription(page, VITAMINS), "Skip Next Order")
    fault = {"method": "PATCH", "status": 500}  # Ordergroove fails the skip
    httpx.post(f"{stack.ordergroove_url}/_sandbox/faults", json=fault).raise_for_status()
    page.get_by_role("button", name="Skip order").click()

    sync_api.expect(page.get_by_role("alert").first).to_contain_text("Skip Next Order failed")
    sync_api.expect(page.get_by_role("alert").nth(1)).to_contain_text("HTTP 503")
    trace = page.locator("[data-trace-id]")
    trace_id = trace.get_attribute("data-trace-id")
    assert trace_id and trace.get_attribute("href") == TRACE_URL.format(trace_id=trace_id)
    sync_api.expect(page.get_by_role("heading", name="Subscriptions")).to_be_visible()


def test_values_from_outside_are_escaped(page: Any, stack: Stack) -> None:
    odd = "<b>bold</b>@example.com"
    created = httpx.post(
        f"{stack.console_url}/_sandbox/customers", json={"id": "odd-customer", "emails": [odd]}
    )
    assert created.status_code == 201, created.text
    page.goto("/customers/odd-customer")
    sync_api.expect(page.get_by_text(odd)).to_be_visible()
    assert page.locator("b").count() == 0
    sync_api.expect(page.get_by_text("not linked to an Ordergroove customer")).to_be_visible()


def test_forms_posted_from_another_site_are_refused(stack: Stack) -> None:
    answer = httpx.post(
        f"{stack.console_url}/customers/{DEMO_CUSTOMER_ID}/conversations",
        headers={"Origin": "http://elsewhere.test"},
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("template", ["http://traces.test/trace/", "ftp://x/{trace_id}"])
def test_a_trace_url_without_its_place_for_the_id_stops_the_sandbox(
    template: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLADLY_SANDBOX_TRACE_URL", template)
    assert gladly_sandbox(["serve"]) == 2
    assert "GLADLY_SANDBOX_TRACE_URL" in capsys.readouterr().err


def test_the_console_follows_the_gateways_json(stand_in_page: Any, stand_in: StandIn) -> None:
    page = stand_in_page
    page.goto(f"/customers/{DEMO_CUSTOMER_ID}")
    card = page.locator("#card")
    sync_api.expect(card.locator("dd[data-key='loyaltyTier']")).to_have_text("Gold")
    tea = subscription(page, "S-1")
    sync_api.expect(tea.locator(".status")).to_have_text("PAUSED")
    sync_api.expect(fact(tea, "giftMessage")).to_have_text("Happy <birthday>")
    sync_api.expect(tea.locator("dt", has_text="Gift message")).to_be_visible()
    assert card.get_by_role("button").all_inner_texts() == ["Call back", "Wrap as a gift"]
    lookup = stand_in.received[-1]
    assert lookup[2]["lookupLevel"] == "DETAILED"
    assert lookup[2]["query"]["externalCustomerId"] == "demo-customer-1"

    press(tea, "Wrap as a gift")
    sync_api.expect(page.get_by_role("heading", name="Wrap as a gift")).to_be_visible()
    sync_api.expect(page.get_by_text("Wraps the next order.")).to_be_visible()
    sync_api.expect(page.get_by_label("Paper")).to_have_value("2")
    sync_api.expect(page.get_by_label("Card text")).to_have_value("Enjoy")
    sync_api.expect(page.get_by_text("Printed on the card.")).to_be_visible()
    sync_api.expect(page.get_by_label("Add a bow")).to_be_checked()
    sync_api.expect(page.get_by_label("Gift receipt")).not_to_be_checked()
    page.get_by_label("Gift receipt").check()
    page.get_by_role("button", name="Wrap it").click()

    sync_api.expect(page.get_by_role("status")).to_have_text("Gift wrapped: With a bow")
    body = {"paper": "2", "note": "Enjoy", "bow": True, "receipt": True}
    assert ("POST", "/v2/links/L-7/submissions/S-99", body) in stand_in.received
