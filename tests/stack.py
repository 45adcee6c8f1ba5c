"""The real programs started in-process on free ports, for tests that cross them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from actions.v1 import actions_pb2_grpc
from services.actions_service.server import RunningService, start
from services.config import Settings

if TYPE_CHECKING:
    from actions.v1.actions_pb2_grpc import ActionsServiceAsyncStub

GLADLY_USER = "sandbox@example.com"
GLADLY_TOKEN = "sandbox-token"
OG_API_KEY = "sandbox-api-key"


def service_settings(ordergroove_url: str, gladly_url: str, **overrides: Any) -> Settings:
    """Settings for a service that talks to the two sandboxes; a short deadline keeps tests fast."""
    base = Settings(
        ordergroove_base_url=ordergroove_url,
        ordergroove_api_key=OG_API_KEY,
        gladly_base_url=gladly_url,
        gladly_api_user=GLADLY_USER,
        gladly_api_token=GLADLY_TOKEN,
        deadline_seconds=3.0,
    )
    return dataclasses.replace(base, **overrides)


@dataclass
class ServiceHandle:
    running: RunningService
    channel: grpc.aio.Channel
    stub: ActionsServiceAsyncStub

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.running.port}"


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[ServiceHandle]:
    running = await start(settings, listen="127.0.0.1:0")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield ServiceHandle(running, channel, actions_pb2_grpc.ActionsServiceStub(channel))
    finally:
        await channel.close()
        await running.stop(grace=1)


@dataclass(frozen=True)
class RpcFailure:
    code: grpc.StatusCode
    message: str
    reason: str  # ErrorInfo.reason, "" when the status carries none
    metadata: dict[str, str]
    field_violations: list[str]


def failure_of(error: grpc.aio.AioRpcError) -> RpcFailure:
    """Decode the google.rpc.Status a failed call carries in its trailers."""
    reason, metadata, violations = "", {}, []
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        assert status.code == error.code().value[0]
        assert status.message == error.details()
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations = [v.field for v in bad.field_violations]
    return RpcFailure(error.code(), error.details() or "", reason, metadata, violations)
