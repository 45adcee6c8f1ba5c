"""The service as an internal caller meets it: validation, auth, health, reflection, error shape."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from actions.contract import MEANINGS
from actions.v1 import actions_pb2 as pb
from gateway.errors import AGENT_ACTIONABLE, http_status
from gateway.rpc import RpcFailure
from services.actions_service.errors import Reason
from services.actions_service.idempotency import FINAL_REFUSALS
from services.actions_service.servicer import _ACTION, _PERIOD, _STATUS, STATUS_CODES
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS, Role
from tests.stack import ServiceHandle, fails, failure_of, running_service, service_settings

SHAMPOO = DEMO_SUBSCRIPTION_IDS[Role.SHAMPOO]


def test_reasons_are_the_protos_error_reasons() -> None:
    names = [n.removeprefix("ERROR_REASON_") for n in pb.ErrorReason.keys()][1:]  # noqa: SIM118
    assert [r.value for r in Reason] == names
    assert set(STATUS_CODES) == set(Reason)
    assert set(MEANINGS) == set(Reason)  # the one table of what each reason means


def test_the_domains_enums_and_the_protos_match_member_for_member() -> None:
    """`_ACTION`, `_STATUS` and `_PERIOD` are made from the members' names: a member without
    its counterpart fails at import; one the domain lacks fails here."""
    for table, enum in (
        (_ACTION, pb.Action),
        (_STATUS, pb.SubscriptionStatus),
        (_PERIOD, pb.FrequencyPeriod),
    ):
        assert sorted(table.values()) == sorted(set(enum.values()) - {0}), enum


def test_the_gateway_answers_each_reason_by_the_one_table() -> None:
    for reason, meaning in MEANINGS.items():
        failure = RpcFailure(grpc.StatusCode[meaning.grpc_code], "message", reason)
        assert http_status(failure) == meaning.http_status, reason
        assert (reason in AGENT_ACTIONABLE) == (meaning.http_status == 400), reason
    assert {reason for reason, meaning in MEANINGS.items() if meaning.final} == FINAL_REFUSALS


@pytest.mark.parametrize(
    ("request_message", "field"),
    [
        (pb.GetSubscriptionsRequest(), "customer"),
        (pb.GetSubscriptionsRequest(customer_id=""), "customer_id"),
        (pb.GetSubscriptionsRequest(customer_id="x" * 65), "customer_id"),
        (pb.GetSubscriptionsRequest(customer_id="a b"), "customer_id"),
        # `re.match` with `$` took a trailing newline, and dot segments passed as ids.
        (pb.GetSubscriptionsRequest(customer_id=f"{DEMO_CUSTOMER_ID}\n"), "customer_id"),
        (pb.GetSubscriptionsRequest(customer_id="."), "customer_id"),
        (pb.GetSubscriptionsRequest(customer_id=".."), "customer_id"),
        (
            pb.SkipNextOrderRequest(subscription_id="..", customer_id=DEMO_CUSTOMER_ID),
            "subscription_id",
        ),
        (
            pb.SkipNextOrderRequest(
                subscription_id=SHAMPOO,
                customer_id=DEMO_CUSTOMER_ID,
                request_id=f"{uuid.uuid4()}\n",
            ),
            "request_id",
        ),
        (
            pb.SkipNextOrderRequest(
                subscription_id=SHAMPOO,
                customer_id=DEMO_CUSTOMER_ID,
                request_id=f"{{{uuid.uuid4()}}}",
            ),
            "request_id",
        ),
        (
            pb.SkipNextOrderRequest(
                subscription_id=SHAMPOO, customer_id=DEMO_CUSTOMER_ID, request_id=uuid.uuid4().hex
            ),
            "request_id",
        ),
        (pb.GetSubscriptionsRequest(email="not-an-address"), "email"),
        (pb.SkipNextOrderRequest(customer_id=DEMO_CUSTOMER_ID), "subscription_id"),
        (pb.SkipNextOrderRequest(subscription_id=SHAMPOO), "customer_id"),
        (
            pb.SkipNextOrderRequest(
                subscription_id=SHAMPOO, customer_id=DEMO_CUSTOMER_ID, request_id="42"
            ),
            "request_id",
        ),
        (
            pb.SkipNextOrderRequest(
                subscription_id=SHAMPOO, customer_id=DEMO_CUSTOMER_ID, order_id="../x"
            ),
            "order_id",
        ),
        (
            pb.CancelSubscriptionRequest(
                subscription_id=SHAMPOO, customer_id=DEMO_CUSTOMER_ID, reason_code="99"
            ),
            "reason_code",
        ),
        (
            pb.CancelSubscriptionRequest(
                subscription_id=SHAMPOO,
                customer_id=DEMO_CUSTOMER_ID,
                reason_code="12",
                reason_details="x" * 501,
            ),
            "reason_details",
        ),
        (
            pb.CancelSubscriptionRequest(
                subscription_id=SHAMPOO, customer_id=DEMO_CUSTOMER_ID, reason_code="a|b"
            ),
            "reason_code",
        ),
    ],
)
async def test_bad_input_is_invalid_argument_naming_the_field(
    service: ServiceHandle, request_message: Any, field: str
) -> None:
    methods: dict[type, Callable[[Any], Awaitable[Any]]] = {
        pb.GetSubscriptionsRequest: service.stub.GetSubscriptions,
        pb.SkipNextOrderRequest: service.stub.SkipNextOrder,
        pb.CancelSubscriptionRequest: service.stub.CancelSubscription,
    }
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await methods[type(request_message)](request_message)
    failure = failure_of(caught.value)
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.field_violations == [field]
    assert failure.message.startswith(field)


async def test_valid_request_id_is_accepted(service: ServiceHandle) -> None:
    answer = await service.stub.SkipNextOrder(
        pb.SkipNextOrderRequest(
            subscription_id=SHAMPOO, customer_id=DEMO_CUSTOMER_ID, request_id=str(uuid.uuid4())
        )
    )
    assert answer.skipped_order_id


async def test_one_request_id_in_any_case_is_one_request(service: ServiceHandle) -> None:
    """The same UUID in upper case is the same request (replayed, nothing skipped twice); with a
    newline it is no UUID at all."""
    request_id = str(uuid.uuid4())

    def skip(request_id: str) -> Any:
        return service.stub.SkipNextOrder(
            pb.SkipNextOrderRequest(
                subscription_id=SHAMPOO, customer_id=DEMO_CUSTOMER_ID, request_id=request_id
            )
        )

    first = await skip(request_id)
    again = await skip(request_id.upper())
    assert again.skipped_order_id == first.skipped_order_id
    assert again.subscription.next_order.order_id == first.subscription.next_order.order_id
    failure = await fails(skip(request_id + "\n"))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.field_violations == ["request_id"]


async def test_undecodable_request_bytes_are_invalid_argument(service: ServiceHandle) -> None:
    # Field 1, length-delimited, announcing 127 bytes that never come.
    call: Any = service.channel.unary_unary("/actions.v1.ActionsService/GetSubscriptions")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(b"\x0a\x7f", timeout=5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_reflection_without_a_token_is_unauthenticated(
    ordergroove_url: str, gladly_url: str
) -> None:
    settings = service_settings(ordergroove_url, gladly_url, api_tokens=("a-token",))
    async with running_service(settings) as service:
        channel: Any = service.channel  # the stubs are typed for sync channels only
        stub: Any = reflection_pb2_grpc.ServerReflectionStub(channel)
        question = reflection_pb2.ServerReflectionRequest(list_services="")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.ServerReflectionInfo(iter([question]), timeout=5):
                pass
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        answers = stub.ServerReflectionInfo(
            iter([question]), metadata=(("authorization", "Bearer a-token"),), timeout=5
        )
        assert [answer.list_services_response.service async for answer in answers]


async def test_bearer_tokens(ordergroove_url: str, gladly_url: str) -> None:
    settings = service_settings(ordergroove_url, gladly_url, api_tokens=("old-token", "new-token"))
    request = pb.ListCancelReasonsRequest()
    async with running_service(settings) as service:
        for metadata in (
            (),
            (("authorization", "Bearer wrong"),),
            (("authorization", "new-token"),),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await service.stub.ListCancelReasons(request, metadata=metadata)
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        for token in ("old-token", "new-token"):
            answer = await service.stub.ListCancelReasons(
                request, metadata=(("authorization", f"Bearer {token}"),)
            )
            assert answer.reasons
        # Probes carry no token.
        health: Any = health_pb2_grpc.HealthStub(service.channel)
        status = await health.Check(health_pb2.HealthCheckRequest())
        assert status.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_reports_serving_then_not_serving_on_shutdown(service: ServiceHandle) -> None:
    health: Any = health_pb2_grpc.HealthStub(service.channel)
    for name in ("", "actions.v1.ActionsService"):
        answer = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    await service.running.health.enter_graceful_shutdown()
    answer = await health.Check(health_pb2.HealthCheckRequest(service="actions.v1.ActionsService"))
    assert answer.status == health_pb2.HealthCheckResponse.NOT_SERVING


def _call_through_reflection(target: str) -> dict[str, Any]:
    """What an internal caller does with no generated code: discover the API by reflection,
    build messages from the descriptors, and call every RPC."""
    with grpc.insecure_channel(target) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert "actions.v1.ActionsService" in database.get_services()
        pool = descriptor_pool.DescriptorPool(database)
        service = pool.FindServiceByName("actions.v1.ActionsService")
        requests = {
            "GetSubscriptions": {"customerId": DEMO_CUSTOMER_ID},
            "ListCancelReasons": {},
            "SkipNextOrder": {"subscriptionId": SHAMPOO, "customerId": DEMO_CUSTOMER_ID},
            "CancelSubscription": {
                "subscriptionId": SHAMPOO,
                "customerId": DEMO_CUSTOMER_ID,
                "reasonCode": "12",
            },
        }
        answers = {}
        for name, fields in requests.items():
            method = service.methods_by_name[name]
            request_class = message_factory.GetMessageClass(method.input_type)
            response_class = message_factory.GetMessageClass(method.output_type)
            call: Any = channel.unary_unary(
                f"/{service.full_name}/{name}",
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=response_class.FromString,
            )
            answer = call(json_format.ParseDict(fields, request_class()), timeout=10)
            answers[name] = json_format.MessageToDict(answer)
        return answers


async def test_every_rpc_is_callable_through_reflection_alone(service: ServiceHandle) -> None:
    answers = await asyncio.to_thread(_call_through_reflection, service.target)
    assert answers["GetSubscriptions"]["totalCount"] == 12
    assert answers["ListCancelReasons"]["reasons"]
    assert answers["SkipNextOrder"]["skippedOrderId"]
    assert (
        answers["CancelSubscription"]["subscription"]["status"] == "SUBSCRIPTION_STATUS_CANCELLED"
    )
