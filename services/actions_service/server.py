"""The `actions-service` program: a grpc.aio server with health, reflection and token auth."""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from actions.v1 import actions_pb2, actions_pb2_grpc
from services.actions_service.actions import Actions
from services.actions_service.gladly import GladlyClient
from services.actions_service.ordergroove import OrdergrooveClient
from services.actions_service.servicer import ActionsServicer
from services.config import ConfigError, Settings

log = logging.getLogger(__name__)

SERVICE_NAME = actions_pb2.DESCRIPTOR.services_by_name["ActionsService"].full_name
SHUTDOWN_GRACE_SECONDS = 10.0
# Probes must work without a token: health is the only unauthenticated service.
_UNAUTHENTICATED_PREFIX = "/grpc.health.v1.Health/"

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without `authorization: Bearer <one of the tokens>` (constant-time compare)."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._expected = [f"Bearer {token}".encode() for token in tokens]

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(_UNAUTHENTICATED_PREFIX):
            return handler
        if self._authorized(handler_call_details.invocation_metadata):
            return handler
        return _refusal(handler)

    def _authorized(self, metadata: Any) -> bool:
        presented = next(
            (str(value) for key, value in metadata or () if key == "authorization"), ""
        ).encode()
        # Compare against every token so the time taken does not reveal which one was close.
        matches = [hmac.compare_digest(presented, expected) for expected in self._expected]
        return any(matches)


def _refusal(handler: Handler) -> Handler:
    async def refuse(_request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(
            grpc.StatusCode.UNAUTHENTICATED, "A valid 'authorization: Bearer <token>' is required."
        )

    if handler.request_streaming or handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse)
    return grpc.unary_unary_rpc_method_handler(refuse)


@dataclass
class RunningService:
    """A started server and what it owns, so that it can be stopped in the right order."""

    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    actions: Actions
    ordergroove: OrdergrooveClient
    gladly: GladlyClient | None

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        # NOT_SERVING first, so that load balancers stop sending while in-flight calls finish.
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        await self.actions.drain()
        await self.ordergroove.aclose()
        if self.gladly is not None:
            await self.gladly.aclose()


async def start(settings: Settings, listen: str | None = None) -> RunningService:
    """Start serving on `listen` (default: ACTIONS_GRPC_LISTEN); port 0 picks a free port."""
    ordergroove = OrdergrooveClient.create(
        settings.ordergroove_base_url, settings.ordergroove_api_key
    )
    gladly = (
        GladlyClient.create(
            settings.gladly_base_url, settings.gladly_api_user, settings.gladly_api_token
        )
        if settings.gladly_configured
        else None
    )
    actions = Actions(ordergroove, gladly, settings.actions_enabled)
    interceptors = [BearerTokenInterceptor(settings.api_tokens)] if settings.api_tokens else []
    server = grpc.aio.server(interceptors=interceptors)
    actions_pb2_grpc.add_ActionsServiceServicer_to_server(
        ActionsServicer(actions, settings.deadline_seconds), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    port = server.add_insecure_port(listen or str(settings.grpc_listen))
    if port == 0:
        raise ConfigError(f"ACTIONS_GRPC_LISTEN: cannot listen on {listen or settings.grpc_listen}")
    await server.start()
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return RunningService(server, port, health_servicer, actions, ordergroove, gladly)


async def serve(settings: Settings) -> None:
    running = await start(settings)
    log.info("actions-service listening on %s:%d", settings.grpc_listen.host, running.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("actions-service stopping")
    await running.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        asyncio.run(serve(Settings.from_env()))
    except ConfigError as error:
        print(f"actions-service: {error}", file=sys.stderr)
        sys.exit(2)
