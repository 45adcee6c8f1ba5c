"""Gladly's REST API as the Actions service uses it: customer profiles (their link to
Ordergroove), conversations and timeline entries. Shapes from reference/gladly.md §4."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.gladly_sandbox.items import InvalidItemError, parse_item
from services.gladly_sandbox.responses import errors_response, json_body, not_found
from services.gladly_sandbox.state import NotFoundError, SandboxState, TakenError

# Gladly lists at most 100 of a customer's conversations, oldest first, and says so with this
# header when there are more (reference/gladly.md §4).
CONVERSATIONS_LIMIT = 100
LIMITED_DATA_HEADER = "Gladly-Limited-Data"


def api_routes(state: SandboxState) -> list[Route]:
    """Routes under `/api/v1`; auth, rate limit and faults are the front door's job."""

    def moved(request: Request) -> Response | None:
        """301 for a merged customer: the surviving id in `Location` and in `meta.new`
        (reference/gladly.md §4: profile reads and timeline posts; the conversations list is
        answered alike by analogy, *unverified*)."""
        old = request.path_params["customer_id"]
        survivor = state.survivor_of(old)
        if survivor is None:
            return None
        location = request.url.path.replace(f"/{old}", f"/{survivor}", 1)
        return JSONResponse(
            {"meta": {"old": old, "new": survivor}},
            status_code=301,
            headers={"Location": location},
        )

    async def add_item(request: Request) -> Response:
        if (redirect := moved(request)) is not None:
            return redirect
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
            # The documented shape: {"errors": [{"attr": "id", "code": "taken", ...}]}.
            return errors_response(409, "taken", "an item with this id already exists", "id")
        return JSONResponse(item.to_json())

    async def customer_profile(request: Request) -> Response:
        if (redirect := moved(request)) is not None:
            return redirect
        try:
            customer = state.customer(request.path_params["customer_id"])
        except NotFoundError:
            # An unknown customer is 404 with code `not_exist` (reference/gladly.md §4).
            return errors_response(404, "not_exist", "customer does not exist", "id")
        return JSONResponse(customer.to_json(state.lookup_app_id))

    async def customer_conversations(request: Request) -> Response:
        if (redirect := moved(request)) is not None:
            return redirect
        try:
            conversations = state.conversations_of(request.path_params["customer_id"])
        except NotFoundError:
            return not_found("customer")
        shown = conversations[:CONVERSATIONS_LIMIT]  # oldest first: the newest are cut off
        response = JSONResponse([c.to_json() for c in shown])
        if len(conversations) > CONVERSATIONS_LIMIT:
            response.headers[LIMITED_DATA_HEADER] = "true"
        return response

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
