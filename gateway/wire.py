"""Gladly's wire shapes, declared once: what Gladly sends us is decoded and checked with them, what
we answer is built from them, and `/openapi.json` is generated from them (gateway/openapi.py).

msgspec structs (measured against pydantic v2 in bench/wire_models.py, docs/benchmarks.md). Keys
are camelCase on the wire; a field left at its default ("" or empty) is not sent at all, as Gladly
wants: a missing value is left out rather than sent empty (reference/gladly.md §1). The limits
are the Actions service's own (services/actions_service/domain.py), not copies.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, TypeVar

import msgspec
from starlette.responses import Response

from actions.contract import ID_PATTERN, MAX_ID_LENGTH, MAX_REASON_DETAILS

JSON_MEDIA_TYPE: Final = "application/json"


class InvalidRequest(Exception):
    """The gateway itself refuses the request (bad JSON, unknown lookupLevel, wrong field type);
    `attr` names the field, as Gladly marks a form's field."""

    def __init__(self, detail: str, attr: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.attr = attr


class Wire(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """A JSON object on Gladly's wire."""


# --- the limits the service holds us to ----------------------------------------------------------

Id = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=f"^{ID_PATTERN}$",
        description="An id as the Actions service accepts it",
    ),
]
SubmissionId = Annotated[
    str,
    msgspec.Meta(
        extra_json_schema={"format": "uuid"},
        description="Minted when the form was served: one per form, the same on a retry",
    ),
]
TraceId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{32}$")]
Instant = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]
# The merchant's calendar date (RFC 3339 full-date), not an instant.
CalendarDate = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date"})]
Details = Annotated[str, msgspec.Meta(max_length=MAX_REASON_DETAILS)]


# --- the lookup adaptor (reference/gladly.md §1) -------------------------------------------------

LookupLevel = Literal["BASIC", "DETAILED"]


class LookupQuery(Wire):
    """What Gladly knows of the customer; custom attributes come as more flat keys (ignored)."""

    emails: list[str | None] | None = None
    email: str | None = None
    phones: list[str | None] | None = None
    name: str | None = None
    external_customer_id: str | None = None
    id: str | None = None


class LookupRequest(Wire):
    lookup_level: LookupLevel
    query: LookupQuery | None = None
    unique_match_required: bool | None = None

    @property
    def the_query(self) -> LookupQuery:
        return self.query or LookupQuery()


class Address(Wire):
    original: str


class ActionButton(Wire):
    name: str
    form_url: str


SubscriptionStatus = Literal["ACTIVE", "CANCELLED", "INACTIVE", "UNKNOWN"]


class SubscriptionCard(Wire, tag_field="type", tag="SUBSCRIPTION"):
    """One SUBSCRIPTION transaction: every value a string, as in Gladly's ORDER sample."""

    subscription_id: str
    status: SubscriptionStatus
    quantity: str
    prepaid: str
    created_at: Instant = ""
    updated_at: Instant = ""
    frequency: str = ""
    next_order_id: str = ""
    next_order_date: CalendarDate = ""
    cancelled_at: Instant = ""
    cancellation_reason: str = ""
    cancellation_reason_code: str = ""
    cancellation_details: str = ""
    price: str = ""
    currency: str = ""
    prepaid_renewal_behavior: str = ""
    prepaid_orders_remaining: str = ""
    prepaid_orders_per_billing: str = ""
    product_id: str = ""
    product_name: str = ""
    product_sku: str = ""
    product_image_url: str = ""
    ships_to: str = ""  # the shipping address in words, on one line
    actions: list[ActionButton] = []


class LookupResult(Wire):
    external_customer_id: str
    name: str = ""
    emails: list[Address] = []
    # A phone is `{"original", "type"}` with type HOME, MOBILE or OFFICE, left out when unknown
    # (Gladly's OpenAPI: "non-presence indicates unknown or non-specific OTHER type"). Gladly
    # auto-links by phone only for MOBILE, and holds a mobile number on one profile only.
    # Ordergroove's customer record does not say what kind its `phone_number` is (its
    # `phone_type` is an integer whose codes no Ordergroove page names), so no type is sent:
    # a number wrongly called MOBILE could be linked to, or taken from, another profile.
    phones: list[Address] = []
    # Flat string → string; "" clears an attribute, a missing key keeps Gladly's old value.
    custom_attributes: dict[str, str] = {}
    # None (BASIC) is left out; a DETAILED [] is sent: it clears the cards Gladly still shows.
    transactions: list[SubscriptionCard] | None = None


