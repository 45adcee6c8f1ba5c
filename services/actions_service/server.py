"""The `actions-service` program: a grpc.aio server with health, reflection, tracing and token
auth, the action store and the timeline deliverer; `actions-service audit` shows the audit log."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, TypeAlias
from zoneinfo import ZoneInfo

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from actions.v1 import actions_pb2, actions_pb2_grpc
from services.actions_service import audit_command, callers
from services.actions_service.deliverer import DeliveryPolicy, TimelineDeliverer
from services.actions_service.gladly import SYSTEM as GLADLY
from services.actions_service.gladly import GladlyClient
from services.actions_service.ledger import Ledger
from services.actions_service.observe import trace_trailer
from services.actions_service.ordergroove import OrdergrooveClient
from services.actions_service.ratelimit import SharedBudget
from services.actions_service.servicer import ActionsServicer
from services.actions_service.settler import Settler
from services.actions_service.store import Store, StoreUnavailable, utcnow
from services.actions_service.store.db import Database, why_unavailable
from services.actions_service.upstream import RetryPolicy
from services.actions_service.use_cases import UseCases
from services.config import ConfigError, ServiceSettings
from services.runtime import freeze_startup_heap, listening_socket
from services.telemetry import prometheus, rpc
from services.telemetry.logs import configure_logging
from services.telemetry.setup import configure

log = logging.getLogger(__name__)

SERVICE_NAME = actions_pb2.DESCRIPTOR.services_by_name["ActionsService"].full_name
# On SIGTERM in-flight actions get their whole deadline, plus this long for their answers and
# records: cutting an action off mid-write would leave the agent a 503 for a change that was made.
SHUTDOWN_MARGIN_SECONDS: Final = 3.0
# An action's lease outlasts its deadline by this much, so only a dead attempt loses its lease.
LEASE_GRACE_SECONDS: Final = 2.0
# Probes must work without a token: health is the only unauthenticated service.
_UNAUTHENTICATED_PREFIX = "/grpc.health.v1.Health/"
# Clients balancing over the replicas (round_robin over a headless Service) learn of new ones
# only when they resolve the name again: a connection is closed after this long (its calls
# finish first), so load spreads to replicas that were added.
MAX_CONNECTION_AGE_MS: Final = 5 * 60 * 1000
# How often a starting service tries its store again while it cannot reach it.
STORE_RETRY_SECONDS: Final = 1.0

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without `authorization: Bearer <one of the tokens>` (constant-time compare),
    and runs the others as the caller that token names (for the audit log)."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._expected = [f"Bearer {token}".encode() for token in tokens]
        self._names = [callers.name_of_token(token) for token in tokens]

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        metadata = handler_call_details.invocation_metadata
        if handler_call_details.method.startswith(_UNAUTHENTICATED_PREFIX):
            # Probes carry no token; a caller that presents one (the gateway's readiness) learns
            # whether it is good, so a wrong token shows before the first real call.
            if _presented(metadata) and self._caller(metadata) is None:
                return _refusal(handler)
            return handler
        caller = self._caller(metadata)
        if caller is None:
            return _refusal(handler)
        return _as_caller(handler, caller)

    def _caller(self, metadata: Any) -> str | None:
        """The name of the token presented, or None when it is none of ours."""
        presented = _presented(metadata).encode()
        # Compare against every token so the time taken does not reveal which one was close.
        matches = [hmac.compare_digest(presented, expected) for expected in self._expected]
        return next((name for name, hit in zip(self._names, matches, strict=True) if hit), None)


def _presented(metadata: Any) -> str:
    """The `authorization` metadata, or "" when there is none."""
    return next((str(value) for key, value in metadata or () if key == "authorization"), "")


def _as_caller(handler: Handler, caller: str) -> Handler:
    if handler.unary_unary is None:
        return handler  # every RPC of the Actions service is unary
    # Typed for sync servers; in grpc.aio the behavior is a coroutine function.
    behavior: Any = handler.unary_unary

    async def run(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        with callers.calling_as(caller):
            return await behavior(request, context)

    return grpc.unary_unary_rpc_method_handler(
        run,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _refusal(
    handler: Handler,
    code: grpc.StatusCode = grpc.StatusCode.UNAUTHENTICATED,
    message: str = "A valid 'authorization: Bearer <token>' is required.",
) -> Handler:
    async def refuse(_request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(code, message, trace_trailer())

    async def refuse_stream(
        _requests: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        # A streaming behavior must be an async generator (reflection is one): grpc.aio iterates
        # it, and a plain coroutine would fail as UNKNOWN instead of refusing.
        await refuse(None, context)
        yield  # never reached: abort raises

    if handler.request_streaming or handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse_stream)
    return grpc.unary_unary_rpc_method_handler(refuse)


class StartingGate(grpc.aio.ServerInterceptor):
    """Answers UNAVAILABLE to every call but health until the store is ready (`opened`): until
    then the service serves only its health, which says NOT_SERVING."""

    def __init__(self) -> None:
        self.opened = False

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or self.opened:
            return handler
        if handler_call_details.method.startswith(_UNAUTHENTICATED_PREFIX):
            return handler
        return _refusal(
            handler,
            grpc.StatusCode.UNAVAILABLE,
            "The service is starting: its action store is not reachable yet.",
        )


class _Undecodable:
    """Stands for request bytes that are no message of the method's type."""


