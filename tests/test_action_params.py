"""Each action's typed parameters: parsed once at the servicer from its request, kept as strings
only in the action record. Records written before the parameters were typed — a dict of
strings, as below — are read back to the same parameters and give the same fingerprint, so an
open record found after a deploy is still settled and its retries still match."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from google.protobuf.message import Message

from actions.v1 import actions_pb2 as pb
from services.actions_service import idempotency
from services.actions_service.catalogue import CATALOGUE
from services.actions_service.catalogue.change_frequency import ChangeFrequencyParams
from services.actions_service.catalogue.send_now import SendNowParams
from services.actions_service.domain import Action, Period
from services.actions_service.servicer import ACTION_RPCS, ActionsServicer
from services.actions_service.store.rows import ActionRecord, RecordState
from services.actions_service.use_cases import ActionCall

CONTEXT = {"agent_id": "agent-7", "gladly_customer_id": "g-1", "conversation_id": "c-1"}
IDS = {"subscription_id": "sub-1", "customer_id": "cust-1"}

# What the code before typed parameters stored as each action's request (field for field), and
# the request of the same action as its RPC carries it.
STORED: list[tuple[Action, dict[str, str], Message]] = [
    (
        Action.CANCEL,
        {"reason_code": "7", "reason_details": "moving"},
        pb.CancelSubscriptionRequest(reason_code="7", reason_details="moving"),
    ),
    (
        Action.SKIP,
        {"order_id": "ord-1", "expected_date": "2026-03-02"},
        pb.SkipNextOrderRequest(order_id="ord-1", expected_date="2026-03-02"),
    ),
    (
        Action.SKIP,
        {"order_id": "", "expected_date": ""},
        pb.SkipNextOrderRequest(),
    ),
    (
        Action.REACTIVATE,
        {"every": "6", "period": "week", "first_order_date": "2026-03-02"},
        pb.ReactivateSubscriptionRequest(
            frequency=pb.Frequency(every=6, period=pb.FREQUENCY_PERIOD_WEEK),
            first_order_date="2026-03-02",
        ),
    ),
    (
        Action.CHANGE_NEXT_ORDER_DATE,
        {"order_date": "2026-03-09", "expected_date": "2026-03-02"},
        pb.ChangeNextOrderDateRequest(order_date="2026-03-09", expected_date="2026-03-02"),
    ),
    (
        Action.CHANGE_FREQUENCY,
        {"every": "5", "period": "week", "expected_every": "1", "expected_period": "month"},
        pb.ChangeFrequencyRequest(
            frequency=pb.Frequency(every=5, period=pb.FREQUENCY_PERIOD_WEEK),
            expected_frequency=pb.Frequency(every=1, period=pb.FREQUENCY_PERIOD_MONTH),
        ),
    ),
    (
        Action.CHANGE_QUANTITY,
        {"quantity": "3", "expected_quantity": "1"},
        pb.ChangeQuantityRequest(quantity=3, expected_quantity=1),
    ),
    (
        Action.SEND_NOW,
        {"expected_order_id": "ord-1", "expected_date": "", "expected_subscriptions": "a,b"},
        pb.SendNextOrderNowRequest(expected_order_id="ord-1", expected_subscriptions=["b", "a"]),
    ),
    (
        Action.CHANGE_RENEWAL,
        {"renewal_behavior": "cancel", "expected_renewal_behavior": ""},
        pb.ChangeRenewalRequest(renewal_behavior="cancel"),
    ),
    (
        Action.CANCEL_ORDER,
        {
            "expected_order_id": "ord-1",
            "expected_date": "2026-03-02",
            "expected_subscriptions": "a",
        },
        pb.CancelOrderRequest(
            expected_order_id="ord-1", expected_date="2026-03-02", expected_subscriptions=["a"]
        ),
    ),
    (
        Action.CHANGE_ITEM_QUANTITY,
        {"quantity": "2", "expected_order_id": "ord-1", "expected_quantity": "1"},
        pb.ChangeItemQuantityRequest(quantity=2, expected_order_id="ord-1", expected_quantity=1),
    ),
    (
        Action.REMOVE_FROM_ORDER,
        {"expected_order_id": "ord-1", "expected_date": "", "expected_subscriptions": "a,b"},
        pb.RemoveFromOrderRequest(expected_order_id="ord-1", expected_subscriptions=["a", "b"]),
    ),
    (
        Action.ISSUE_DISCOUNT,
        {
            "expected_order_id": "ord-1",
            "target": "item",
            "kind": "percent",
            "value": "7.50",
            "reason": "late",
        },
        pb.IssueDiscountRequest(
            expected_order_id="ord-1",
            target=pb.DISCOUNT_TARGET_ITEM,
            kind=pb.DISCOUNT_KIND_PERCENT,
            value="7.50",
            reason="late",
        ),
    ),
    (
        Action.SWAP_PRODUCT,
        {"product_id": "p-2", "expected_product_id": "p-1"},
        pb.SwapProductRequest(product_id="p-2", expected_product_id="p-1"),
    ),
    (
        Action.CHANGE_SHIPPING_ADDRESS,
        {"address_id": "a-2", "expected_address_id": "a-1"},
        pb.ChangeShippingAddressRequest(address_id="a-2", expected_address_id="a-1"),
    ),
]
ids = [f"{action.value}-{i}" for i, (action, _, _) in enumerate(STORED)]


def _record(action: Action, fields: dict[str, str]) -> ActionRecord:
    return ActionRecord(
        request_id="3f0c4b8e-1d2a-4c5b-9e6f-7a8b9c0d1e2f",
        fingerprint="",
        state=RecordState.PENDING,
        lease_owner=None,
        attempts=1,
        recovery=None,
        result=None,
        action=action.value,
        request=IDS | CONTEXT | fields,
    )


def test_every_action_has_a_stored_example() -> None:
    assert {action for action, _, _ in STORED} == set(Action)


@pytest.mark.parametrize(("action", "fields", "request_message"), STORED, ids=ids)
def test_a_stored_request_reads_back_to_the_params_the_rpc_gives(
    action: Action, fields: dict[str, str], request_message: Any
) -> None:
    [rpc] = [rpc for rpc in ACTION_RPCS if rpc.action is action]
    call = ActionCall.from_record(_record(action, fields))
    assert call.params == rpc.params(request_message)
    assert isinstance(call.params, CATALOGUE[action].params)
    assert (call.action, call.subscription_id, call.context.agent_id) == (
        action,
        "sub-1",
        "agent-7",
    )
    # The same strings, so the same fingerprint as the record's.
    assert call.record() == IDS | CONTEXT | fields
    stored = idempotency.fingerprint(action.value, IDS | CONTEXT | fields)
    assert idempotency.fingerprint(action.value, call.record()) == stored


def test_params_are_typed_once_parsed() -> None:
    frequency = ChangeFrequencyParams.from_record(
        {"every": "5", "period": "week", "expected_every": "1", "expected_period": "month"}
    )
    assert frequency.asked == (5, Period.WEEK) and frequency.shown == (1, Period.MONTH)
    send_now = SendNowParams.from_record(
        {"expected_order_id": "o", "expected_date": "2026-03-02", "expected_subscriptions": "a,b"}
    )
    assert send_now.expected_date == date(2026, 3, 2)
    assert send_now.expected_subscriptions == ("a", "b")


def test_every_action_rpc_of_the_proto_has_its_row_and_its_method() -> None:
    service = pb.DESCRIPTOR.services_by_name["ActionsService"]
    reads = {"GetSubscriptions", "ListCancelReasons", "ListSwapProducts"}
    assert {rpc.method for rpc in ACTION_RPCS} == {m.name for m in service.methods} - reads
    for rpc in ACTION_RPCS:
        assert getattr(ActionsServicer, rpc.method).__name__ == rpc.method
        request = service.methods_by_name[rpc.method].input_type
        assert {"subscription_id", "customer_id", "request_id", "context"} <= set(
            request.fields_by_name
        )
