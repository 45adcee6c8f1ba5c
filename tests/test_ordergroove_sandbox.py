"""The Ordergroove sandbox, exercised over real HTTP like its clients use it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest

from services.ordergroove_sandbox.app import create_app
from services.ordergroove_sandbox.dates import (
    MONTHS,
    WEEKS,
    ZONE,
    add_frequency,
    ordergroove_now,
    parse_timestamp,
)
from services.ordergroove_sandbox.demo import (
    ACTIVE_ROLES,
    CANCELLED_ROLES,
    DEMO_CUSTOMER_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_PAST_ORDER_ID,
    DEMO_PRODUCT_IDS,
    DEMO_SHARED_ORDER_ID,
    DEMO_SUBSCRIPTION_IDS,
    INACTIVE_ROLES,
    OTHER_CUSTOMER_ID,
    SHARED_ROLES,
    Role,
)
from services.ordergroove_sandbox.journal import Journal
from services.ordergroove_sandbox.server import main
from tests.servers import serve_asgi_built
from tests.stack import eventually, seed_customer

API_KEY = "test-key"
NOT_EDITABLE = {"detail": "This subscription is not in a state which it can edited"}
Json = dict[str, Any]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve_asgi_built(lambda url: create_app(api_key=API_KEY, public_url=url)) as base_url,
        httpx.AsyncClient(base_url=base_url, headers={"x-api-key": API_KEY}, timeout=5) as c,
    ):
        yield c


def sub_id(role: Role) -> str:
    return DEMO_SUBSCRIPTION_IDS[role]


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> Json:
    # httpx drops a URL's own query when given `params`, even empty ones.
    response = await client.get(path, params=params or None)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def follow(client: httpx.AsyncClient, url: str, **headers: str) -> list[Json]:
    """Every page's results, following `next` the way clients must."""
    results: list[Json] = []
    next_url: str | None = url
    while next_url is not None:
        response = await client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        results.extend(page["results"])
        next_url = page["next"]
    return results


async def items_of(client: httpx.AsyncClient, order_id: str) -> list[Json]:
    page = await get_json(client, "/items/", order=order_id)
    results: list[Json] = page["results"]
    return results


async def unsent_orders(client: httpx.AsyncClient, subscription: str) -> list[Json]:
    page = await get_json(client, "/orders/", subscription=subscription, status=1)
    results: list[Json] = page["results"]
    return results


async def skip(client: httpx.AsyncClient, order: str, subscription: str) -> httpx.Response:
    return await client.patch(
        f"/orders/{order}/skip_subscription/", json={"subscription": subscription}
    )


async def add_fault(client: httpx.AsyncClient, **rule: Any) -> str:
    response = await client.post("/_sandbox/faults", json=rule)
    assert response.status_code == 201, response.text
    rule_id: str = response.json()["id"]
    return rule_id


# --- Ordergroove's HTTP conventions -----------------------------------------------------------


