"""`/_sandbox/` control API (no auth): set up customers, read what arrived, switch faults on."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.gladly_sandbox.faults import Faults, parse_fault
from services.gladly_sandbox.ratelimit import RateLimiter
from services.gladly_sandbox.responses import errors_response, json_body, not_found
from services.gladly_sandbox.state import (
    CONVERSATION_STATUSES,
    OPEN,
    NotFoundError,
    SandboxState,
    TakenError,
)


def control_routes(state: SandboxState, faults: Faults, limiter: RateLimiter) -> list[Route]:
    async def add_customer(request: Request) -> Response:
        payload = await json_body(request)
        reason = _customer_payload_error(payload)
        if reason:
            return errors_response(400, "invalid", reason)
        try:
            customer = state.add_customer(
                payload["id"],
                payload.get("emails"),
                payload.get("externalCustomerId"),
                legacy_link=payload.get("legacyLink") is True,
            )
        except TakenError:
            return errors_response(409, "taken", "a customer with this id exists", "id")
        if payload.get("conversation"):
            state.open_conversation(customer.id, payload["conversation"])
        return JSONResponse(_customer_json(state, customer.id), status_code=201)

    async def open_conversation(request: Request) -> Response:
        """Optional body `{"status": "OPEN"|"WAITING"|"CLOSED", "count": n}`: n conversations
        (a long history), oldest first; answers the last one opened."""
        payload = await json_body(request) or {}
        status, count = payload.get("status", OPEN), payload.get("count", 1)
        if status not in CONVERSATION_STATUSES or not isinstance(count, int) or count < 1:
            detail = "status must be OPEN, WAITING or CLOSED; count a whole number ≥ 1"
            return errors_response(400, "invalid", detail)
        try:
            for _ in range(count):
                conversation = state.open_conversation(request.path_params["customer_id"], status)
        except NotFoundError:
            return not_found("customer")
        return JSONResponse(conversation.to_json(), status_code=201)

    async def merge_customer(request: Request) -> Response:
        payload = await json_body(request)
        into = payload.get("into") if isinstance(payload, dict) else None
        if not isinstance(into, str):
            return errors_response(400, "invalid", "into must name the surviving customer")
        try:
            state.merge(request.path_params["customer_id"], into)
        except NotFoundError:
            return not_found("customer")
        except TakenError:
            return errors_response(400, "invalid", "a customer cannot be merged into itself")
        return Response(status_code=204)

    async def close_conversations(request: Request) -> Response:
        try:
            closed = state.close_conversations(request.path_params["customer_id"])
        except NotFoundError:
            return not_found("customer")
        return JSONResponse([c.to_json() for c in closed])

    async def customer_timeline(request: Request) -> Response:
        try:
            items = state.timeline(request.path_params["customer_id"])
        except NotFoundError:
            return not_found("customer")
        return JSONResponse([item.to_json() for item in items])

    async def timeline(request: Request) -> Response:
        return JSONResponse([item.to_json() for item in state.timeline()])

    async def add_fault(request: Request) -> Response:
        try:
            fault = parse_fault(await json_body(request))
        except ValueError as invalid:
            return errors_response(400, "invalid", str(invalid))
        faults.add(fault)
        return JSONResponse(fault.to_json(), status_code=201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse(faults.to_json())

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        state.reset()
        faults.clear()
        limiter.reset()
        return Response(status_code=204)

    async def journal(request: Request) -> Response:
        return JSONResponse([entry.to_json() for entry in state.journal])

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return [
        Route("/_sandbox/customers", add_customer, methods=["POST"]),
        Route(
            "/_sandbox/customers/{customer_id}/conversations", open_conversation, methods=["POST"]
        ),
        Route("/_sandbox/customers/{customer_id}/merge", merge_customer, methods=["POST"]),
        Route(
            "/_sandbox/customers/{customer_id}/close-conversations",
            close_conversations,
            methods=["POST"],
        ),
        Route("/_sandbox/customers/{customer_id}/timeline", customer_timeline, methods=["GET"]),
        Route("/_sandbox/timeline", timeline, methods=["GET"]),
        Route("/_sandbox/faults", add_fault, methods=["POST"]),
        Route("/_sandbox/faults", list_faults, methods=["GET"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/requests", journal, methods=["GET"]),
        Route("/_sandbox/healthz", healthz, methods=["GET"]),
    ]


def _customer_payload_error(payload: Any) -> str | None:
    """Why a `POST /_sandbox/customers` body is unusable, or None."""
    if not isinstance(payload, dict):
        return "the body must be a JSON object"
    if not isinstance(payload.get("id"), str) or not payload["id"]:
        return "id must be a non-empty string"
    emails = payload.get("emails", [])
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
        return "emails must be a list of strings"
    if not isinstance(payload.get("externalCustomerId"), str | None):
        return "externalCustomerId must be a string"
    if not isinstance(payload.get("legacyLink", False), bool):
        return "legacyLink must be true or false"
    if payload.get("conversation") not in (None, *CONVERSATION_STATUSES):
        return f"conversation must be null or one of {', '.join(CONVERSATION_STATUSES)}"
    return None


def _customer_json(state: SandboxState, customer_id: str) -> dict[str, Any]:
    conversations = state.conversations_of(customer_id)
    return state.customer(customer_id).to_json(state.lookup_app_id) | {
        "conversations": [c.to_json() for c in conversations]
    }
