"""`GET /openapi.json`: every route of the gateway with its request and answer schemas.

Precise enough for a fuzzer: ids carry the service's id pattern, bodies their types and limits,
and every answer of a route is documented, errors included.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.actions import AGENT_HEADER, CONVERSATION_HEADER
from gateway.card import LEGACY_SUBSCRIPTION_ROUTE, SUBMISSION_ROUTE, SUBSCRIPTION_ROUTE
from gateway.forms import MAX_DETAILS
from gateway.guard import BODY_TOO_LARGE, MAX_BODY_BYTES
from gateway.lookup import LOOKUP_LEVELS
from gateway.payloads import Json

# The Actions service's id rule (services/actions_service/domain.py).
ID_PATTERN: Final = "^[A-Za-z0-9_.@+:-]{1,64}$"

_STRING: Final[Json] = {"type": "string"}
_ID: Final[Json] = {"type": "string", "pattern": ID_PATTERN}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object(required: list[str], properties: Json, *, extra: bool = False) -> Json:
    schema: Json = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        schema["required"] = required
    return schema


def _errors(*statuses: int) -> Json:
    """The error answers of a route; `default` covers the rest of the gRPC→HTTP table."""
    reasons = {
        400: "Invalid request, or refused for a reason the agent can act on",
        401: "Missing, malformed, expired or wrong Gladly signature; nothing was done",
        404: "No such route or subscription",
        405: "Method not allowed on this route",
        409: "The request id was used for another request",
        413: BODY_TOO_LARGE,
        503: "The actions service or Ordergroove is unavailable",
        504: "Not completed within the deadline",
    }
    answers = {str(status): _json(_ref("Errors"), reasons[status]) for status in statuses}
    return answers | {"default": _json(_ref("Errors"), "Any other failure")}


_GLADLY_ERRORS: Final = (400, 401, 404, 405, 413, 503, 504)

_SCHEMAS: Final[Json] = {
    "Errors": _object(
        ["errors"],
        {
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    ["message", "detail", "traceId"],
                    {
                        "message": _STRING,
                        "detail": _STRING,
                        "traceId": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                        "attr": _STRING,
                    },
                ),
            }
        },
    ),
    "LookupRequest": _object(
        ["lookupLevel"],
        {
            "lookupLevel": {"type": "string", "enum": list(LOOKUP_LEVELS)},
            "query": _object(
                [],
                {
                    "emails": {"type": "array", "items": _STRING},
                    "email": _STRING,
                    "phones": {"type": "array", "items": _STRING},
                    "name": _STRING,
                    "externalCustomerId": _STRING,
                    "id": _STRING,
                },
                extra=True,  # Gladly adds custom attributes as flat keys
            ),
            "uniqueMatchRequired": {"type": "boolean"},
        },
    ),
    "LookupResponse": _object(
        ["results"], {"results": {"type": "array", "items": _ref("LookupResult")}}
    ),
    "LookupResult": _object(
        ["externalCustomerId"],
        {
            "externalCustomerId": _STRING,
            "name": _STRING,
            "emails": {"type": "array", "items": _object(["original"], {"original": _STRING})},
            "phones": {"type": "array", "items": _object(["original"], {"original": _STRING})},
            "customAttributes": {"type": "object", "additionalProperties": _STRING},
            "transactions": {"type": "array", "items": _ref("SubscriptionCard")},
        },
    ),
    "SubscriptionCard": _object(
        ["type", "subscriptionId", "status", "quantity", "prepaid"],
        {
            "type": {"type": "string", "enum": ["SUBSCRIPTION"]},
            "subscriptionId": _STRING,
            "status": {"type": "string", "enum": ["ACTIVE", "CANCELLED", "INACTIVE", "UNKNOWN"]},
            **{
                key: {"type": "string", "format": "date-time"}
                for key in ("createdAt", "updatedAt", "cancelledAt")
            },
            # The merchant's calendar date, not an instant.
            "nextOrderDate": {"type": "string", "format": "date"},
            **dict.fromkeys(
                (
                    "frequency",
                    "nextOrderId",
                    "cancellationReason",
                    "cancellationReasonCode",
                    "cancellationDetails",
                    "price",
                    "currency",
                    "quantity",
                    "prepaid",
                    "prepaidOrdersRemaining",
                    "prepaidOrdersPerBilling",
                    "prepaidRenewalBehavior",
                    "productId",
                    "productName",
                    "productSku",
                    "productImageUrl",
                ),
                _STRING,
            ),
            "actions": {
                "type": "array",
                "items": _object(["name", "formUrl"], {"name": _STRING, "formUrl": _STRING}),
            },
        },
    ),
    "Form": _object(
        ["title", "submitButton", "closeButton", "actionUrl", "sections"],
        {
            "title": _STRING,
            "submitButton": _STRING,
            "closeButton": _STRING,
            "actionUrl": _STRING,
            "sections": {
                "type": "array",
                "items": {"oneOf": [_ref("TextSection"), _ref("InputSection")]},
            },
        },
    ),
    "TextSection": _object(
        ["type", "text"], {"type": {"type": "string", "enum": ["text"]}, "text": _STRING}
    ),
    "InputSection": _object(
        ["type", "label", "attr", "input"],
        {
            "type": {"type": "string", "enum": ["input"]},
            "label": _STRING,
            "attr": _STRING,
            "hint": _STRING,
            "defaultValue": _STRING,
            "input": _object(
                ["type"],
                {
                    "type": {"type": "string", "enum": ["text", "select", "checkbox"]},
                    "placeholder": _STRING,
                    "optional": {"type": "boolean"},
                    "options": {
                        "type": "array",
                        "items": _object(["text", "value"], {"text": _STRING, "value": _STRING}),
                    },
                },
            ),
        },
    ),
    "CancelSubmission": _object(
        ["reason"],
        {
            "reason": _STRING,
            "details": {"type": "string", "maxLength": MAX_DETAILS},
            "agentId": _STRING,
            "conversationId": _STRING,
        },
        extra=True,
    ),
    "SkipSubmission": _object([], {"agentId": _STRING, "conversationId": _STRING}, extra=True),
    "ActionResult": _object(["message", "detail"], {"message": _STRING, "detail": _STRING}),
    "Health": _object(["status"], {"status": {"type": "string", "enum": ["ok"]}}),
}


def _path_ids(*names: str) -> list[Json]:
    return [{"name": n, "in": "path", "required": True, "schema": _ID} for n in names]


_SUBMISSION_ID: Final[list[Json]] = [
    {
        "name": "submission_id",
        "in": "path",
        "required": True,
        "description": "Minted when the form was served: one per form, the same on a retry",
        "schema": {"type": "string", "format": "uuid"},
    }
]
# Only honoured when the request's signature covers them (SignedHeaders).
_CONTEXT_HEADERS: Final = [
    {"name": name, "in": "header", "required": False, "schema": _ID}
    for name in (AGENT_HEADER, CONVERSATION_HEADER)
]
_SIGNED: Final[list[Json]] = [{"gladlySignature": []}]


def _body(schema: str, *, required: bool = True) -> Json:
    return {
        "required": required,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _deprecated(route: Json) -> Json:
    """A URL of cards and forms served before the Ordergroove customer was in the path."""
    return route | {"deprecated": True}


def _form_route(summary: str, ids: list[Json]) -> Json:
    return {
        "summary": summary,
        "security": _SIGNED,
        "parameters": ids,
        "responses": {"200": _json(_ref("Form"), "The form")} | _errors(*_GLADLY_ERRORS),
    }


def _action_route(summary: str, ids: list[Json], body: Json) -> Json:
    return {
        "summary": summary,
        "security": _SIGNED,
        "parameters": ids + _CONTEXT_HEADERS,
        "requestBody": body,
        "responses": {"200": _json(_ref("ActionResult"), "Done")} | _errors(*_GLADLY_ERRORS, 409),
    }


def _probe(summary: str, statuses: tuple[int, ...]) -> Json:
    return {
        "get": {
            "summary": summary,
            "responses": {"200": _json(_ref("Health"), "OK")}
            | {str(s): _json(_ref("Errors"), "Not ready") for s in statuses},
        }
    }


def _document() -> Json:
    subscription = _path_ids("gladly_customer_id", "og_customer_id", "subscription_id")
    legacy = _path_ids("gladly_customer_id", "subscription_id")
    return {
        "openapi": "3.0.3",
        "info": {"title": "Ordergroove actions gateway for Gladly", "version": "1.0.0"},
        "paths": {
            "/gladly/lookup": {
                "post": {
                    "summary": "Gladly lookup adaptor (BASIC and DETAILED)",
                    "security": _SIGNED,
                    "requestBody": _body("LookupRequest"),
                    "responses": {"200": _json(_ref("LookupResponse"), "Matches")}
                    | _errors(*_GLADLY_ERRORS),
                }
            },
            f"{SUBSCRIPTION_ROUTE}/cancel": {"get": _form_route("The cancel form", subscription)},
            f"{SUBSCRIPTION_ROUTE}/cancel{SUBMISSION_ROUTE}": {
                "post": _action_route(
                    "Cancel the subscription (once per submission)",
                    subscription + _SUBMISSION_ID,
                    _body("CancelSubmission"),
                ),
            },
            f"{SUBSCRIPTION_ROUTE}/skip": {"get": _form_route("The skip form", subscription)},
            f"{SUBSCRIPTION_ROUTE}/skip/orders/{{order_id}}{SUBMISSION_ROUTE}": {
                "post": _action_route(
                    "Skip the named next order (once per submission)",
                    subscription + _path_ids("order_id") + _SUBMISSION_ID,
                    _body("SkipSubmission", required=False),
                )
            },
            f"{LEGACY_SUBSCRIPTION_ROUTE}/cancel": {
                "get": _deprecated(_form_route("The cancel form (earlier cards)", legacy)),
                "post": _deprecated(
                    _action_route(
                        "Cancel the subscription (earlier forms)", legacy, _body("CancelSubmission")
                    )
                ),
            },
            f"{LEGACY_SUBSCRIPTION_ROUTE}/skip": {
                "get": _deprecated(_form_route("The skip form (earlier cards)", legacy))
            },
            f"{LEGACY_SUBSCRIPTION_ROUTE}/orders/{{order_id}}/skip": {
                "post": _deprecated(
                    _action_route(
                        "Skip the named next order (earlier forms)",
                        legacy + _path_ids("order_id"),
                        _body("SkipSubmission", required=False),
                    )
                )
            },
            "/healthz": _probe("The process is up", ()),
            "/readyz": _probe("The actions service is reachable and serving", (503,)),
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.0 document"}},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Metrics in Prometheus' text format (for the scraper)",
                    "responses": {
                        "200": {
                            "description": "Prometheus exposition",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "gladlySignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Gladly-Authorization",
                    "description": (
                        "Gladly's HMAC-SHA256 request signature with `Gladly-Time` within 300 s; "
                        f"bodies at most {MAX_BODY_BYTES} bytes."
                    ),
                }
            },
        },
    }


DOCUMENT: Final = _document()


async def openapi_json(request: Request) -> Response:
    return JSONResponse(DOCUMENT)
