"""The service's parts, built from its settings: the outbound clients, the timeline deliverer,
the use cases and the gRPC server that serves them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final
from zoneinfo import ZoneInfo

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from actions.v1 import actions_pb2, actions_pb2_grpc
from common.config import ServiceSettings
from common.telemetry import rpc
from services.actions_service.catalogue.base import Discounts
from services.actions_service.deliverer import DeliveryPolicy, TimelineDeliverer
from services.actions_service.gladly import SYSTEM as GLADLY
from services.actions_service.gladly import GladlyClient
from services.actions_service.interceptors import (
    BearerTokenInterceptor,
    MalformedMessageInterceptor,
    StartingGate,
)
from services.actions_service.ledger import Ledger
from services.actions_service.ordergroove import OrdergrooveClient
from services.actions_service.ratelimit import SharedBudget
from services.actions_service.servicer import ActionsServicer
from services.actions_service.store import Store
from services.actions_service.upstream import RetryPolicy
from services.actions_service.use_cases import UseCases

SERVICE_NAME = actions_pb2.DESCRIPTOR.services_by_name["ActionsService"].full_name
# An action's lease outlasts its deadline by this much, so only a dead attempt loses its lease.
LEASE_GRACE_SECONDS: Final = 2.0
# Clients balancing over the replicas (round_robin over a headless Service) learn of new ones
# only when they resolve the name again: a connection is closed after this long (its calls
# finish first), so load spreads to replicas that were added.
MAX_CONNECTION_AGE_MS: Final = 5 * 60 * 1000


@dataclass
class Parts:
    """What serving needs besides the server: the use cases, the clients to close at the end,
    and the deliverer of timeline entries (None without Gladly's API)."""

    use_cases: UseCases
    clients: list[OrdergrooveClient | GladlyClient]
    deliverer: TimelineDeliverer | None


def parts(settings: ServiceSettings, store: Store) -> Parts:
    """The use cases over the store and clients to Ordergroove and (when configured) Gladly."""
    ordergroove = OrdergrooveClient.create(
        settings.ordergroove_base_url,
        settings.ordergroove_api_key,
        timezone=ZoneInfo(settings.ordergroove_timezone),
        merchant_id=settings.merchant_id,
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
        discounts=Discounts(
            enabled=settings.discounts_enabled,
            max_amount=settings.discount_max_amount,
            max_percent=settings.discount_max_percent,
        ),
        swap_products=settings.swap_products,
    )
    return Parts(use_cases, clients, deliverer)


def grpc_server(
    settings: ServiceSettings, use_cases: UseCases, gate: StartingGate
) -> grpc.aio.Server:
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
