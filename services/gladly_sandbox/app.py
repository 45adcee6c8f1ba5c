"""The Gladly sandbox as one Starlette app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from common.runtime import client_gone
from services.gladly_sandbox.api import api_routes
from services.gladly_sandbox.console import ConsoleSettings, console_routes
from services.gladly_sandbox.control import control_routes
from services.gladly_sandbox.faults import Faults
from services.gladly_sandbox.frontdoor import FrontDoor
from services.gladly_sandbox.ratelimit import RateLimiter
from services.gladly_sandbox.responses import errors_response
from services.gladly_sandbox.state import DEFAULT_LOOKUP_APP_ID, SandboxState

DEFAULT_API_USER = "sandbox@example.com"
DEFAULT_API_TOKEN = "sandbox-token"  # noqa: S105 - the documented local default, not a secret
GLADLY_RATE_LIMIT = 10  # requests per second per method, as Gladly documents


def create_app(
    api_user: str = DEFAULT_API_USER,
    api_token: str = DEFAULT_API_TOKEN,
    rate_limit: int = GLADLY_RATE_LIMIT,
    lookup_app_id: str = DEFAULT_LOOKUP_APP_ID,
    console: ConsoleSettings | None = None,
) -> Starlette:
    state = SandboxState(lookup_app_id=lookup_app_id)
    faults, limiter = Faults(), RateLimiter(rate_limit)
    front_door = Middleware(
        FrontDoor,
        state=state,
        faults=faults,
        limiter=limiter,
        api_user=api_user,
        api_token=api_token,
    )
    return Starlette(
        routes=api_routes(state)
        + control_routes(state, faults, limiter)
        # The agent console at the root: what an agent sees, acting as Gladly towards the gateway.
        + console_routes(state, console or ConsoleSettings()),
        middleware=[front_door],
        exception_handlers={HTTPException: _http_error, ClientDisconnect: client_gone},
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes and methods answer with Gladly's error shape, not Starlette's plain text."""
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "invalid"
    return errors_response(exc.status_code, code, exc.detail)
