"""`GET /openapi.json`: every route of the gateway, its schemas generated from gateway/wire.py.

The bodies, answers, ids and limits are the wire shapes' own (and through them the service's), and
the routes of the actions come from their specs: a new action is documented by declaring it.
Precise enough for a fuzzer: every answer of a route is documented, errors included.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from actions.v1 import actions_pb2 as pb
from gateway import forms, wire
from gateway.action_endpoints import (
    AGENT_HEADER,
    CONVERSATION_HEADER,
    LEGACY_FORMS,
    RETIRED_ACTIONS,
    SPECS,
    ActionSpec,
)
from gateway.card import LEGACY_SUBSCRIPTION_ROUTE, SUBMISSION_ROUTE, SUBSCRIPTION_ROUTE
from gateway.guard import BODY_TOO_LARGE, MAX_BODY_BYTES
from gateway.signing import AUTHORIZATION_HEADER

Json = dict[str, Any]

# Every schema of the document: the named ones land in components, the rest are inlined.
_SHAPES: Final[tuple[Any, ...]] = (
    wire.Errors,
    wire.LookupRequest,
    wire.LookupResponse,
    wire.Form,
    wire.ActionResult,
    wire.Health,
    wire.Id,
    wire.SubmissionId,
    *(spec.body for spec in SPECS),
)
_REF_TEMPLATE: Final = "#/components/schemas/{name}"
_EXAMPLE_CARD: Final = wire.SubscriptionCard(
    subscription_id="8f2c1e4a",
    status="ACTIVE",
    created_at="2026-01-05T14:03:00Z",
    frequency="Every 2 weeks",
    next_order_id="c41d9a70",
    next_order_date="2026-12-07",
    price="24.00",
    currency="USD",
    quantity="1",
    prepaid="false",
    product_name="Vitamins, 60 capsules",
    actions=[
        wire.ActionButton(
            name="Cancel Order",
            form_url="/gladly/customers/gladly-1/ordergroove/og-1/subscriptions/8f2c1e4a/cancel",
        )
    ],
)
_EXAMPLES: Final[dict[type[Any], Any]] = {
    wire.LookupRequest: wire.LookupRequest(
        lookup_level="DETAILED",
        query=wire.LookupQuery(external_customer_id="og-1", id="gladly-1"),
        unique_match_required=True,
    ),
    wire.LookupResponse: wire.LookupResponse(
        results=[
            wire.LookupResult(
                external_customer_id="og-1",
                name="Martha Williams",
                custom_attributes={"activeSubscriptions": "1", "totalSubscriptions": "1"},
                transactions=[_EXAMPLE_CARD],
            )
        ]
    ),
    wire.Form: forms.cancel_form(
        "/gladly/customers/gladly-1/ordergroove/og-1/subscriptions/8f2c1e4a/cancel"
        "/submissions/0b6f6a52-8c1e-4f0a-9d3b-5a7e2c4d1f90",
        pb.ListCancelReasonsResponse(reasons=[pb.CancelReason(code="7", text="Moving abroad")]),
    ),
    wire.CancelSubmission: wire.CancelSubmission(reason="7", details="Moving abroad"),
    wire.ActionResult: wire.ActionResult(
        message="Subscription cancelled", detail="Subscription 8f2c1e4a cancelled."
    ),
    wire.Errors: wire.Errors(
        errors=[
            wire.ErrorItem(
                message="Invalid input",
                detail="reason must be one of the merchant's integer reason codes.",
                trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
                attr="reason",
            )
        ]
    ),
}
_REASONS: Final = {
    400: "Invalid request, or refused for a reason the agent can act on",
    401: "Missing, malformed, expired or wrong Gladly signature; nothing was done",
    404: "No such route or subscription",
    405: "Method not allowed on this route",
    409: "The request id was used for another request",
    410: "A form served by an earlier version: nothing was done; open it again",
    413: BODY_TOO_LARGE,
    503: "The actions service or Ordergroove is unavailable",
    504: "Not completed within the deadline",
}
_GLADLY_ERRORS: Final = (400, 401, 404, 405, 413, 503, 504)
_SIGNED: Final[list[Json]] = [{"gladlySignature": []}]
_PARAMETER: Final = re.compile(r"{(\w+)}")


def _schemas() -> tuple[dict[type[Any], Json], Json]:
    found, components = msgspec.json.schema_components(_SHAPES, ref_template=_REF_TEMPLATE)
    return dict(zip(_SHAPES, found, strict=True)), components


_SCHEMA, _COMPONENTS = _schemas()


def _json(shape: type[Any], description: str) -> Json:
    media: Json = {"schema": _SCHEMA[shape]}
    if shape in _EXAMPLES:
        media["example"] = msgspec.to_builtins(_EXAMPLES[shape])
    return {"description": description, "content": {wire.JSON_MEDIA_TYPE: media}}


def _errors(*statuses: int) -> Json:
    """The error answers of a route; `default` covers the rest of the gRPC→HTTP table."""
    answers = {str(status): _json(wire.Errors, _REASONS[status]) for status in statuses}
    return answers | {"default": _json(wire.Errors, "Any other failure")}


def _parameters(path: str) -> list[Json]:
    """The path's ids, each with the service's id rule (or a submission id's)."""
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _SCHEMA[wire.SubmissionId if name == "submission_id" else wire.Id],
        }
        for name in _PARAMETER.findall(path)
    ]