class MalformedMessageInterceptor(grpc.aio.ServerInterceptor):
    """Answers INVALID_ARGUMENT to request bytes that do not decode: they are bad input, not a
    failure of ours (grpc.aio would answer UNKNOWN and log a traceback)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is None:
            return handler  # streams (reflection, health Watch) decode their messages themselves
        decode = handler.request_deserializer
        behavior: Any = handler.unary_unary

        def tolerant_decode(raw: bytes) -> Any:
            try:
                return decode(raw)
            except DecodeError:
                return _Undecodable()

        async def run(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if isinstance(request, _Undecodable):
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "The request is not a valid protobuf message of this method.",
                    trace_trailer(),
                )
            return await behavior(request, context)

        return grpc.unary_unary_rpc_method_handler(
            run,
            request_deserializer=tolerant_decode,
            response_serializer=handler.response_serializer,
        )


@dataclass
class RunningService:
    """A started server and what it owns, so that it can be stopped in the right order."""

    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    store: Store
    deliverer: TimelineDeliverer | None
    settler: Settler
    clients: list[OrdergrooveClient | GladlyClient]
    # How long in-flight calls may still run once stopping: a whole action deadline and more.
    grace: float

    async def stop(self, grace: float | None = None) -> None:
        # NOT_SERVING first, so that load balancers stop sending while in-flight calls finish
        # (each records its end in the store before the store closes).
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.grace if grace is None else grace)
        await self.settler.stop()
        if self.deliverer is not None:
            await self.deliverer.stop()
        await self.store.close()
        for client in self.clients:
            await client.aclose()


async def start(settings: ServiceSettings, listen: str | None = None) -> RunningService:
    """Start serving on `listen` (default: ACTIONS_GRPC_LISTEN); port 0 picks a free port. It
    serves its health (NOT_SERVING) while it waits, up to STORE_WAIT_SECONDS, for its store."""
    settings.check_gladly_api()
    if settings.gladly_api_disabled:
        log.warning(
            "GLADLY_API_DISABLED=true: actions run without the open-conversation check and "
            "write no timeline entries"
        )
    store = Store(_database(settings.store_url))
    try:
        return await _start_with(store, settings, listen)
    except BaseException:
        await store.close()
        raise


def _database(store_url: str) -> Database:
    try:
        return Database.connect(store_url)
    except OSError as error:  # e.g. the SQLite file's folder cannot be made
        raise ConfigError(f"STORE_URL: cannot use it: {error.strerror or error}") from None


async def _start_with(
    store: Store, settings: ServiceSettings, listen: str | None
) -> RunningService:
    ordergroove = OrdergrooveClient.create(
        settings.ordergroove_base_url,
        settings.ordergroove_api_key,
        timezone=ZoneInfo(settings.ordergroove_timezone),
    )
    clients: list[OrdergrooveClient | GladlyClient] = [ordergroove]
    gladly, deliverer = None, None
    if settings.gladly_configured:
        # One budget for both clients: Gladly's limit is per method, whoever sends.
        budget = SharedBudget(store.budgets, GLADLY, settings.gladly_requests_per_second)
        gladly = _gladly_client(settings, budget)
        # The deliverer has its own client: it retries by its own backoff, not within a call.
        delivery_client = _gladly_client(settings, budget, RetryPolicy(attempts=1))
        deliverer = _deliverer(settings, store, delivery_client)
        clients += [gladly, delivery_client]
    ledger = Ledger(
        store,
        lease_seconds=settings.deadline_seconds + LEASE_GRACE_SECONDS,
        on_finished=deliverer.notify if deliverer else lambda: None,
    )
    use_cases = UseCases(
        ordergroove,
        gladly,
        settings.actions_enabled,
        ledger,
        reason_names=settings.cancel_reason_names,
        reason_required=settings.cancel_reason_required,
        max_quantity=settings.max_quantity,
        max_days_ahead=settings.max_days_ahead,
    )
    gate = StartingGate()
    async with contextlib.AsyncExitStack() as undone_on_failure:
        for client in clients:
            undone_on_failure.push_async_callback(client.aclose)
        server, port, health_servicer = await _listening(settings, use_cases, gate, listen)
        undone_on_failure.push_async_callback(server.stop, 0)
        await _wait_for_store(store, settings.store_wait_seconds)
        await store.records.purge_expired(utcnow())
        undone_on_failure.pop_all()
    gate.opened = True
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    if deliverer is not None:
        deliverer.start()
    settler = Settler(store, use_cases, settings.settle_after_seconds, settings.deadline_seconds)
    settler.start()
    grace = settings.deadline_seconds + SHUTDOWN_MARGIN_SECONDS
    return RunningService(server, port, health_servicer, store, deliverer, settler, clients, grace)


async def _listening(
    settings: ServiceSettings, use_cases: UseCases, gate: StartingGate, listen: str | None
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """The server, serving on `listen` (default: ACTIONS_GRPC_LISTEN): alive, not yet ready."""
    server = _server(settings, use_cases, gate)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = listen or str(settings.grpc_listen)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:  # taken, or no such local address (older grpc answered port 0)
        port = 0
    if port == 0:
        raise ConfigError(f"ACTIONS_GRPC_LISTEN: cannot listen on {address} (in use or not local)")
    await server.start()
    # Liveness ("") says the process is alive; readiness (the service's name), not yet ready.
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.NOT_SERVING)
    return server, port, health_servicer


def _server(settings: ServiceSettings, use_cases: UseCases, gate: StartingGate) -> grpc.aio.Server:
    """The gRPC server with the Actions service and reflection (health is added by the caller)."""
    # Tracing first, so that a refused call is traced too.
    interceptors: list[grpc.aio.ServerInterceptor] = [rpc.server_interceptor()]
    if settings.api_tokens:
        interceptors.append(BearerTokenInterceptor(settings.api_tokens))
    interceptors.append(gate)
    # Innermost, so that a refused call's bytes are not even decoded.
    interceptors.append(MalformedMessageInterceptor())
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_connection_age_ms", MAX_CONNECTION_AGE_MS),
            ("grpc.max_connection_age_grace_ms", int(settings.deadline_seconds * 1000) + 5000),
            # gRPC shares a taken port by default: a second service would take half the calls.
            ("grpc.so_reuseport", 1 if settings.grpc_reuse_port else 0),
        ],
    )
    actions_pb2_grpc.add_ActionsServiceServicer_to_server(
        ActionsServicer(use_cases, settings.deadline_seconds), server
    )
    reflection.enable_server_reflection(
        (
            SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    return server


async def _wait_for_store(store: Store, wait_seconds: float) -> None:
    """Bring the store up to date, trying again while it cannot be reached, for at most
    `wait_seconds`: a database that starts with the service is waited for; one that never
    answers (a wrong address, a firewall) stops the program in one line, its password hidden."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + wait_seconds
    where, why = store.database.shown_url, "no answer"
    while True:
        try:
            async with asyncio.timeout_at(give_up):  # a connection that hangs is bounded too
                await store.prepare()
            return
        except StoreUnavailable as error:
            why = why_unavailable(error)
        except TimeoutError:
            pass  # the last answer (if any) says why
        left = give_up - loop.time()
        if left <= 0:
            raise ConfigError(f"STORE_URL: cannot reach {where} within {wait_seconds:g} s: {why}")
        log.warning("STORE_URL: cannot reach %s yet (%s); %.0f s left", where, why, left)
        await asyncio.sleep(min(STORE_RETRY_SECONDS, left))


