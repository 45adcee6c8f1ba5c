"""The gateway as one Starlette app: routes, the guard in front of `/gladly/*`, error answers,
all inside the request's trace (`tracing.instrumented`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from common.config import GatewaySettings
from common.telemetry import prometheus
from gateway import action_endpoints
from gateway.errors import EXCEPTION_HANDLERS, error_response
from gateway.guard import GladlyGuard
from gateway.lookup import lookup
from gateway.openapi import openapi_json
from gateway.rpc import ActionsClient, client_of
from gateway.tracing import instrumented
from gateway.wire import Health, WireResponse


async def healthz(request: Request) -> Response:
    return WireResponse(Health(status="ok"))


async def readyz(request: Request) -> Response:
    if await client_of(request).ready():
        return WireResponse(Health(status="ok"))
    return error_response(503, "Service Unavailable", "The actions service is not serving.")


async def metrics(request: Request) -> Response:
    return Response(prometheus.exposition(), media_type=prometheus.CONTENT_TYPE)


ROUTES = [
    Route("/gladly/lookup", lookup, methods=["POST"]),
    # Each action's form and action URLs, and the URLs of cards rendered before them.
    *action_endpoints.routes(),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/openapi.json", openapi_json, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]


def create_app(settings: GatewaySettings, on_stopped: Callable[[], None] = lambda: None) -> ASGIApp:
    """The app; `on_stopped` runs when it has stopped serving (the program flushes its spans:
    uvicorn ends the process by re-raising SIGTERM, so nothing after `run` would)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # One channel per process, opened inside the serving event loop.
        client = ActionsClient.connect(
            settings.grpc_target,
            settings.deadline_seconds,
            settings.api_token,
            lb_policy=settings.grpc_lb_policy,
        )
        app.state.actions = client
        app.state.lookup_deadline = settings.lookup_deadline_seconds
        try:
            yield
        finally:
            await client.close()
            on_stopped()

    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(GladlyGuard, keys=settings.gladly_signing_keys)],
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
    )
    # Starlette would answer `/healthz/` with a redirect to a URL built from the Host header
    # (an open redirect to any host a caller names); a path that is not a route is a 404.
    app.router.redirect_slashes = False
    return instrumented(app)