class LookupResponse(Wire):
    results: list[LookupResult]


# --- the action forms (reference/gladly.md §2) ---------------------------------------------------

# Gladly's documented input types are text, select and checkbox; date is for the actions that
# pick a day.
InputType = Literal["text", "select", "checkbox", "date"]


class Option(Wire):
    text: str
    value: str


class Input(Wire):
    type: InputType
    placeholder: str = ""
    optional: bool = False
    options: list[Option] = []


class TextSection(Wire, tag_field="type", tag="text"):
    text: str


class InputSection(Wire, tag_field="type", tag="input"):
    label: str
    attr: str
    input: Input
    hint: str = ""
    default_value: str = ""


Section = TextSection | InputSection


class Form(Wire):
    title: str
    submit_button: str
    close_button: str
    action_url: str
    sections: list[Section]


class SubmittedForm(Wire):
    """A submitted form: a key per input's `attr`, and who acts where (agentId and
    conversationId, signed with the body). Each action's body extends it with its inputs."""

    agent_id: str | None = None
    conversation_id: str | None = None


class CancelSubmission(SubmittedForm):
    reason: str | None = None
    details: Details | None = None


class FrequencySubmission(SubmittedForm):
    every: str | None = None
    period: str | None = None


class ReactivateSubmission(FrequencySubmission):
    first_order_date: str | None = None


class ChangeDateSubmission(SubmittedForm):
    order_date: str | None = None


class QuantitySubmission(SubmittedForm):
    quantity: str | None = None


class RenewalSubmission(SubmittedForm):
    renewal: str | None = None


class DiscountSubmission(SubmittedForm):
    target: str | None = None  # "order" or "item"
    kind: str | None = None  # "amount" or "percent"
    value: str | None = None
    reason: str | None = None


class SwapSubmission(SubmittedForm):
    product: str | None = None  # the product id


class AddressSubmission(SubmittedForm):
    address: str | None = None  # the address id


class ActionResult(Wire):
    message: str
    detail: str


# --- errors and probes ---------------------------------------------------------------------------


class ErrorItem(Wire):
    message: str
    detail: str
    trace_id: TraceId
    attr: str = ""  # the form field the error is about: Gladly marks it


class Errors(Wire):
    errors: Annotated[list[ErrorItem], msgspec.Meta(min_length=1)]


class Health(Wire):
    status: Literal["ok"]


# --- reading and answering ----------------------------------------------------------------------

Body = TypeVar("Body", bound=Wire)
_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}
_ENCODER: Final = msgspec.json.Encoder()


def decode(body: bytes, shape: type[Body], *, allow_empty: bool = False) -> Body:
    """The body as `shape`, or InvalidRequest naming the field (e.g. `query.emails[0]`)."""
    if allow_empty and not body.strip():
        return shape()
    decoder = _DECODERS.get(shape)
    if decoder is None:
        decoder = _DECODERS[shape] = msgspec.json.Decoder(shape)
    try:
        value: Body = decoder.decode(body)
    except msgspec.ValidationError as error:
        message, _, where = str(error).partition(" - at `$")
        attr = where.rstrip("`").lstrip(".")
        raise InvalidRequest(f"{attr or 'The body'}: {message}.", attr) from None
    except msgspec.DecodeError:  # also bad UTF-8
        raise InvalidRequest("The body is not valid JSON.") from None
    except RecursionError:  # nested deeper than the parser goes: no body of ours is
        raise InvalidRequest("The body is nested too deeply.") from None
    return value


def trimmed(value: str | None) -> str:
    """An optional string field as the service takes it: trimmed, "" when absent."""
    return value.strip() if value else ""


class WireResponse(Response):
    """A JSON answer encoded from a wire struct (or a list/dict of them)."""

    media_type = JSON_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content)