def _gladly_client(
    settings: ServiceSettings, budget: SharedBudget, policy: RetryPolicy | None = None
) -> GladlyClient:
    return GladlyClient.create(
        settings.gladly_base_url,
        settings.gladly_api_user,
        settings.gladly_api_token,
        lookup_app_id=settings.gladly_lookup_app_id,
        policy=policy,
        gate=budget,
    )


def _deliverer(settings: ServiceSettings, store: Store, gladly: GladlyClient) -> TimelineDeliverer:
    policy = DeliveryPolicy(
        give_up_after=timedelta(seconds=settings.outbox_give_up_seconds),
        backoff=RetryPolicy(
            base_delay=settings.outbox_backoff_seconds,
            max_delay=settings.outbox_backoff_max_seconds,
        ),
        poll_seconds=settings.outbox_poll_seconds,
    )
    return TimelineDeliverer(store, gladly, policy)


async def serve(settings: ServiceSettings) -> None:
    stop_metrics = prometheus.serve(settings.metrics_listen) if settings.metrics_listen else None
    try:
        running = await start(settings)
        freeze_startup_heap()
        log.info("actions-service listening on %s:%d", settings.grpc_listen.host, running.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("actions-service stopping")
        await running.stop()
    finally:
        if stop_metrics is not None:
            stop_metrics()


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="actions-service", description="The Actions gRPC service (serves when no command)."
    )
    commands = parser.add_subparsers(dest="command")
    audit = commands.add_parser(
        "audit", help="recent audit rows and undelivered timeline entries (reads STORE_URL)"
    )
    audit.add_argument("--json", action="store_true", help="JSON instead of tables")
    audit.add_argument("--limit", type=int, default=20, help="at most this many rows (20)")
    audit.add_argument(
        "--failed", action="store_true", help="only failed attempts and given-up entries"
    )
    return parser.parse_args(argv)


