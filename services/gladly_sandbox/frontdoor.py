"""What every `/api/` request meets before the routes: journal, rate limit, Basic auth, faults."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from services.gladly_sandbox.faults import Fault, Faults
from services.gladly_sandbox.ratelimit import Decision, RateLimiter
from services.gladly_sandbox.responses import errors_response
from services.gladly_sandbox.state import SandboxState

CLIENT_CLOSED_REQUEST = 499  # nginx's status for "the client went away first"


class FrontDoor(BaseHTTPMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        *,
        state: SandboxState,
        faults: Faults,
        limiter: RateLimiter,
        api_user: str,
        api_token: str,
    ) -> None:
        super().__init__(app)
        self._state = state
        self._faults = faults
        self._limiter = limiter
        self._credentials = f"{api_user}:{api_token}".encode()

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        entry = self._state.record(request.method, request.url.path)
        # The limit is per organisation, so it counts requests before knowing who sends them.
        decision = self._limiter.take(request.method)
        response = await self._answer(request, call_next, decision)
        response.headers["Ratelimit-Limit-Second"] = str(decision.limit)
        response.headers["Ratelimit-Remaining-Second"] = str(decision.remaining)
        entry.status = response.status_code
        return response

    async def _answer(
        self, request: Request, call_next: RequestResponseEndpoint, decision: Decision
    ) -> Response:
        if not decision.allowed:
            detail = f"more than {decision.limit} {request.method} requests in one second"
            return errors_response(429, "rate_limited", detail)
        if not self._authorized(request):
            response = errors_response(401, "unauthorized", "bad or missing Basic credentials")
            response.headers["WWW-Authenticate"] = 'Basic realm="Gladly"'
            return response
        fault = self._faults.take(request.method, request.url.path)
        if fault is None:
            return await call_next(request)
        return await _faulty_answer(fault, request, call_next)

    def _authorized(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            return False
        return scheme.lower() == "basic" and hmac.compare_digest(given, self._credentials)


async def _faulty_answer(
    fault: Fault, request: Request, call_next: RequestResponseEndpoint
) -> Response:
    await asyncio.sleep(fault.latency_ms / 1000)
    if fault.hang:
        # Hold the request like a stuck upstream until the client gives up.
        while (await request.receive())["type"] != "http.disconnect":
            pass  # the request body, if any: ignored
        return Response(status_code=CLIENT_CLOSED_REQUEST)  # nobody is left to read it
    if fault.status is not None:
        return errors_response(fault.status, "sandbox_fault", "fault injected by the sandbox")
    return await call_next(request)
