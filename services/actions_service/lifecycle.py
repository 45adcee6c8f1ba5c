"""Starting and stopping the service: it listens at once and says NOT_SERVING while it waits
for its store, opens when the store is ready, and on SIGTERM lets actions in flight finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import Final

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from common.config import ConfigError, ServiceSettings
from common.runtime import freeze_startup_heap
from common.telemetry import prometheus
from services.actions_service.deliverer import TimelineDeliverer
from services.actions_service.gladly import GladlyClient
from services.actions_service.interceptors import StartingGate
from services.actions_service.ordergroove import OrdergrooveClient
from services.actions_service.settler import Settler
from services.actions_service.store import Store, StoreUnavailable, utcnow
from services.actions_service.store.db import Database, why_unavailable
from services.actions_service.use_cases import UseCases
from services.actions_service.wiring import SERVICE_NAME, grpc_server, parts

log = logging.getLogger(__name__)

# On SIGTERM in-flight actions get their whole deadline, plus this long for their answers and
# records: cutting an action off mid-write would leave the agent a 503 for a change that was made.
SHUTDOWN_MARGIN_SECONDS: Final = 3.0
# How often a starting service tries its store again while it cannot reach it.
STORE_RETRY_SECONDS: Final = 1.0


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
    built = parts(settings, store)
    use_cases, clients, deliverer = built.use_cases, built.clients, built.deliverer
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
    server = grpc_server(settings, use_cases, gate)
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
