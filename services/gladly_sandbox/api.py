"""Gladly's REST API as the Actions service uses it: customer profiles (their link to
Ordergroove), conversations and timeline entries. Shapes from reference/gladly.md §4."""

from __future__ import annotations

from urllib.parse import quote

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
CUSTOMER_ITEMS = "/api/v1/customers/{customer_id}/conversation-items"


def api_routes(state: SandboxState) -> list[Route]:
    """Routes under `/api/v1`; auth, rate limit and faults are the front door's job."""

    def moved(request: Request, attr: str, location: str = "") -> Response | None:
        """301 for a merged customer, as Gladly's OpenAPI shows it: `{"errors": [{"attr",
        "code": "moved", "detail", "meta": {"old", "new"}}]}`, the surviving id in `meta.new`.
        Only the timeline post documents a `Location` too (the surviving customer's items URL,
        absolute); the profile read documents none. The conversations list documents no 301:
        it is answered like the profile read (reference/gladly.md §4, *unverified* there)."""
        old = request.path_params["customer_id"]
        survivor = state.survivor_of(old)
        if survivor is None:
            return None
        error = {
            "attr": attr,
            "code": "moved",
            "detail": f"the customer id has changed from [{old}] to [{survivor}]",
            "meta": {"old": old, "new": survivor},
        }
        headers = {}
        if location:
            path = location.format(customer_id=quote(survivor, safe=""))
            headers["Location"] = str(request.url.replace(path=path, query=""))
        return JSONResponse({"errors": [error]}, status_code=301, headers=headers)

    async def add_item(request: Request) -> Response:
        if (redirect := moved(request, "customer id", CUSTOMER_ITEMS)) is not None:
            return redirect
        customer_id = request.path_params["customer_id"]
        payload = await json_body(request)
        try:
            state.customer(customer_id)
            new = parse_item(payload, state.now())
            item = state.add_item(customer_id, new.id, new.content)
        except NotFoundError:
            return not_found("customer")
        except InvalidItemError as invalid:
            return JSONResponse({"errors": invalid.errors}, status_code=400)
        except TakenError:
            # Gladly's OpenAPI example of this 409, attr and words as documented.
            return errors_response(
                409, "taken", "conversation item already exists", "newConversationItems"
            )
        return JSONResponse(item.to_json())

    async def customer_profile(request: Request) -> Response:
        if (redirect := moved(request, "customerId")) is not None:
            return redirect
        customer_id = request.path_params["customer_id"]
        try:
            customer = state.customer(customer_id)
        except NotFoundError:
            # Gladly's OpenAPI example: code `not_exist`, "customer profile [id] does not exist".
            return not_found(f"customer profile [{customer_id}]")
        return JSONResponse(customer.to_json(state.lookup_app_id))

    async def customer_conversations(request: Request) -> Response:
        if (redirect := moved(request, "customerId")) is not None:
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
        Route(CUSTOMER_ITEMS, add_item, methods=["POST"]),
        Route("/api/v1/customer-profiles/{customer_id}", customer_profile, methods=["GET"]),
        Route(
            "/api/v1/customers/{customer_id}/conversations",
            customer_conversations,
            methods=["GET"],
        ),
        Route("/api/v1/conversations/{conversation_id}", conversation, methods=["GET"]),
    ]