async def test_missing_key_is_401_and_wrong_key_is_403(client: httpx.AsyncClient) -> None:
    path = f"/customers/{DEMO_CUSTOMER_ID}/"
    missing = await client.get(path, headers={"x-api-key": ""})
    wrong = await client.get(path, headers={"x-api-key": "nope"})
    assert (missing.status_code, missing.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
    assert (wrong.status_code, wrong.json()) == (403, {"detail": "Authentication Failed"})


async def test_get_without_slash_redirects_and_other_methods_are_404(
    client: httpx.AsyncClient,
) -> None:
    redirect = await client.get("/subscriptions", params={"customer": DEMO_CUSTOMER_ID})
    assert redirect.status_code == 301
    assert redirect.headers["location"] == f"/subscriptions/?customer={DEMO_CUSTOMER_ID}"
    patch = await client.patch(f"/subscriptions/{sub_id(Role.VITAMINS)}/cancel")
    assert (patch.status_code, patch.json()) == (404, {"detail": "Not found."})
    unknown = await client.get("/subscriptions/ffffffffffffffffffffffffffffffff/")
    # Recorded getSubscriptionById/not_found.
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Subscription not found"})


async def test_customer_by_id_and_by_email(client: httpx.AsyncClient) -> None:
    customer = await get_json(client, f"/customers/{DEMO_CUSTOMER_ID}/")
    assert customer["email"] == "demo@example.com"
    assert (customer["first_name"], customer["last_name"]) == ("Dana", "Demo")
    found = await get_json(client, "/customers/", email="DEMO@Example.com")
    assert [c["merchant_user_id"] for c in found["results"]] == [DEMO_CUSTOMER_ID]


# --- pagination -------------------------------------------------------------------------------


async def test_page_numbers_cover_all_twelve_demo_subscriptions(
    client: httpx.AsyncClient,
) -> None:
    first = await get_json(client, "/subscriptions/", customer=DEMO_CUSTOMER_ID)
    assert (first["count"], len(first["results"]), first["previous"]) == (12, 10, None)
    assert first["next"].startswith(str(client.base_url))
    second = await get_json(client, first["next"])
    assert (len(second["results"]), second["next"]) == (2, None)
    assert second["previous"] == f"{client.base_url}/subscriptions/?customer={DEMO_CUSTOMER_ID}"

    everything = await follow(client, f"/subscriptions/?customer={DEMO_CUSTOMER_ID}")
    demo_roles = ACTIVE_ROLES + CANCELLED_ROLES + INACTIVE_ROLES
    assert sorted(s["public_id"] for s in everything) == sorted(map(sub_id, demo_roles))


async def test_bad_page_parameters_answer_like_drf(client: httpx.AsyncClient) -> None:
    beyond = await client.get("/subscriptions/", params={"page": 9})
    assert (beyond.status_code, beyond.json()) == (404, {"detail": "Invalid page."})
    size = await client.get("/subscriptions/", params={"page_size": "many"})
    assert (size.status_code, size.json()) == (400, {"page_size": ["A valid integer is required."]})
    capped = await get_json(client, "/items/", page_size=1000)
    assert len(capped["results"]) == min(capped["count"], 100)


async def test_cursor_pages_with_api_version_2(client: httpx.AsyncClient) -> None:
    url = f"/subscriptions/?customer={DEMO_CUSTOMER_ID}&page_size=5"
    first = (await client.get(url, headers={"X-OG-API-VERSION": "2"})).json()
    assert set(first) == {"next", "previous", "results"}
    assert "cursor=" in first["next"]
    everything = await follow(client, url, **{"X-OG-API-VERSION": "2"})
    assert len({s["public_id"] for s in everything}) == 12
    bad = await client.get(url + "&cursor=%%%", headers={"X-OG-API-VERSION": "2"})
    assert bad.status_code == 404


# --- reads and filters ------------------------------------------------------------------------


async def test_live_filter_and_demo_quirks(client: httpx.AsyncClient) -> None:
    live = await follow(client, f"/subscriptions/?customer={DEMO_CUSTOMER_ID}&live=True")
    assert {s["public_id"] for s in live} == set(map(sub_id, ACTIVE_ROLES))
    gone = await follow(client, f"/subscriptions/?customer={DEMO_CUSTOMER_ID}&live=False")
    assert len(gone) == 4

    by_id = {s["public_id"]: s for s in live + gone}
    assert by_id[sub_id(Role.VITAMINS)]["live"] == "True"
    assert by_id[sub_id(Role.DOG_FOOD)]["start_date"].count(":") == 0
    sparkling = by_id[sub_id(Role.CANCELLED_SPARKLING)]
    assert sparkling["cancelled"] is not None and sparkling["cancel_reason"] is None
    prepaid = by_id[sub_id(Role.PREPAID_PROTEIN)]["prepaid_subscription_context"]
    # The recorded prepaid context, field for field.
    assert prepaid == {
        "prepaid_orders_remaining": 3,
        "prepaid_orders_per_billing": 3,
        "renewal_behavior": "autorenew",
        "last_renewal_revenue": 149.97,
        "prepaid_origin_merchant_order_id": "#3082",
    }
    assert by_id[sub_id(Role.SHAMPOO)]["prepaid_subscription_context"] is None
    water = by_id[sub_id(Role.CANCELLED_WATER_FILTER)]
    assert water["cancel_reason_code"] == water["cancel_reason"].split("|")[0] == "2"


async def test_next_order_found_by_subscription_and_status(client: httpx.AsyncClient) -> None:
    for role in ACTIVE_ROLES:
        orders = await unsent_orders(client, sub_id(role))
        assert [o["public_id"] for o in orders] == [DEMO_NEXT_ORDER_IDS[role]]
        assert parse_timestamp(orders[0]["place"]) > ordergroove_now()
    shared_items = await items_of(client, DEMO_SHARED_ORDER_ID)
    assert {i["subscription"] for i in shared_items} == set(map(sub_id, SHARED_ROLES))
    history = await get_json(client, "/orders/", subscription=sub_id(Role.DOG_FOOD))
    assert {o["status"] for o in history["results"]} == {1, 3, 5}


async def test_place_range_and_customer_filters(client: httpx.AsyncClient) -> None:
    shared = await get_json(client, f"/orders/{DEMO_SHARED_ORDER_ID}/")
    day = shared["place"][:10]
    same_day = await get_json(
        client, "/orders/", customer=DEMO_CUSTOMER_ID, place_start=day, place_end=day
    )
    assert DEMO_SHARED_ORDER_ID in {o["public_id"] for o in same_day["results"]}
    assert all(o["place"].startswith(day) for o in same_day["results"])
    others = await get_json(client, "/subscriptions/", customer=OTHER_CUSTOMER_ID)
    assert others["count"] == 2
    product = await get_json(client, f"/products/{others['results'][0]['product']}/")
    assert product["image_url"].startswith(picture_url(client, ""))
    assert product["external_product_id"] == others["results"][0]["product"]
    assert "public_id" not in product
    reasons = await get_json(client, "/merchant/cancel_reason/")
    # Codes without words, strings or null (recorded getCancellationReasons/merchant_reasons).
    assert {"cancel_reason", "application"} == set(reasons["results"][0])
    assert {type(r["cancel_reason"]) for r in reasons["results"]} == {str, type(None)}


async def test_products_are_read_several_at_once_by_external_id(client: httpx.AsyncClient) -> None:
    others = await get_json(client, "/subscriptions/", customer=OTHER_CUSTOMER_ID)
    wanted = sorted(s["product"] for s in others["results"])
    query = [("external_product_ids[]", pid) for pid in [*wanted, "no-such-product"]]
    response = await client.get("/products/", params=query)
    assert response.status_code == 200, response.text
    assert sorted(p["external_product_id"] for p in response.json()["results"]) == wanted


# --- skip -------------------------------------------------------------------------------------


async def test_skip_in_shared_order_moves_only_that_subscription(
    client: httpx.AsyncClient,
) -> None:
    coffee = sub_id(Role.SHARED_COFFEE)
    before = await get_json(client, f"/orders/{DEMO_SHARED_ORDER_ID}/")
    response = await skip(client, DEMO_SHARED_ORDER_ID, coffee)
    assert response.status_code == 200, response.text
    skipped = response.json()
    assert (skipped["public_id"], skipped["status"]) == (DEMO_SHARED_ORDER_ID, 1)
    assert skipped["sub_total"] != before["sub_total"]
    remaining = await items_of(client, DEMO_SHARED_ORDER_ID)
    assert {i["subscription"] for i in remaining} == {
        sub_id(Role.SHARED_FILTERS),
        sub_id(Role.SHARED_OAT_MILK),
    }
    [following] = await unsent_orders(client, coffee)
    expected = add_frequency(parse_timestamp(before["place"]), 1, MONTHS)
    assert parse_timestamp(following["place"]) == expected
    assert [i["subscription"] for i in await items_of(client, following["public_id"])] == [coffee]


async def test_skip_adds_calendar_months_and_cancels_an_emptied_order(
    client: httpx.AsyncClient,
) -> None:
    seeded = await seed_customer(
        client,
        merchant_user_id="jan-31",
        email="jan@example.com",
        subscriptions=[{"every": 1, "every_period": 3, "next_order_place": "2031-01-31 09:00:00"}],
    )
    [subscription], [order] = seeded["subscriptions"], seeded["orders"]
    skipped = (await skip(client, order, subscription)).json()
    assert skipped["status"] == 4 and skipped["cancelled"] is not None
    [following] = await unsent_orders(client, subscription)
    assert following["place"] == "2031-02-28 09:00:00"


async def test_skip_refusals_have_ordergrooves_bodies(client: httpx.AsyncClient) -> None:
    cases = [
        (DEMO_SHARED_ORDER_ID, {}, {"subscription": ["This field is required."]}),
        (
            DEMO_SHARED_ORDER_ID,
            {"subscription": sub_id(Role.VITAMINS)},
            {"subscription": ["Invalid subscription ID for this order"]},
        ),
        (
            DEMO_SHARED_ORDER_ID,
            {"subscription": sub_id(Role.OTHER_COLD_BREW)},
            {"subscription": ["Invalid subscription ID for this order"]},
        ),
        (
            DEMO_SHARED_ORDER_ID,
            {"subscription": "no-such-subscription"},
            {"subscription": ["Invalid subscription ID for this order"]},
        ),
    ]
    for order, body, expected in cases:
        response = await client.patch(f"/orders/{order}/skip_subscription/", json=body)
        assert (response.status_code, response.json()) == (400, expected)
    # A delivered order is no longer open: Ordergroove's 500 with an empty body.
    placed = await skip(client, DEMO_PAST_ORDER_ID, sub_id(Role.SHARED_COFFEE))
    assert (placed.status_code, placed.content) == (500, b"")
    assert len(await items_of(client, DEMO_SHARED_ORDER_ID)) == 3


# --- cancel -----------------------------------------------------------------------------------


async def test_cancel_refused_for_prepaid_and_not_live(client: httpx.AsyncClient) -> None:
    cases = [
        (Role.PREPAID_TEA, {"detail": "Prepaid subscriptions cannot be cancelled."}),
        (Role.INACTIVE_LAUNDRY, NOT_EDITABLE),
        (Role.CANCELLED_TOOTHBRUSH, NOT_EDITABLE),
    ]
    for role, expected in cases:
        response = await client.patch(f"/subscriptions/{sub_id(role)}/cancel/", json={})
        assert (response.status_code, response.json()) == (400, expected)


async def test_cancel_records_reason_and_removes_future_items(
    client: httpx.AsyncClient,
) -> None:
    filters = sub_id(Role.SHARED_FILTERS)
    response = await client.patch(
        f"/subscriptions/{filters}/cancel/", json={"cancel_reason": "7|Moving abroad"}
    )
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["live"] is False and cancelled["cancelled"] is not None
    assert (cancelled["cancel_reason"], cancelled["cancel_reason_code"]) == ("7|Moving abroad", "7")
    assert len(await items_of(client, DEMO_SHARED_ORDER_ID)) == 2
    assert await unsent_orders(client, filters) == []
    past = await get_json(client, "/orders/", subscription=filters, status=5)
    assert past["count"] == 1  # history stays

    vitamins = await client.patch(f"/subscriptions/{sub_id(Role.VITAMINS)}/cancel/")
    assert vitamins.json()["cancel_reason"] is None
    own = await get_json(client, f"/orders/{DEMO_NEXT_ORDER_IDS[Role.VITAMINS]}/")
    assert own["status"] == 4


# --- faults -----------------------------------------------------------------------------------


async def test_fault_once_then_normal(client: httpx.AsyncClient) -> None:
    await add_fault(client, method="GET", path="/customers/", status=423, times=1)
    first = await client.get(f"/customers/{DEMO_CUSTOMER_ID}/")
    second = await client.get(f"/customers/{DEMO_CUSTOMER_ID}/")
    assert (first.status_code, first.json()) == (
        423,
        {"detail": "Resource is currently in use. Please try again shortly."},
    )
    assert second.status_code == 200
    assert (await client.get("/_sandbox/faults")).json() == []


async def test_fault_always_and_only_where_it_matches(client: httpx.AsyncClient) -> None:
    await add_fault(client, method="PATCH", status=429)
    for _ in range(2):
        response = await client.patch(f"/subscriptions/{sub_id(Role.VITAMINS)}/cancel/")
        assert response.status_code == 429
        assert response.json() == {
            "detail": "Request was throttled. Expected available in 1 second."
        }
        assert response.headers["retry-after"] == "1"
    assert (await client.get(f"/subscriptions/{sub_id(Role.VITAMINS)}/")).json()["live"] == "True"
    assert (await client.delete("/_sandbox/faults")).status_code == 204
    assert (await client.patch(f"/subscriptions/{sub_id(Role.VITAMINS)}/cancel/")).is_success


async def test_fault_latency(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/products/", latency_ms=150)
    started = time.monotonic()
    response = await client.get("/products/")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.14  # the event loop may wake a hair early


async def test_fault_hang_until_client_times_out(client: httpx.AsyncClient) -> None:
    await add_fault(client, path="/orders/", hang=True, times=1)
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/orders/", timeout=0.2)
    assert (await client.get("/orders/")).status_code == 200

    async def hung_one_answered() -> bool:
        return (await client.get("/_sandbox/requests")).json()[-2]["status"] is not None

    await eventually(hung_one_answered)  # the sandbox notices the closed connection a moment later
    journal = (await client.get("/_sandbox/requests")).json()
    assert [entry["status"] for entry in journal[-2:]] == [499, 200]


async def test_fault_after_performs_the_write_and_loses_the_answer(
    client: httpx.AsyncClient,
) -> None:
    await add_fault(client, method="PATCH", path="/orders/", status=500, after=True, times=1)
    coffee = sub_id(Role.SHARED_COFFEE)
    lost = await skip(client, DEMO_SHARED_ORDER_ID, coffee)
    assert (lost.status_code, lost.json()) == (500, {"detail": "A server error occurred."})
    assert len(await items_of(client, DEMO_SHARED_ORDER_ID)) == 2
    [following] = await unsent_orders(client, coffee)
    assert following["public_id"] != DEMO_SHARED_ORDER_ID


async def test_fault_rules_are_validated(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sandbox/faults", json={"status": 99, "hang": "yes"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "hang"}


# --- seeding, journal, reset ------------------------------------------------------------------


async def test_seeding_two_hundred_subscriptions_pages_correctly(
    client: httpx.AsyncClient,
) -> None:
    seeded = await seed_customer(
        client, merchant_user_id="bulk", email="bulk@example.com", count=200
    )
    assert len(seeded["subscriptions"]) == len(seeded["orders"]) == 200
    first = await get_json(client, "/subscriptions/", customer="bulk", page_size=100)
    assert (first["count"], len(first["results"])) == (200, 100)
    everything = await follow(client, "/subscriptions/?customer=bulk&page_size=100")
    assert [s["public_id"] for s in everything] == seeded["subscriptions"]
    unsent = await get_json(client, "/orders/", customer="bulk", status=1)
    assert unsent["count"] == 200


async def test_seeding_a_shared_next_order_and_mixed_states(client: httpx.AsyncClient) -> None:
    seeded = await seed_customer(
        client,
        merchant_user_id="mixed",
        email="mixed@example.com",
        next_orders=1,
        subscriptions=[
            {"every": 2, "every_period": WEEKS, "price": "5.00", "quantity": 2},
            {
                "product_id": (await get_json(client, "/products/"))["results"][0][
                    "external_product_id"
                ]
            },
            {"prepaid": True},
            {"cancelled": True},
            {"live": False},
        ],
    )
    [order] = seeded["orders"]
    items = await items_of(client, order)
    assert {i["subscription"] for i in items} == set(seeded["subscriptions"][:3])
    shared = await get_json(client, f"/orders/{order}/")
    assert Decimal(shared["sub_total"]) == sum(Decimal(i["price"]) * i["quantity"] for i in items)
    duplicate = await client.post(
        "/_sandbox/customers", json={"merchant_user_id": "mixed", "email": "x@example.com"}
    )
    assert duplicate.status_code == 409


async def test_seeding_deals_live_subscriptions_into_next_orders(
    client: httpx.AsyncClient,
) -> None:
    seeded = await seed_customer(
        client, merchant_user_id="dealt", email="dealt@example.com", count=10, next_orders=3
    )
    assert len(seeded["orders"]) == 3
    held = [{i["subscription"] for i in await items_of(client, o)} for o in seeded["orders"]]
    assert held == [set(seeded["subscriptions"][n::3]) for n in range(3)]
    unsent = await get_json(client, "/orders/", customer="dealt", status=1)
    assert [o["public_id"] for o in unsent["results"]] == seeded["orders"]


def picture_url(client: httpx.AsyncClient, name: str) -> str:
    return str(client.base_url.join(f"/_sandbox/images/{name}"))


async def picture(url: str) -> httpx.Response:
    """The answer to a browser's <img>: no API key."""
    async with httpx.AsyncClient() as browser:
        return await browser.get(url)


async def test_made_up_products_have_pictures_the_sandbox_serves(
    client: httpx.AsyncClient,
) -> None:
    vitamins = await get_json(client, f"/products/{DEMO_PRODUCT_IDS[Role.VITAMINS]}/")
    assert vitamins["image_url"] == picture_url(client, "VIT-MULTI-60.svg")
    tile = await picture(vitamins["image_url"])
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "image/svg+xml"
    assert tile.text.startswith("<svg") and ">DM</text>" in tile.text  # Daily Multivitamin
    assert (await picture(vitamins["image_url"])).text == tile.text  # the same on every load
    await seed_customer(client, merchant_user_id="pics", email="pics@example.com", count=1)
    [seeded] = (await get_json(client, "/subscriptions/", customer="pics"))["results"]
    product = await get_json(client, f"/products/{seeded['product']}/")
    assert (await picture(product["image_url"])).headers["content-type"] == "image/svg+xml"


async def test_only_products_in_the_store_have_pictures(client: httpx.AsyncClient) -> None:
    for path in (
        "NO-SUCH-SKU.svg",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E.svg",
        "VIT-MULTI-60.png",
        "vit-multi-60.svg",
    ):
        missing = await picture(picture_url(client, path))
        assert missing.status_code == 404, path
        assert "script" not in missing.text


async def test_seeding_refuses_bad_input_field_by_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_sandbox/customers",
        json={"email": "nope", "subscriptions": [{}, {"every_period": 9, "product_id": "x"}]},
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["merchant_user_id"] == ["This field is required."]
    assert errors["email"] == ["Enter a valid email address."]
    assert errors["subscriptions"][0] == {}
    assert set(errors["subscriptions"][1]) == {"every_period", "product_id"}


async def test_journal_records_api_requests_only(client: httpx.AsyncClient) -> None:
    await client.get("/subscriptions", params={"customer": DEMO_CUSTOMER_ID})
    await client.patch(f"/subscriptions/{sub_id(Role.PREPAID_TEA)}/cancel/")
    await client.get("/_sandbox/healthz")
    journal = (await client.get("/_sandbox/requests")).json()
    assert journal == [
        {
            "method": "GET",
            "path": "/subscriptions",
            "query": f"customer={DEMO_CUSTOMER_ID}",
            "status": 301,
            "body": "",
            "performed": 1,
            "outcome": 301,
        },
        {
            "method": "PATCH",
            "path": f"/subscriptions/{sub_id(Role.PREPAID_TEA)}/cancel/",
            "query": "",
            "status": 400,
            "body": "",
            "performed": 2,
            "outcome": 400,
        },
    ]
    assert (await client.delete("/_sandbox/requests")).status_code == 204
    assert (await client.get("/_sandbox/requests")).json() == []


async def test_journal_names_bodies_and_the_order_requests_were_served_in(
    client: httpx.AsyncClient,
) -> None:
    """Two writes to one path differ only in their bodies; a write held up by latency is served
    after one that arrived later; one answered by a fault first was never served."""
    quantity = f"/subscriptions/{sub_id(Role.SHAMPOO)}/change_quantity/"
    await add_fault(client, path=quantity, latency_ms=300, times=1)
    await add_fault(client, path="/customers/", status=503, times=1)
    await client.delete("/_sandbox/requests")
    slow = asyncio.create_task(client.patch(quantity, json={"quantity": 2}))
    await asyncio.sleep(0.1)  # it has arrived, and waits out its latency
    assert (await client.patch(quantity, json={"quantity": 3})).status_code == 200
    assert (await slow).status_code == 200
    assert (await client.get(f"/customers/{DEMO_CUSTOMER_ID}/")).status_code == 503
    journal = (await client.get("/_sandbox/requests")).json()
    assert [(e["body"], e["performed"], e["outcome"]) for e in journal] == [
        ('{"quantity":2}', 2, 200),
        ('{"quantity":3}', 1, 200),
        ("", None, None),
    ]
    assert (await get_json(client, f"/subscriptions/{sub_id(Role.SHAMPOO)}/"))["quantity"] == 2


async def test_journal_keeps_what_the_operation_answered_under_a_fault_after_it(
    client: httpx.AsyncClient,
) -> None:
    """The client of a write whose answer a fault replaced cannot tell whether it applied;
    the journal can: the write itself was refused."""
    await add_fault(client, method="PATCH", status=502, after=True, times=2)
    await client.delete("/_sandbox/requests")
    prepaid = await client.patch(f"/subscriptions/{sub_id(Role.PREPAID_TEA)}/cancel/")
    shampoo = await client.patch(f"/subscriptions/{sub_id(Role.SHAMPOO)}/cancel/")
    assert (prepaid.status_code, shampoo.status_code) == (502, 502)
    journal = (await client.get("/_sandbox/requests")).json()
    assert [(e["status"], e["outcome"]) for e in journal] == [(502, 400), (502, 200)]


async def test_reset_restores_demo_data_and_clears_faults_and_journal(
    client: httpx.AsyncClient,
) -> None:
    await client.patch(f"/subscriptions/{sub_id(Role.SHAMPOO)}/cancel/")
    await seed_customer(client, merchant_user_id="temp", email="temp@example.com")
    await add_fault(client, path="/customers/", status=503)
    assert (await client.post("/_sandbox/reset")).status_code == 204
    assert (await get_json(client, f"/subscriptions/{sub_id(Role.SHAMPOO)}/"))["live"] is True
    assert (await client.get("/customers/temp/")).status_code == 404
    assert (await client.get("/_sandbox/requests")).json() == [
        {
            "method": "GET",
            "path": f"/subscriptions/{sub_id(Role.SHAMPOO)}/",
            "query": "",
            "status": 200,
            "body": "",
            "performed": 2,  # the count goes on: the PATCH before the reset was the first
            "outcome": 200,
        },
        {
            "method": "GET",
            "path": "/customers/temp/",
            "query": "",
            "status": 404,
            "body": "",
            "performed": 3,
            "outcome": 404,
        },
    ]
    assert (await client.get("/_sandbox/healthz")).status_code == 200


def test_the_journal_keeps_the_most_recent_requests() -> None:
    journal = Journal(max_entries=3)
    for n in range(5):
        journal.record("GET", f"/orders/{n}/", "")
    assert [row["path"] for row in journal.as_json()] == ["/orders/2/", "/orders/3/", "/orders/4/"]


# --- process entry point ----------------------------------------------------------------------


def test_demo_ids_are_the_same_on_every_start() -> None:
    first, second = create_app().state.sandbox.store, create_app().state.sandbox.store
    assert list(first.subscriptions) == list(second.subscriptions)
    assert list(first.orders) == list(second.orders)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in first.items)


def test_main_exits_2_on_a_bad_listen_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERGROOVE_SANDBOX_LISTEN", "nowhere")
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_frequency_arithmetic_clamps_month_ends() -> None:
    jan31 = datetime(2032, 1, 31, 9)
    assert add_frequency(jan31, 1, MONTHS) == datetime(2032, 2, 29, 9)
    assert add_frequency(jan31, 13, MONTHS) == datetime(2033, 2, 28, 9)
    assert add_frequency(jan31, 2, WEEKS) == jan31 + timedelta(days=14)


# --- the catalogue's writes: each refusal the reference documents -------------------------------

TODAY = ordergroove_now().date()
PAST_DATE = {"order_date": ["Date must be in the future."]}


@pytest.mark.parametrize(
    ("role", "path", "body", "expected"),
    [
        # Recorded reactivateSubscription 400.
        (
            Role.SHAMPOO,
            "reactivate",
            {"every": 1, "every_period": 3, "start_date": str(TODAY)},
            {"subscription": ["This subscription is already in active state"]},
        ),
        (
            Role.CANCELLED_TOOTHBRUSH,
            "reactivate",
            {"every": 0, "every_period": 3, "start_date": str(TODAY)},
            {"every": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            Role.CANCELLED_TOOTHBRUSH,
            "reactivate",
            {
                "every": 1,
                "every_period": 3,
                "start_date": str(TODAY),
                "next_order_date": "2020-01-01",
            },
            {"next_order_date": ["Date cannot be in the past."]},
        ),
        (Role.SHAMPOO, "change_next_order_date", {"order_date": str(TODAY)}, PAST_DATE),
        (Role.SHAMPOO, "change_next_order_date", {"order_date": "2020-01-01"}, PAST_DATE),
        (
            Role.CANCELLED_TOOTHBRUSH,
            "change_frequency",
            {"every": 2, "every_period": 2},
            NOT_EDITABLE,
        ),
        (
            Role.SHAMPOO,
            "change_frequency",
            {"every": 2, "every_period": 9},
            {"every_period": ['"9" is not a valid choice.']},
        ),
        (
            Role.SHAMPOO,
            "change_quantity",
            {"quantity": 0},
            {"quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            Role.PREPAID_TEA,
            "change_quantity",
            {"quantity": 2},
            {"detail": "The quantity of a prepaid subscription cannot be changed."},
        ),
        (
            Role.SHAMPOO,
            "change_renewal_behavior",
            {"renewal_behavior": "cancel"},
            {"detail": "This subscription is not prepaid"},
        ),
        (
            Role.PREPAID_TEA,
            "change_renewal_behavior",
            {"renewal_behavior": "forever"},
            {"renewal_behavior": ['"forever" is not a valid choice.']},
        ),
    ],
)
async def test_catalogue_writes_refuse_as_documented(
    client: httpx.AsyncClient, role: Role, path: str, body: dict[str, Any], expected: Any
) -> None:
    before = (await client.get(f"/subscriptions/{sub_id(role)}/")).json()
    response = await client.patch(f"/subscriptions/{sub_id(role)}/{path}/", json=body)
    assert (response.status_code, response.json()) == (400, expected)
    assert (await client.get(f"/subscriptions/{sub_id(role)}/")).json() == before


# --- a pinned clock: Ordergroove's day is Chicago's ---------------------------------------------

# 03:30 UTC on 15 January 2031 is 21:30 on the 14th in Chicago (CST, UTC-6).
EVENING_IN_CHICAGO = datetime(2031, 1, 15, 3, 30, tzinfo=UTC)


@asynccontextmanager
async def pinned(
    instant: datetime | list[datetime] = EVENING_IN_CHICAGO,
) -> AsyncIterator[httpx.AsyncClient]:
    """A sandbox whose clock reads `instant` (or, given a list, its last element: a test moves
    the clock by appending)."""
    moments = instant if isinstance(instant, list) else [instant]
    app = partial(create_app, api_key=API_KEY, instant=lambda: moments[-1])
    async with (
        serve_asgi_built(lambda url: app(public_url=url)) as base_url,
        httpx.AsyncClient(base_url=base_url, headers={"x-api-key": API_KEY}, timeout=5) as c,
    ):
        yield c


async def test_the_sandbox_day_and_times_are_chicagos() -> None:
    async with pinned() as client:
        vitamins = sub_id(Role.VITAMINS)
        # Tomorrow in Chicago, though already today in UTC.
        moved = await client.patch(
            f"/subscriptions/{vitamins}/change_next_order_date/", json={"order_date": "2031-01-15"}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["updated"] == "2031-01-14 21:30:00"
        today = await client.patch(
            f"/subscriptions/{vitamins}/change_next_order_date/", json={"order_date": "2031-01-14"}
        )
        assert today.json() == {"order_date": ["Date must be in the future."]}


# --- send now --------------------------------------------------------------------------------


async def test_send_now_answers_the_order_as_sent_now() -> None:
    async with pinned() as client:
        order, shampoo = DEMO_NEXT_ORDER_IDS[Role.SHAMPOO], sub_id(Role.SHAMPOO)
        response = await client.patch(f"/orders/{order}/send_now/")
        assert response.status_code == 200, response.text
        sent = response.json()
        # Recorded sendOrderNow/live_response: status 6 (SEND_NOW), `place` and `updated` now.
        assert (sent["public_id"], sent["status"]) == (order, 6)
        assert sent["place"] == sent["updated"] == "2031-01-14 21:30:00"
        assert await unsent_orders(client, shampoo) == []  # no order to come: the switch's default
        # No longer open: order actions answer 500 with an empty body.
        for again in (
            await client.patch(f"/orders/{order}/send_now/"),
            await skip(client, order, shampoo),
        ):
            assert (again.status_code, again.content) == (500, b"")


async def test_send_now_of_a_cancelled_order_is_refused_in_ordergrooves_words(
    client: httpx.AsyncClient,
) -> None:
    order, shampoo = DEMO_NEXT_ORDER_IDS[Role.SHAMPOO], sub_id(Role.SHAMPOO)
    assert (await skip(client, order, shampoo)).json()["status"] == 4  # emptied, so cancelled
    for refused in (
        await client.patch(f"/orders/{order}/send_now/"),
        await skip(client, order, shampoo),
    ):
        # Recorded sendOrderNow/rejected.
        assert (refused.status_code, refused.json()) == (
            400,
            {"detail": "Order is already cancelled"},
        )


async def test_send_now_generates_the_following_orders_under_its_switch() -> None:
    async with pinned() as client:
        await set_switches(client, send_now_follow_up="next_order")
        shared = [sub_id(role) for role in SHARED_ROLES]
        assert (await client.patch(f"/orders/{DEMO_SHARED_ORDER_ID}/send_now/")).is_success
        now = datetime(2031, 1, 14, 21, 30)
        for subscription, (every, period) in zip(
            shared, ((1, MONTHS), (2, MONTHS), (4, WEEKS)), strict=True
        ):
            [following] = await unsent_orders(client, subscription)
            assert parse_timestamp(following["place"]) == add_frequency(now, every, period)


# --- reactivate ------------------------------------------------------------------------------


async def reactivate(client: httpx.AsyncClient, role: Role, **body: Any) -> list[str]:
    """Reactivate monthly; the dates of the subscription's orders to come."""
    subscription = sub_id(role)
    response = await client.patch(
        f"/subscriptions/{subscription}/reactivate/",
        json={"every": 1, "every_period": MONTHS, **body},
    )
    assert (response.status_code, response.json()) == (200, {"success": True})
    after = (await client.get(f"/subscriptions/{subscription}/")).json()
    assert (after["live"], after["cancelled"], after["every"]) == (True, None, 1)
    return [order["place"][:10] for order in await unsent_orders(client, subscription)]


async def test_reactivate_places_the_first_order_on_next_order_date_even_today() -> None:
    async with pinned() as client:
        first = await reactivate(
            client,
            Role.CANCELLED_TOOTHBRUSH,
            start_date="2031-01-14",
            next_order_date="2031-01-14",
        )
        assert first == ["2031-01-14"]


async def test_reactivate_without_next_order_date_waits_one_period() -> None:
    async with pinned() as client:
        first = await reactivate(client, Role.CANCELLED_TOOTHBRUSH, start_date="2031-01-14")
        assert first == ["2031-02-14"]


@pytest.mark.parametrize(
    ("switch", "expected"), [("ignored", "2031-01-20"), ("delays", "2031-03-01")]
)
async def test_a_later_start_date_under_each_switch(switch: str, expected: str) -> None:
    async with pinned() as client:
        await set_switches(client, reactivate_start_date=switch)
        first = await reactivate(
            client,
            Role.INACTIVE_LAUNDRY,
            start_date="2031-03-01",
            next_order_date="2031-01-20",
        )
        assert first == [expected]


# --- change the next order date: a shared order, under each switch ----------------------------


async def change_date(client: httpx.AsyncClient, subscription: str, day: str) -> None:
    response = await client.patch(
        f"/subscriptions/{subscription}/change_next_order_date/", json={"order_date": day}
    )
    assert response.status_code == 200, response.text


async def next_order_of(client: httpx.AsyncClient, subscription: str) -> tuple[str, str]:
    [order] = await unsent_orders(client, subscription)
    return order["public_id"], order["place"][:10]


@pytest.mark.parametrize("switch", ["split", "move_order"])
async def test_an_order_of_one_subscription_keeps_its_id(
    client: httpx.AsyncClient, switch: str
) -> None:
    await set_switches(client, shared_order_date_change=switch)
    later = str(TODAY + timedelta(days=30))
    await change_date(client, sub_id(Role.SHAMPOO), later)
    assert await next_order_of(client, sub_id(Role.SHAMPOO)) == (
        DEMO_NEXT_ORDER_IDS[Role.SHAMPOO],
        later,
    )


async def test_a_shared_order_is_split_by_default(client: httpx.AsyncClient) -> None:
    coffee, filters = sub_id(Role.SHARED_COFFEE), sub_id(Role.SHARED_FILTERS)
    shared_day = (await get_json(client, f"/orders/{DEMO_SHARED_ORDER_ID}/"))["place"][:10]
    later = str(TODAY + timedelta(days=30))
    await change_date(client, coffee, later)
    moved_id, moved_day = await next_order_of(client, coffee)
    assert moved_id != DEMO_SHARED_ORDER_ID and moved_day == later
    assert await next_order_of(client, filters) == (DEMO_SHARED_ORDER_ID, shared_day)


async def test_a_shared_order_moves_whole_under_its_switch(client: httpx.AsyncClient) -> None:
    await set_switches(client, shared_order_date_change="move_order")
    later = str(TODAY + timedelta(days=30))
    await change_date(client, sub_id(Role.SHARED_COFFEE), later)
    for role in SHARED_ROLES:
        assert await next_order_of(client, sub_id(role)) == (DEMO_SHARED_ORDER_ID, later)
    assert len(await items_of(client, DEMO_SHARED_ORDER_ID)) == 3


# --- switches, the key, the customer's own changes ------------------------------------------


async def set_switches(client: httpx.AsyncClient, **switches: str) -> Json:
    response = await client.patch("/_sandbox/switches", json=switches)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def test_switches_are_validated_listed_and_reset(client: httpx.AsyncClient) -> None:
    defaults = (await client.get("/_sandbox/switches")).json()
    assert defaults == {
        "shared_order_date_change": "split",
        "reactivate_start_date": "ignored",
        "send_now_follow_up": "none",
        "api_key": "valid",
    }
    bad = await client.patch("/_sandbox/switches", json={"api_key": "lost", "speed": "fast"})
    assert bad.status_code == 400
    assert bad.json() == {"api_key": ['"lost" is not a valid choice.'], "speed": ["Not a switch."]}
    assert (await client.get("/_sandbox/switches")).json() == defaults
    assert (await set_switches(client, send_now_follow_up="next_order"))["send_now_follow_up"] == (
        "next_order"
    )
    await client.post("/_sandbox/reset")
    assert (await client.get("/_sandbox/switches")).json() == defaults


async def test_a_revoked_key_is_answered_401_as_recorded(client: httpx.AsyncClient) -> None:
    await set_switches(client, api_key="revoked")
    response = await client.get(f"/customers/{DEMO_CUSTOMER_ID}/")
    # Recorded data/pull/items/api_error.
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "The provided API key is invalid or has been revoked."},
    )


async def test_the_customer_changes_a_subscription_without_the_key_or_the_journal(
    client: httpx.AsyncClient,
) -> None:
    shampoo = sub_id(Role.SHAMPOO)
    await client.delete("/_sandbox/requests")
    as_customer = f"/_sandbox/as-customer/subscriptions/{shampoo}"
    changes: list[tuple[str, Json]] = [
        ("change_quantity", {"quantity": 5}),
        ("change_frequency", {"every": 3, "every_period": WEEKS}),
        ("change_next_order_date", {"order_date": str(TODAY + timedelta(days=40))}),
        ("cancel", {"cancel_reason": "2|Too expensive"}),
    ]
    for action, body in changes:
        response = await client.patch(
            f"{as_customer}/{action}/", json=body, headers={"x-api-key": ""}
        )
        assert response.status_code == 200, (action, response.text)
    after = await get_json(client, f"/subscriptions/{shampoo}/")
    assert (after["quantity"], after["every"], after["every_period"], after["live"]) == (
        5,
        3,
        WEEKS,
        False,
    )
    # The same rules as the API: a cancelled subscription cannot be changed.
    refused = await client.patch(f"{as_customer}/change_quantity/", json={"quantity": 2})
    assert (refused.status_code, refused.json()) == (400, NOT_EDITABLE)
    journal = (await client.get("/_sandbox/requests")).json()
    assert [entry["path"] for entry in journal] == [f"/subscriptions/{shampoo}/"]


async def test_every_change_to_a_subscription_moves_its_updated() -> None:
    moments = [EVENING_IN_CHICAGO]
    async with pinned(moments) as client:
        shampoo, tea = sub_id(Role.SHAMPOO), sub_id(Role.PREPAID_TEA)
        later = str(date(2031, 2, 20))
        changes: list[tuple[str, str, Json]] = [
            (shampoo, "change_quantity", {"quantity": 4}),
            (shampoo, "change_frequency", {"every": 2, "every_period": WEEKS}),
            (shampoo, "change_next_order_date", {"order_date": later}),
            (tea, "change_renewal_behavior", {"renewal_behavior": "autorenew"}),
            (shampoo, "cancel", {}),
            (shampoo, "reactivate", {"every": 1, "every_period": MONTHS, "start_date": later}),
        ]
        for subscription, action, body in changes:
            before = (await get_json(client, f"/subscriptions/{subscription}/"))["updated"]
            moments.append(moments[-1] + timedelta(minutes=1))
            response = await client.patch(f"/subscriptions/{subscription}/{action}/", json=body)
            assert response.status_code == 200, (action, response.text)
            after = (await get_json(client, f"/subscriptions/{subscription}/"))["updated"]
            assert after != before, action
            assert parse_timestamp(after) == moments[-1].astimezone(ZONE).replace(tzinfo=None)
