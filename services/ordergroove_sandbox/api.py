"""The request pipeline in front of Ordergroove's endpoints.

In order: journal the request, apply a fault rule (latency, then an error or a hang, before or
after the real work), then do what Ordergroove does: insist on the trailing slash, check the API
key, pick the endpoint, render its JSON or its Django-REST-style error.
"""

from __future__ import annotations

import asyncio
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from services.ordergroove_sandbox.errors import ApiError, not_found
from services.ordergroove_sandbox.faults import Rule, fault_body
from services.ordergroove_sandbox.journal import Entry
from services.ordergroove_sandbox.resources import Answer, Call, Endpoint, Resource, resolve
from services.ordergroove_sandbox.state import Sandbox
from services.ordergroove_sandbox.switches import ApiKey

NOT_AUTHENTICATED = "Authentication credentials were not provided."
# Reference ordergroove.md, "Failures": 403 `{"detail": "Authentication Failed"}`.
AUTHENTICATION_FAILED = "Authentication Failed"
# Recorded data/pull/items/api_error: 401.
KEY_REVOKED = "The provided API key is invalid or has been revoked."
# Sent to nobody: the client of a hung request has already gone away.
CLIENT_GONE = 499


async def handle(request: Request, sandbox: Sandbox) -> Response:
    entry = sandbox.journal.record(request.method, request.url.path, request.url.query)
    entry.body = (await request.body()).decode(errors="replace")
    rule = sandbox.faults.take(request.method, request.url.path)
    response = await _answer(request, sandbox, rule, entry)
    if response is None:
        # The journal shows when the client gave up, so callers can check that no request of
        # theirs outlives their deadline.
        entry.status = CLIENT_GONE
        return Response(status_code=CLIENT_GONE)
    entry.status = response.status_code
    return response


async def _answer(
    request: Request, sandbox: Sandbox, rule: Rule | None, entry: Entry
) -> Response | None:
    if rule is None:
        return await _performed(request, sandbox, entry)
    if rule.latency_ms:
        await asyncio.sleep(rule.latency_ms / 1000)
    failing = rule.hang or rule.status is not None
    if failing and not rule.after:
        return await _fail(request, rule)
    response = await _performed(request, sandbox, entry)
    if failing:
        # The operation happened, but its answer is lost: what a client sees when a write
        # succeeds and the connection fails before the reply arrives.
        return await _fail(request, rule)
    return response


async def _performed(request: Request, sandbox: Sandbox, entry: Entry) -> Response:
    """Served, and its place in the order of operations taken in the same step (the body was
    read before: nothing is awaited between the operation and the stamp)."""
    response = await _serve(request, sandbox)
    sandbox.journal.performed(entry, response.status_code)
    return response


async def _fail(request: Request, rule: Rule) -> Response | None:
    if rule.hang:
        await _until_disconnected(request)
        return None
    status = rule.status or 500
    headers = {"Retry-After": "1"} if status == 429 else None
    return JSONResponse(fault_body(status), status, headers=headers)


async def _until_disconnected(request: Request) -> None:
    """Hang without blocking the loop; returns once the client closes the connection (and is
    cancelled with everything else when the server stops)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def as_customer(request: Request, sandbox: Sandbox) -> Response:
    """`/_sandbox/as-customer/<Ordergroove path>`: what a customer does on the merchant's
    website, which reaches Ordergroove's data by its own way: the same endpoints and rules, no
    API key, no fault and no journal entry (the journal shows what API clients sent)."""
    return await _serve(request, sandbox, request.path_params["path"], authenticate=False)


async def _serve(
    request: Request, sandbox: Sandbox, path: str | None = None, *, authenticate: bool = True
) -> Response:
    path = request.url.path if path is None else "/" + path
    try:
        found = resolve(path)
        if found is None:
            return _slash_redirect(request)
        resource, params = found
        if authenticate:
            _authenticate(request, sandbox)
        endpoint = _endpoint(resource, request.method)
        call = Call(
            store=sandbox.store,
            params=params,
            url=request.url,
            cursor_pages=request.headers.get("x-og-api-version", "").strip() == "2",
            body=await request.body(),
        )
        answer = endpoint(call)
        return answer.response() if isinstance(answer, Answer) else JSONResponse(answer)
    except ApiError as error:
        return error.response()


def _slash_redirect(request: Request) -> Response:
    """Like Django's APPEND_SLASH: only a GET is redirected, and only to a path that exists."""
    path = request.url.path
    if path.endswith("/") or resolve(path + "/") is None or request.method != "GET":
        raise not_found()
    raw_path = request.scope.get("raw_path") or path.encode()
    location = raw_path.decode("latin-1") + "/"
    if request.url.query:
        location += "?" + request.url.query
    return RedirectResponse(location, status_code=301)


def _authenticate(request: Request, sandbox: Sandbox) -> None:
    given = request.headers.get("x-api-key", "")
    if not given:
        raise ApiError(401, {"detail": NOT_AUTHENTICATED})
    if not secrets.compare_digest(given.encode(), sandbox.api_key.encode()):
        raise ApiError(403, {"detail": AUTHENTICATION_FAILED})
    if sandbox.switches.api_key is ApiKey.REVOKED:
        raise ApiError(401, {"detail": KEY_REVOKED})


def _endpoint(resource: Resource, method: str) -> Endpoint:
    endpoint = resource.methods.get(method)
    if endpoint is None:
        allow = ", ".join([*resource.methods, "OPTIONS"])
        raise ApiError(405, {"detail": f'Method "{method}" not allowed.'}, {"Allow": allow})
    return endpoint
