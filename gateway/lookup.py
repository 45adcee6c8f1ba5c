"""`POST /gladly/lookup`: Gladly's lookup adaptor, answered from GetSubscriptions.

BASIC finds the Ordergroove customers matching any of the e-mails or the external id (one
concurrent call each, results de-duplicated); DETAILED reads the full card of the one linked
customer. Nothing is cached: a lookup after an action shows the new state.
"""

from __future__ import annotations

import asyncio
from typing import Final

import grpc
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actions.v1 import actions_pb2 as pb
from gateway import card
from gateway.errors import InvalidRequest
from gateway.payloads import Json, json_object, optional_object, optional_string, string_list
from gateway.rpc import ActionsClient, RpcFailure, client_of

LOOKUP_LEVELS: Final = ("BASIC", "DETAILED")
MAX_EMAILS: Final = 10


async def lookup(request: Request) -> Response:
    payload = json_object(await request.body())
    level = payload.get("lookupLevel")
    if level not in LOOKUP_LEVELS:
        raise InvalidRequest("lookupLevel must be BASIC or DETAILED.", "lookupLevel")
    query = optional_object(payload, "query")
    client = client_of(request)
    results = await (basic(client, query) if level == "BASIC" else detailed(client, query))
    return JSONResponse({"results": results})


async def basic(client: ActionsClient, query: Json) -> list[Json]:
    emails = string_list(query, "emails", MAX_EMAILS)
    emails.append(optional_string(query, "email"))
    external_id = optional_string(query, "externalCustomerId")
    view = pb.SUBSCRIPTIONS_VIEW_BASIC  # the customer and the counts: no orders, no products
    searches = [
        pb.GetSubscriptionsRequest(email=email, view=view)
        for email in dict.fromkeys(filter(None, emails))
    ]
    if external_id:
        searches.append(pb.GetSubscriptionsRequest(customer_id=external_id, view=view))
    # Every search runs to its end before a failure is raised: no call is left behind.
    answers = await asyncio.gather(*(_find(client, s) for s in searches), return_exceptions=True)
    results: dict[str, Json] = {}
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
        if answer is not None:
            results.setdefault(answer.customer.customer_id, card.customer_result(answer))
    return list(results.values())


async def detailed(client: ActionsClient, query: Json) -> list[Json]:
    external_id = optional_string(query, "externalCustomerId")
    gladly_customer_id = optional_string(query, "id")
    if not external_id:
        return []  # not linked: nothing to show
    found = await _find(client, pb.GetSubscriptionsRequest(customer_id=external_id))
    return [card.detailed_result(found, gladly_customer_id)] if found else []


async def _find(
    client: ActionsClient, request: pb.GetSubscriptionsRequest
) -> pb.GetSubscriptionsResponse | None:
    """The linked customer, or None when there is none; a malformed key cannot match anyone."""
    try:
        found = await client.get_subscriptions(request)
    except RpcFailure as failure:
        if failure.code is grpc.StatusCode.INVALID_ARGUMENT:
            return None
        raise
    return found if found.linked else None
