"""Gladly's REST API as the Actions service uses it: customer profiles (their link to
Ordergroove), conversations and timeline entries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.gladly_sandbox.items import InvalidItemError, parse_item
from services.gladly_sandbox.responses import errors_response, json_body, not_found
from services.gladly_sandbox.state import NotFoundError, SandboxState, TakenError


def api_routes(state: SandboxState) -> list[Route]:
    """Routes under `/api/v1`; auth, rate limit and faults are the front door's job."""

    async def add_item(request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        payload = await json_body(request)
        try:
            state.customer(customer_id)
            new = parse_item(payload)
            item = state.add_item(customer_id, new.id, new.content)
        except NotFoundError:
            return not_found("customer")
        except InvalidItemError as invalid:
            return JSONResponse({"errors": invalid.errors}, status_code=400)
        except TakenError:
            return errors_response(409, "taken", "an item with this id already exists", "id")
        return JSONResponse(item.to_json())

    async def customer_profile(request: Request) -> Response:
        try:
            customer = state.customer(request.path_params["customer_id"])
        except NotFoundError:
            return not_found("customer")
        return JSONResponse(customer.to_json())

    async def customer_conversations(request: Request) -> Response:
        try:
            conversations = state.conversations_of(request.path_params["customer_id"])
        except NotFoundError:
            return not_found("customer")
        return JSONResponse([c.to_json() for c in conversations])

    async def conversation(request: Request) -> Response:
        try:
            found = state.conversation(request.path_params["conversation_id"])
        except NotFoundError:
            return not_found("conversation")
        return JSONResponse(found.to_json())

    return [
        Route("/api/v1/customers/{customer_id}/conversation-items", add_item, methods=["POST"]),
        Route("/api/v1/customer-profiles/{customer_id}", customer_profile, methods=["GET"]),
        Route(
            "/api/v1/customers/{customer_id}/conversations",
            customer_conversations,
            methods=["GET"],
        ),
        Route("/api/v1/conversations/{conversation_id}", conversation, methods=["GET"]),
    ]