# Only honoured when the request's signature covers them (SignedHeaders).
_CONTEXT_HEADERS: Final = [
    {"name": name, "in": "header", "required": False, "schema": _SCHEMA[wire.Id]}
    for name in (AGENT_HEADER, CONVERSATION_HEADER)
]


def _lookup() -> Json:
    return {
        "summary": "Gladly lookup adaptor (BASIC and DETAILED)",
        "security": _SIGNED,
        "requestBody": {"required": True, "content": _json(wire.LookupRequest, "")["content"]},
        "responses": {"200": _json(wire.LookupResponse, "Matches")} | _errors(*_GLADLY_ERRORS),
    }


def _form(path: str, spec: ActionSpec[Any], *, legacy: bool = False) -> Json:
    summary = f"The {spec.segment} form" + (" (earlier cards)" if legacy else "")
    return {
        "summary": summary,
        "security": _SIGNED,
        "parameters": _parameters(path) + _form_query(spec),
        "responses": {"200": _json(wire.Form, "The form")} | _errors(*_GLADLY_ERRORS),
    } | ({"deprecated": True} if legacy else {})


def _form_query(spec: ActionSpec[Any]) -> list[Json]:
    """The form URL's optional query parameters, signed with the rest of the URL."""
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": {"type": "string"},
        }
        for name, description in spec.form_query
    ]


def _action(path: str, spec: ActionSpec[Any], *, legacy: bool = False) -> Json:
    what = spec.summary or f"The {spec.segment} action"
    summary = what + (" (earlier forms)" if legacy else " (once per submission)")
    body = {"required": not spec.empty_body, "content": _json(spec.body, "")["content"]}
    return {
        "summary": summary,
        "security": _SIGNED,
        "parameters": _parameters(path) + _CONTEXT_HEADERS,
        "requestBody": body,
        "responses": {"200": _json(wire.ActionResult, "Done")} | _errors(*_GLADLY_ERRORS, 409),
    } | ({"deprecated": True} if legacy else {})


def _action_paths() -> dict[str, Json]:
    paths: dict[str, Json] = {}
    for spec in SPECS:
        form = f"{SUBSCRIPTION_ROUTE}/{spec.segment}"
        action = f"{form}{spec.state_route}{SUBMISSION_ROUTE}"
        paths.setdefault(form, {})["get"] = _form(form, spec)
        paths.setdefault(action, {})["post"] = _action(action, spec)
    for spec in LEGACY_FORMS:
        legacy_form = f"{LEGACY_SUBSCRIPTION_ROUTE}/{spec.segment}"
        paths.setdefault(legacy_form, {})["get"] = _form(legacy_form, spec, legacy=True)
    for path in RETIRED_ACTIONS:
        paths.setdefault(path, {})["post"] = _retired(path)
    return paths


def _retired(path: str) -> Json:
    return {
        "summary": "An action URL of a form served by an earlier version: answered 410",
        "security": _SIGNED,
        "parameters": _parameters(path),
        "responses": _errors(401, 410),
        "deprecated": True,
    }


def _probe(summary: str, statuses: tuple[int, ...]) -> Json:
    not_ready = {str(s): _json(wire.Errors, "Not ready") for s in statuses}
    return {"get": {"summary": summary, "responses": {"200": _json(wire.Health, "OK")} | not_ready}}


def _document() -> Json:
    return {
        # 3.1: its schemas are JSON Schema 2020-12, what the wire shapes generate.
        "openapi": "3.1.0",
        "info": {"title": "Ordergroove actions gateway for Gladly", "version": "1.0.0"},
        "paths": {"/gladly/lookup": {"post": _lookup()}}
        | _action_paths()
        | {
            "/healthz": _probe("The process is up", ()),
            "/readyz": _probe("The actions service is reachable and serving", (503,)),
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1 document"}},
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
            "schemas": _COMPONENTS,
            "securitySchemes": {
                "gladlySignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": AUTHORIZATION_HEADER,
                    "description": (
                        "Gladly's HMAC-SHA256 request signature with `Gladly-Time` within 300 s; "
                        f"bodies at most {MAX_BODY_BYTES} bytes."
                    ),
                }
            },
        },
    }


DOCUMENT: Final = msgspec.json.encode(_document())


async def openapi_json(request: Request) -> Response:
    return Response(DOCUMENT, media_type=wire.JSON_MEDIA_TYPE)