def _check_addresses(settings: ServiceSettings) -> None:
    """Bind each address once before anything starts, so that a taken port or an address that
    is not this machine's is told in one line (gRPC's own failure comes with its C-core log)."""
    listening_socket(
        "ACTIONS_GRPC_LISTEN", settings.grpc_listen, share_port=settings.grpc_reuse_port
    ).close()
    if settings.metrics_listen is not None:
        listening_socket("METRICS_LISTEN", settings.metrics_listen).close()


def main(argv: Sequence[str] | None = None) -> None:
    arguments = _arguments(argv)
    try:
        settings = ServiceSettings.from_env()
        # The audit command prints its table and nothing else: warnings and errors only (the
        # store's migration would log each step).
        level = logging.WARNING if arguments.command == "audit" else logging.INFO
        configure_logging(settings.log_format, "actions-service", level)
        if arguments.command == "audit":
            asyncio.run(
                audit_command.show(
                    settings.store_url,
                    sys.stdout,
                    as_json=arguments.json,
                    limit=arguments.limit,
                    failed_only=arguments.failed,
                )
            )
        else:
            _check_addresses(settings)
            telemetry = configure(settings, "actions-service")
            try:
                asyncio.run(serve(settings))
            finally:
                telemetry.shutdown()  # the spans of the last calls are sent
    except ConfigError as error:
        print(f"actions-service: {error}", file=sys.stderr)
        sys.exit(2)
    except StoreUnavailable as error:  # `audit`: the store did not answer
        print(f"actions-service: STORE_URL: {why_unavailable(error)}", file=sys.stderr)
        sys.exit(1)
