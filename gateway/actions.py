"""The action endpoints behind the card's buttons: the forms (GET) and the actions (POST).

Every id the gateway needs is in the path, which the signature covers. The Gladly customer id is
passed on as the action's context; the service resolves the Ordergroove customer it is linked to.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from actions.v1 import actions_pb2 as pb
from gateway import card, forms
from gateway.errors import AGENT_ACTIONABLE, error_response, failure_response
from gateway.guard import wire_path
from gateway.payloads import Json, json_object, optional_string
from gateway.rpc import RpcFailure, client_of

# Fixed for ever: changing it would give a retried submission a new request_id.
REQUEST_ID_NAMESPACE: Final = uuid.UUID("9b7f3c1e-5d2a-4c8e-a6f0-2e4b8d1c7a35")
AGENT_HEADER: Final = "Gladly-Agent-Id"
CONVERSATION_HEADER: Final = "Gladly-Conversation-Id"


def request_id(method: str, raw_path: str, body: bytes, context: pb.ActionContext) -> str:
    """The AIP-155 request_id of a submission: the same for Gladly's retry of it (a new
    Gladly-Time and signature; the same method, path, body and context headers), different
    for any other. The context is in it because the service counts it as part of the request."""
    digest = hashlib.sha256(body).hexdigest()
    name = f"{method} {raw_path} {digest} {context.agent_id} {context.conversation_id}"
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, name))


async def cancel_form(request: Request) -> Response:
    gladly_customer_id, subscription_id = _ids(request)
    # Only the merchant's own codes can be sent: without them there is no form to offer.
    reasons = await client_of(request).list_cancel_reasons()
    action_url = card.cancel_form_url(gladly_customer_id, subscription_id)
    return JSONResponse(forms.cancel_form(action_url, reasons))


async def skip_form(request: Request) -> Response:
    gladly_customer_id, subscription_id = _ids(request)
    found = await client_of(request).get_subscriptions(
        pb.GetSubscriptionsRequest(gladly_customer_id=gladly_customer_id)
    )
    if not found.linked:
        return error_response(
            400,
            AGENT_ACTIONABLE["CUSTOMER_NOT_LINKED"],
            "This Gladly customer is not linked to an Ordergroove customer.",
        )
    subscription = next(
        (s for s in found.subscriptions if s.subscription_id == subscription_id), None
    )
    if subscription is None:
        return error_response(
            404, "Subscription not found", f"No subscription {subscription_id} for this customer."
        )
    if pb.ACTION_SKIP not in subscription.available_actions:
        return error_response(
            400,
            "Nothing to skip",
            f"Subscription {subscription_id} has no order that can be skipped now.",
        )
    order_id = subscription.next_order.order_id
    action_url = card.skip_action_url(gladly_customer_id, subscription_id, order_id)
    return JSONResponse(forms.skip_form(action_url, subscription))


async def cancel(request: Request) -> Response:
    gladly_customer_id, subscription_id = _ids(request)
    body = await request.body()
    payload = json_object(body)
    context = _context(request, payload, gladly_customer_id)
    try:
        response = await client_of(request).cancel_subscription(
            pb.CancelSubscriptionRequest(
                subscription_id=subscription_id,
                reason_code=optional_string(payload, forms.REASON_ATTR),
                reason_details=optional_string(payload, forms.DETAILS_ATTR),
                request_id=_request_id_of(request, body, context),
                context=context,
            )
        )
    except RpcFailure as failure:
        return failure_response(failure, forms.CANCEL_FIELD_ATTRS)
    return JSONResponse({"message": "Subscription cancelled", "detail": response.summary})


async def skip(request: Request) -> Response:
    gladly_customer_id, subscription_id = _ids(request)
    body = await request.body()
    payload = json_object(body, allow_empty=True)  # the skip form has no inputs
    context = _context(request, payload, gladly_customer_id)
    response = await client_of(request).skip_next_order(
        pb.SkipNextOrderRequest(
            subscription_id=subscription_id,
            order_id=request.path_params["order_id"],
            request_id=_request_id_of(request, body, context),
            context=context,
        )
    )
    return JSONResponse({"message": "Next order skipped", "detail": response.summary})


def _ids(request: Request) -> tuple[str, str]:
    return request.path_params["gladly_customer_id"], request.path_params["subscription_id"]


def _request_id_of(request: Request, body: bytes, context: pb.ActionContext) -> str:
    return request_id(request.method, wire_path(request.scope), body, context)


def _context(request: Request, payload: Json, gladly_customer_id: str) -> pb.ActionContext:
    """Who acts where: the body's keys win over the headers; both are optional."""
    return pb.ActionContext(
        gladly_customer_id=gladly_customer_id,
        agent_id=optional_string(payload, "agentId")
        or request.headers.get(AGENT_HEADER, "").strip(),
        conversation_id=optional_string(payload, "conversationId")
        or request.headers.get(CONVERSATION_HEADER, "").strip(),
    )
