"""`gladly-sandbox` acting as Gladly: the card, a skip and a cancel against the real stack."""

from __future__ import annotations

import asyncio

import pytest

from services.gladly_sandbox.cli import main
from services.ordergroove_sandbox.demo import DEMO_SUBSCRIPTION_IDS, Role
from tests.conftest import GATEWAY_SIGNING_KEY

VITAMINS = DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]
COFFEE = DEMO_SUBSCRIPTION_IDS[Role.SHARED_COFFEE]
DOG_FOOD = DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD]
WATER_FILTER = DEMO_SUBSCRIPTION_IDS[Role.CANCELLED_WATER_FILTER]


@pytest.fixture
def gladly_url(unlimited_gladly_url: str) -> str:
    return unlimited_gladly_url  # a card, a skip and a cancel exceed 10 requests/second


@pytest.fixture(autouse=True)
def gladly_env(gateway_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_URL", gateway_url)
    monkeypatch.setenv("GLADLY_SIGNING_KEYS", f"{GATEWAY_SIGNING_KEY}, another-key")


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The CLI is synchronous: run it off the loop that serves the stack."""
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_card_skip_and_cancel(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = await run(capsys, "card")
    assert code == 0
    assert "Dana Demo [demo-customer-1] demo@example.com" in out
    assert "8 active of 12 subscriptions" in out
    assert "ACTIVE     Daily Multivitamin, 60 ct" in out
    assert "[Cancel Order] [Skip Next Order] [Change Next Order Date]" in out
    assert "CANCELLED  Replacement Water Filter Cartridge, 3-pack" in out
    assert "Too expensive (2) - Found a cheaper option locally" in out
    assert "yes, 1 order(s) left, cancel" in out  # the prepaid tea

    code, out, _ = await run(capsys, "skip", VITAMINS)
    assert code == 0
    assert "== Skip next order ==" in out and "[Skip order] [Keep order]" in out
    assert "Next order skipped: Skipped the" in out and "→" in out

    code, out, _ = await run(capsys, "cancel", VITAMINS, "--reason", "7", "--details", "Abroad")
    assert code == 0
    assert "Cancellation reason (optional) [reason]" in out
    assert "  - 7: Moving" in out
    assert "Subscription cancelled: Status: active → cancelled. Reason: Moving (7)" in out

    code, out, _ = await run(capsys, "card")
    vitamins = out[out.index("Daily Multivitamin") - 11 :].split("\n\n")[0]
    assert vitamins.startswith("CANCELLED")
    assert "Moving (7) - Abroad" in vitamins and "[Cancel Order]" not in vitamins


async def test_lookup_and_error_answers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = await run(capsys, "lookup", "--email", "demo@example.com")
    assert code == 0
    assert out.splitlines()[0] == "1 match(es)"
    assert "[demo-customer-1]" in out

    code, _, err = await run(capsys, "cancel", WATER_FILTER, "--reason", "7")
    assert code == 1
    assert "HTTP 400 Subscription is not active" in err
    code, _, err = await run(capsys, "skip", WATER_FILTER)
    assert code == 1 and "HTTP 400 Nothing to skip" in err

    monkeypatch.setenv("GLADLY_SIGNING_KEYS", "")  # falls back to sandbox-signing-key
    code, _, err = await run(capsys, "card")
    assert code == 1 and "HTTP 401 Unauthorized" in err


@pytest.mark.parametrize(
    ("button", "values", "answer"),
    [
        ("Change Quantity", ["quantity=3"], "Quantity changed: Quantity: 1 → 3."),
        ("Change Frequency", ["every=3", "period=week"], "Frequency changed: Frequency: every "),
        ("Send Next Order Now", [], "Next order sent: Order "),
    ],
)
async def test_press_any_button_with_its_values(
    capsys: pytest.CaptureFixture[str], button: str, values: list[str], answer: str
) -> None:
    code, out, err = await run(capsys, "press", button, VITAMINS, *values)
    assert code == 0, err
    assert answer in out


async def test_press_reactivate_and_an_unknown_button(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = await run(
        capsys, "press", "reactivate", WATER_FILTER, "every=1", "period=month"
    )
    assert code == 0, err
    assert "Subscription reactivated: Status: not active → active" in out
    code, _, err = await run(capsys, "press", "Refund", VITAMINS)
    assert code == 1 and "no button 'Refund'" in err


@pytest.mark.parametrize(
    ("button", "subscription", "values", "shown", "answer"),
    [
        (
            "Cancel This Order",
            COFFEE,
            [],
            "Cancels the whole order",
            "Order cancelled: ",
        ),
        (
            "Issue Discount",
            DOG_FOOD,
            ["target=item", "kind=percent", "value=10", "reason=Late delivery"],
            "  - percent: A percentage",
            "Discount issued: Discounts on order ",
        ),
    ],
)
async def test_press_a_button_of_the_order_and_its_items(
    capsys: pytest.CaptureFixture[str],
    button: str,
    subscription: str,
    values: list[str],
    shown: str,
    answer: str,
) -> None:
    code, out, err = await run(capsys, "press", button, subscription, *values)
    assert code == 0, err
    assert shown in out and answer in out and "→" in out


async def test_press_swap_product_with_a_search(capsys: pytest.CaptureFixture[str]) -> None:
    """The card names where it ships; the swap form lists what the search finds, priced."""
    code, out, _ = await run(capsys, "card")
    dog_food = out[out.index("Grain-Free Salmon Dog Food") - 11 :].split("\n\n")[0]
    assert "ships to" in dog_food and "[Swap Product]" in dog_food

    code, out, err = await run(capsys, "press", "Swap Product", DOG_FOOD, "--search", "zebra")
    assert code == 1 and "HTTP 400 No product to swap to" in err and "zebra" in err
    code, out, err = await run(capsys, "press", "swap product", DOG_FOOD, "--search", "Dog")
    # No product chosen: the form's select is listed, and the refusal names its field.
    assert code == 1 and "Ship instead [product]" in out and "64.99 USD → " in out
    option = next(line for line in out.splitlines() if line.startswith("  - "))
    product = option.removeprefix("  - ").split(":")[0]
    code, out, err = await run(
        capsys, "press", "Swap Product", DOG_FOOD, f"product={product}", "--search", "Dog"
    )
    assert code == 0, err
    assert "Product swapped: Product: Grain-Free Salmon Dog Food" in out
