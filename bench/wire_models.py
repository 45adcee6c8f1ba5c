"""Gladly's wire shapes in msgspec and in pydantic v2, timed side by side on a 200-subscription
card: check the DETAILED lookup answer's data into the shapes and serialise it, and parse a
lookup request. The pydantic models are made from gateway/wire.py's structs, not copied.
`python -m bench.wire_models` prints CPU microseconds per call (best of rounds).
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import time
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

import msgspec
import pydantic

from actions.v1 import actions_pb2 as pb
from gateway import card, wire

SUBSCRIPTIONS = 200
GLADLY_ID = "gladly-customer-1"
REQUEST = json.dumps(
    {
        "lookupLevel": "DETAILED",
        "query": {"externalCustomerId": "og-customer-1", "id": "gladly-customer-1", "x": "y"},
        "uniqueMatchRequired": True,
    }
).encode()


def found(count: int = SUBSCRIPTIONS) -> pb.GetSubscriptionsResponse:
    answer = pb.GetSubscriptionsResponse(linked=True, active_count=count, total_count=count)
    answer.customer.customer_id = "og-customer-1"
    answer.customer.first_name, answer.customer.last_name = "Martha", "Williams"
    answer.customer.email = "customer@example.com"
    for n in range(count):
        s = answer.subscriptions.add(
            subscription_id=f"sub-{n:05d}",
            status=pb.SUBSCRIPTION_STATUS_ACTIVE,
            price="12.50",
            currency_code="USD",
            quantity=2,
        )
        s.create_time.FromSeconds(1_700_000_000 + n)
        s.update_time.FromSeconds(1_700_100_000 + n)
        s.frequency.every, s.frequency.period = 2, pb.FREQUENCY_PERIOD_WEEK
        s.next_order.order_id, s.next_order.place_date = f"order-{n}", "2026-12-01"
        s.product.product_id, s.product.name = f"prod-{n}", "Vitamins, 60 capsules"
        s.product.sku, s.product.image_url = f"SKU-{n}", f"https://img.example.com/{n}.png"
        s.available_actions.extend([pb.ACTION_CANCEL, pb.ACTION_SKIP])
    return answer


# --- the same shapes in pydantic v2, made from gateway/wire.py's ------------------------------


@functools.cache
def pydantic_twin(struct: type[msgspec.Struct]) -> type[pydantic.BaseModel]:
    """`struct` as a pydantic model: the same fields, JSON names, defaults and tag, so that the
    two libraries are timed on one declaration of each shape."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    fields: dict[str, Any] = {}
    if info.tag_field is not None:
        # No default: exclude_defaults would leave the tag out.
        fields[info.tag_field] = (Literal[info.tag], ...)
    for field in msgspec.structs.fields(struct):
        if field.default_factory is not msgspec.NODEFAULT:
            spec = pydantic.Field(default_factory=field.default_factory, alias=field.encode_name)
        else:
            default = ... if field.default is msgspec.NODEFAULT else field.default
            spec = pydantic.Field(default, alias=field.encode_name)
        fields[field.name] = (_twin_type(field.type), spec)
    config = pydantic.ConfigDict(populate_by_name=True)
    model: type[pydantic.BaseModel] = pydantic.create_model(
        f"Pydantic{struct.__name__}", __config__=config, **fields
    )
    return model


def _twin_type(annotation: Any) -> Any:
    """`annotation` with each struct replaced by its pydantic twin (msgspec's limits dropped)."""
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return pydantic_twin(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _twin_type(args[0])
    if origin in (types.UnionType, typing.Union):
        return functools.reduce(operator.or_, (_twin_type(arg) for arg in args))
    if origin in (list, dict):
        return origin[tuple(_twin_type(arg) for arg in args)]
    return annotation


PydanticResponse = pydantic_twin(wire.LookupResponse)
PydanticRequest = pydantic_twin(wire.LookupRequest)


def answer_data(answer: pb.GetSubscriptionsResponse) -> Any:
    """The DETAILED answer the gateway builds (card.py), as JSON values."""
    return msgspec.to_builtins(msgspec_response(answer))


def msgspec_check(data: Any) -> wire.LookupResponse:
    return msgspec.convert(data, wire.LookupResponse)


def pydantic_check(data: Any) -> pydantic.BaseModel:
    return PydanticResponse.model_validate(data)


def pydantic_answer(answer: pb.GetSubscriptionsResponse) -> bytes:
    return _dump(pydantic_check(answer_data(answer)))


def msgspec_answer(answer: pb.GetSubscriptionsResponse) -> bytes:
    """What the gateway does (lookup.detailed): build the card, encode the answer."""
    return bytes(wire.WireResponse(msgspec_response(answer)).body)


def msgspec_response(answer: pb.GetSubscriptionsResponse) -> wire.LookupResponse:
    return wire.LookupResponse(results=[card.detailed_result(answer, GLADLY_ID)])


def pydantic_request(body: bytes) -> str:
    return str(PydanticRequest.model_validate_json(body).lookup_level)  # type: ignore[attr-defined]


def msgspec_request(body: bytes) -> str:
    return wire.decode(body, wire.LookupRequest).lookup_level


def _encode(built: wire.LookupResponse) -> bytes:
    return bytes(wire.WireResponse(built).body)


def _dump(built: pydantic.BaseModel) -> bytes:
    return built.model_dump_json(by_alias=True, exclude_defaults=True).encode()


def cpu_microseconds(call: Callable[[], Any], iterations: int, rounds: int) -> float:
    """CPU time of one call, best of `rounds` (the machine is shared: the least disturbed)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(iterations):
            call()
        best = min(best, (time.process_time() - started) / iterations)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wire_models", description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    answer = found()
    same = json.loads(msgspec_answer(answer)) == json.loads(pydantic_answer(answer))
    assert same, "the two models must answer the same JSON"
    data = answer_data(answer)
    rows = [
        ("DETAILED answer checked, 200 subs", msgspec_check, pydantic_check, data, 1),
        ("  and serialised", _encode, _dump, (msgspec_check(data), pydantic_check(data)), 1),
        ("lookup request parsed", msgspec_request, pydantic_request, REQUEST, 100),
    ]
    print(f"{'':38}{'msgspec µs':>12}{'pydantic µs':>13}{'ratio':>8}")
    for label, ours, theirs, argument, scale in rows:
        n = args.iterations * scale
        mine, other = argument if isinstance(argument, tuple) else (argument, argument)
        fast = cpu_microseconds(lambda f=ours, a=mine: f(a), n, args.rounds)  # type: ignore[misc]
        slow = cpu_microseconds(lambda f=theirs, a=other: f(a), n, args.rounds)  # type: ignore[misc]
        print(f"{label:38}{fast:12.1f}{slow:13.1f}{slow / fast:8.2f}")
    print(f"msgspec {msgspec.__version__}, pydantic {pydantic.VERSION}")


if __name__ == "__main__":
    main()
