"""The ASGI application: Ordergroove's API at the root, the sandbox's switches under /_sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from common.config import OrdergrooveSandboxSettings
from common.runtime import client_gone
from services.ordergroove_sandbox import api
from services.ordergroove_sandbox.control import control_routes
from services.ordergroove_sandbox.dates import Instant, system_instant
from services.ordergroove_sandbox.faults import METHODS
from services.ordergroove_sandbox.state import Sandbox

DEFAULT_API_KEY = "sandbox-api-key"
DEFAULT_PUBLIC_URL = OrdergrooveSandboxSettings().public


def create_app(
    api_key: str = DEFAULT_API_KEY,
    seed_demo: bool = True,
    public_url: str = DEFAULT_PUBLIC_URL,
    instant: Instant = system_instant,
) -> Starlette:
    """`instant` is the moment it is: tests pin it to see the sandbox at a given time."""
    sandbox = Sandbox(api_key, public_url, seed_demo, instant)

    async def ordergroove(request: Request) -> Response:
        return await api.handle(request, sandbox)

    app = Starlette(
        routes=[
            Mount("/_sandbox", routes=control_routes(sandbox)),
            # Everything else is Ordergroove's: its own pipeline decides slashes, auth and 404s.
            Route("/{path:path}", ordergroove, methods=list(METHODS)),
        ],
        exception_handlers={ClientDisconnect: client_gone},
    )
    app.state.sandbox = sandbox
    return app
