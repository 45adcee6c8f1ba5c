"""Stored results are answered again to repeats: what was stored must come back whole."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.actions_service.domain import (
    Action,
    Order,
    Period,
    PrepaidPlan,
    Product,
    Subscription,
    SubscriptionView,
)
from services.actions_service.results import ActionOutcome, ResultCodec

CHICAGO = ZoneInfo("America/Chicago")


def view(**changes: object) -> SubscriptionView:
    subscription = Subscription(
        "sub-1",
        "cust-1",
        "HDPH-001",
        live=True,
        period=Period.MONTH,
        every=1,
        prepaid_plan=PrepaidPlan(2, 3, "autorenew"),
        created_at=datetime(2026, 1, 1, 23, 30, tzinfo=CHICAGO),
        cancel_reason_code="12",
    )
    return SubscriptionView(
        subscription=subscription,
        product=Product("HDPH-001", "Premium Headphones"),
        next_order=Order("order-1", 1, datetime(2026, 2, 1, 23, 30, tzinfo=CHICAGO)),
        available_actions=(Action.SKIP,),
        cancel_reason_text="Other",
    )


def test_a_prepaid_subscription_with_reason_words_comes_back_whole() -> None:
    result = ActionOutcome(view(), "summary", Order("order-0", 1, None))
    codec = ResultCodec()
    again = codec.decode(codec.encode(result))
    assert again == result
    assert again.view.next_order is not None and again.view.next_order.place_at is not None
    assert again.view.next_order.place_at.strftime("%Y-%m-%d") == "2026-02-01"


def test_a_record_stored_before_prepaid_plans_still_decodes() -> None:
    codec = ResultCodec()
    stored = codec.encode(ActionOutcome(view(), "summary"))
    del stored["target"]  # a cancel recorded before every action shared one shape
    subscription = stored["card"]["subscription"]
    del subscription["prepaid_plan"], stored["card"]["cancel_reason_text"]
    subscription["prepaid"] = True
    again = codec.decode(stored)
    assert again.view.subscription.prepaid and again.view.subscription.prepaid_plan == PrepaidPlan()
    assert again.view.cancel_reason_text == ""


def test_a_skip_recorded_before_every_action_shared_one_shape_still_decodes() -> None:
    stored = ResultCodec().encode(ActionOutcome(view(), "summary"))
    del stored["target"]
    stored |= {
        "skipped": {"order_id": "order-0", "status": 1, "place_at": None},
        "new_next_order": None,
    }
    assert ResultCodec().decode(stored).target == Order("order-0", 1, None)
