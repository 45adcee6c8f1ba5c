"""The action endpoints behind the card's buttons: the forms (GET) and the actions (POST).

Every id an action needs is in the path, which the signature covers: the Gladly customer, the
linked Ordergroove customer, the subscription, what the form showed (e.g. the order a skip
names) and a submission id minted when the form was served. The action itself reads no Gladly
profile: the Ordergroove customer comes from the path.

An action is declared once (`ActionSpec`: its button, its form, the shape of its submitted body,
the state its URL carries, its RPC and that RPC's fields) and gets its routes from `routes()` and
its place in `/openapi.json` from gateway/openapi.py; a new action is one more spec in `SPECS`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actions.contract import PERIOD_NAMES, PERIODS
from actions.v1 import actions_pb2 as pb
from gateway import card, change_forms, forms, signing
from gateway.card import SubscriptionRef
from gateway.errors import AGENT_ACTIONABLE, error_response, failure_response
from gateway.rpc import ActionsClient, RpcFailure, client_of
from gateway.wire import (
    ActionResult,
    AddressSubmission,
    CancelSubmission,
    ChangeDateSubmission,
    DiscountSubmission,
    Form,
    FrequencySubmission,
    InvalidRequest,
    QuantitySubmission,
    ReactivateSubmission,
    RenewalSubmission,
    SubmittedForm,
    SwapSubmission,
    WireResponse,
    decode,
    trimmed,
)

# Between the subscription ids of a Send Now URL's `ships` segment: unreserved in URLs (a client
# that re-quotes the path sends what it signed) and never in an id (`actions.contract`).
SHIPS_SEPARATOR: Final = "~"
# Fixed for ever: changing it would give a retried submission a new request_id.
REQUEST_ID_NAMESPACE: Final = uuid.UUID("9b7f3c1e-5d2a-4c8e-a6f0-2e4b8d1c7a35")
AGENT_HEADER: Final = "Gladly-Agent-Id"
CONVERSATION_HEADER: Final = "Gladly-Conversation-Id"
# What a form showed as nothing (no renewal behaviour, no shipping address), as a path segment.
_NONE_SHOWN: Final = "none"

# Builds the form; `action_url(state)` mints the submission's URL naming that state, and the
# query holds the form URL's parameters the spec declares (`form_query`). A Response instead of a
# form is an error answer.
ActionUrl = Callable[[Mapping[str, str]], str]
FormQuery = Mapping[str, str]
FormBuilder = Callable[
    [ActionsClient, SubscriptionRef, ActionUrl, FormQuery], Awaitable[Form | Response]
]
Body = TypeVar("Body", bound=SubmittedForm)


@dataclass(frozen=True)
class Submission(Generic[Body]):
    """One submitted form: whose subscription, the state the form showed, the body (checked
    against the action's shape), and the request_id and context it runs under."""

    ref: SubscriptionRef
    state: Mapping[str, str]
    body: Body
    request_id: str
    context: pb.ActionContext


RequestFields = Callable[[Submission[Body]], Mapping[str, object]]


@dataclass(frozen=True)
class ActionSpec(Generic[Body]):
    action: pb.Action  # its button on the card (card.BUTTONS), which names its URL segment
    rpc: str  # its ActionsService method: `<rpc>Request` is sent, its `summary` answered
    done: str  # what the agent reads when it is done
    build_form: FormBuilder
    # The submitted body's shape: a key per input's attr (gateway/wire.py).
    body: type[Body]
    # The RPC's own fields, from the submission (the shown state from the signed URL); the
    # subscription, customer, request id and context are every action's.
    fields: RequestFields[Body]
    summary: str  # what it does, for /openapi.json
    # What the form showed, carried in the action URL: (segment name, path parameter) pairs.
    state: Sequence[tuple[str, str]] = ()
    # The form field of each request field, to point the service's errors at it.
    field_attrs: Mapping[str, str] = field(default_factory=dict)
    empty_body: bool = False  # a form without inputs may be submitted without a body
    # The form URL's optional query parameters (signed with the URL, as all of it): name and
    # what it does, for /openapi.json.
    form_query: Sequence[tuple[str, str]] = ()

    @property
    def segment(self) -> str:
        return card.BUTTON_OF[self.action].segment

    @property
    def state_route(self) -> str:
        return "".join(f"/{name}/{{{param}}}" for name, param in self.state)

    def state_segments(self, values: Mapping[str, str]) -> list[tuple[str, str]]:
        return [(name, values[param]) for name, param in self.state]


# --- the request_id of a submission --------------------------------------------------------------


def request_id(submission_id: str, body: bytes, context: pb.ActionContext) -> str:
    """The AIP-155 request_id: the same for Gladly's retry of one submission (same URL, same
    body), another for a resubmission with changed input, and another for every new form. The
    context is in it because the service counts it as part of the request."""
    digest = hashlib.sha256(body).hexdigest()
    name = f"{submission_id} {digest} {context.agent_id} {context.conversation_id}"
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, name))


def new_submission_id() -> str:
    return str(uuid.uuid4())


def _submission_id(request: Request) -> str:
    value: str = request.path_params["submission_id"]
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise InvalidRequest("The submission id in the URL is not one the gateway made.") from None
    if str(parsed) != value.lower():
        raise InvalidRequest("The submission id in the URL is not one the gateway made.")
    return str(parsed)


# --- the forms --------------------------------------------------------------------------------


async def _cancel_form(
    client: ActionsClient, ref: SubscriptionRef, url: ActionUrl, query: FormQuery
) -> Form:
    # Only the merchant's own codes can be sent: without them there is no form to offer.
    reasons = await client.list_cancel_reasons()
    return forms.cancel_form(url({}), reasons)


# Why a form is not served, for an action the card no longer offers.
_NOT_OFFERED: Final = {
    pb.ACTION_SKIP: ("Nothing to skip", "has no order that can be skipped now"),
    pb.ACTION_CANCEL_ORDER: ("Nothing to cancel", "has no order that can be cancelled now"),
    pb.ACTION_REMOVE_FROM_ORDER: (
        "Nothing to remove",
        "has no item that can be taken out of its next order now",
    ),
    pb.ACTION_CHANGE_ITEM_QUANTITY: (
        "Not available",
        "has no item in its next order whose quantity can be changed now",
    ),
    pb.ACTION_ISSUE_DISCOUNT: ("Not available", "cannot be given a discount now"),
    pb.ACTION_SWAP_PRODUCT: ("Not available", "cannot be swapped to another product now"),
    pb.ACTION_CHANGE_SHIPPING_ADDRESS: (
        "Not available",
        "cannot be shipped to another address now",
    ),
}


def _offered_form(
    action: pb.Action, build: Callable[[pb.Subscription, ActionUrl], Form]
) -> FormBuilder:
    """A form built from the subscription as the card offers `action` on it now."""

    async def build_form(
        client: ActionsClient, ref: SubscriptionRef, url: ActionUrl, query: FormQuery
    ) -> Form | Response:
        found = await _offered_on_card(client, ref, action)
        return found if isinstance(found, Response) else build(found[0], url)

    return build_form


async def _offered_on_card(
    client: ActionsClient, ref: SubscriptionRef, action: pb.Action
) -> tuple[pb.Subscription, pb.GetSubscriptionsResponse] | Response:
    """The subscription as the card shows it now, when it offers `action`, with the whole card
    it was read from; else the answer."""
    request = pb.GetSubscriptionsRequest(customer_id=ref.og_customer_id)
    found = await client.get_subscriptions(request)
    if not found.linked:
        return error_response(
            400,
            AGENT_ACTIONABLE["CUSTOMER_NOT_LINKED"],
            f"No Ordergroove customer {ref.og_customer_id}.",
        )
    subscription = next(
        (s for s in found.subscriptions if s.subscription_id == ref.subscription_id), None
    )
    if subscription is None:
        return error_response(
            404,
            "Subscription not found",
            f"No subscription {ref.subscription_id} for this customer.",
        )
    if action not in subscription.available_actions:
        return _not_offered(action, ref)
    return subscription, found


def _whole_order_form(
    action: pb.Action,
    build: Callable[[str, pb.Subscription, Mapping[str, str]], Form],
) -> FormBuilder:
    """A form of an action on the whole next order (Send Now, Cancel This Order): it lists
    everything in it, by the card's product names, and its URL names the order, its date and
    the subscriptions it holds."""

    async def build_form(
        client: ActionsClient, ref: SubscriptionRef, url: ActionUrl, query: FormQuery
    ) -> Form | Response:
        found = await _offered_on_card(client, ref, action)
        if isinstance(found, Response):
            return found
        subscription, card_read = found
        order = subscription.next_order
        state = {
            "order_id": order.order_id,
            "expected_date": order.place_date,
            "expected_subscriptions": _ships(subscription),
        }
        names = {
            s.subscription_id: s.product.name or s.product.product_id
            for s in card_read.subscriptions
        }
        return build(url(state), subscription, names)

    return build_form


def _ships(subscription: pb.Subscription) -> str:
    """The subscriptions the next order holds, as the `ships` segment names them."""
    lines = subscription.next_order.lines
    shipping = sorted({line.subscription_id for line in lines if line.subscription_id})
    return SHIPS_SEPARATOR.join(shipping) or subscription.subscription_id


def _item_form(
    action: pb.Action, build: Callable[[pb.Subscription, pb.OrderLine, ActionUrl], Form]
) -> FormBuilder:
    """A form of an action on this subscription's item in its next order (the line with its
    subscription id); without such an item the action is not offered."""

    async def build_form(
        client: ActionsClient, ref: SubscriptionRef, url: ActionUrl, query: FormQuery
    ) -> Form | Response:
        found = await _offered_on_card(client, ref, action)
        if isinstance(found, Response):
            return found
        subscription = found[0]
        line = _line_of(subscription)
        if line is None:
            return _not_offered(action, ref)
        return build(subscription, line, url)

    return build_form


def _line_of(subscription: pb.Subscription) -> pb.OrderLine | None:
    lines = subscription.next_order.lines
    return next((x for x in lines if x.subscription_id == subscription.subscription_id), None)


def _not_offered(action: pb.Action, ref: SubscriptionRef) -> Response:
    title, why = _NOT_OFFERED.get(action, ("Not available", "cannot be changed so now"))
    return error_response(400, title, f"Subscription {ref.subscription_id} {why}.")


SEARCH_QUERY: Final = "search"


async def _swap_form(
    client: ActionsClient, ref: SubscriptionRef, url: ActionUrl, query: FormQuery
) -> Form | Response:
    """The products the service offers for a swap (only those matching `?search=`, when given),
    each with its price; without one to offer there is no form."""
    found = await _offered_on_card(client, ref, pb.ACTION_SWAP_PRODUCT)
    if isinstance(found, Response):
        return found
    subscription = found[0]
    search = query.get(SEARCH_QUERY, "").strip()
    offered = await client.list_swap_products(
        pb.ListSwapProductsRequest(
            subscription_id=ref.subscription_id, customer_id=ref.og_customer_id, search=search
        )
    )
    if not offered.products:
        matching = f" whose name holds “{search}”" if search else ""
        return error_response(
            400,
            "No product to swap to",
            f"The store offers no other product{matching} for subscription {ref.subscription_id}.",
        )
    state = {"expected_product": subscription.product.product_id}
    return change_forms.swap_product_form(url(state), subscription, offered.products, search)


# The address segment of a subscription whose address Ordergroove does not name (or one the
# customer no longer has). Ordergroove's public ids are hexadecimal: this is none of them.


async def _address_form(
    client: ActionsClient, ref: SubscriptionRef, url: ActionUrl, query: FormQuery
) -> Form | Response:
    """The customer's addresses (the card's read), the current one named."""
    found = await _offered_on_card(client, ref, pb.ACTION_CHANGE_SHIPPING_ADDRESS)
    if isinstance(found, Response):
        return found
    subscription, card_read = found
    shown = subscription.shipping_address.address_id or _NONE_SHOWN
    return change_forms.change_shipping_address_form(
        url({"expected_address": shown}), subscription, card_read.addresses
    )


# --- reading what the agent typed and what the form showed -------------------------------------


def _frequency(every: str, period: str) -> pb.Frequency:
    """What the agent typed; the service refuses what is not a frequency, field by field."""
    number = int(every) if every.isascii() and every.isdigit() and len(every) <= 6 else 0
    return pb.Frequency(every=number, period=PERIODS.get(period, pb.FREQUENCY_PERIOD_UNSPECIFIED))


def _typed_frequency(body: FrequencySubmission) -> pb.Frequency:
    return _frequency(trimmed(body.every), trimmed(body.period))


def _shown_frequency(value: str) -> pb.Frequency:
    every, _, period = value.partition("-")
    return _frequency(every, period)


def _frequency_segment(frequency: pb.Frequency) -> str:
    return f"{frequency.every}-{PERIOD_NAMES.get(frequency.period, 'none')}"


def _quantity(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else 0


# What a form on the whole order showed, carried in its action URL: the order, its date and the
# subscriptions it holds (Send Now, Cancel This Order).
WHOLE_ORDER_STATE: Final = (
    ("orders", "order_id"),
    ("dates", "expected_date"),
    ("ships", "expected_subscriptions"),
)


def _whole_order_fields(sub: Submission[SubmittedForm]) -> Mapping[str, object]:
    return {
        "expected_order_id": sub.state["order_id"],
        "expected_date": sub.state["expected_date"],
        "expected_subscriptions": sub.state["expected_subscriptions"].split(SHIPS_SEPARATOR),
    }


# --- the actions: one spec each ----------------------------------------------------------------

CANCEL: Final = ActionSpec(
    pb.ACTION_CANCEL,
    "CancelSubscription",
    "Subscription cancelled",
    _cancel_form,
    CancelSubmission,
    lambda sub: {
        "reason_code": trimmed(sub.body.reason),
        "reason_details": trimmed(sub.body.details),
    },
    summary="Cancel the subscription",
    field_attrs=forms.CANCEL_FIELD_ATTRS,
)
SKIP: Final = ActionSpec(
    pb.ACTION_SKIP,
    "SkipNextOrder",
    "Next order skipped",
    _offered_form(
        pb.ACTION_SKIP,
        lambda s, url: forms.skip_form(
            url({"order_id": s.next_order.order_id, "expected_date": s.next_order.place_date}), s
        ),
    ),
    SubmittedForm,
    lambda sub: {
        "order_id": sub.state["order_id"],
        "expected_date": sub.state["expected_date"],
    },
    summary="Skip the named next order",
    state=(("orders", "order_id"), ("dates", "expected_date")),
    empty_body=True,
)
REACTIVATE: Final = ActionSpec(
    pb.ACTION_REACTIVATE,
    "ReactivateSubscription",
    "Subscription reactivated",
    _offered_form(
        pb.ACTION_REACTIVATE,
        lambda s, url: change_forms.reactivate_form(url({}), s, date.today()),
    ),
    ReactivateSubmission,
    lambda sub: {
        "frequency": _typed_frequency(sub.body),
        "first_order_date": trimmed(sub.body.first_order_date),
    },
    summary="Reactivate a cancelled or inactive subscription",
    field_attrs=change_forms.FIELD_ATTRS,
)
CHANGE_NEXT_ORDER_DATE: Final = ActionSpec(
    pb.ACTION_CHANGE_NEXT_ORDER_DATE,
    "ChangeNextOrderDate",
    "Next order date changed",
    _offered_form(
        pb.ACTION_CHANGE_NEXT_ORDER_DATE,
        lambda s, url: change_forms.change_date_form(
            url({"expected_date": s.next_order.place_date}), s
        ),
    ),
    ChangeDateSubmission,
    lambda sub: {
        "order_date": trimmed(sub.body.order_date),
        "expected_date": sub.state["expected_date"],
    },
    summary="Move the next order to another date",
    state=(("dates", "expected_date"),),
    field_attrs=change_forms.FIELD_ATTRS,
)
CHANGE_FREQUENCY: Final = ActionSpec(
    pb.ACTION_CHANGE_FREQUENCY,
    "ChangeFrequency",
    "Frequency changed",
    _offered_form(
        pb.ACTION_CHANGE_FREQUENCY,
        lambda s, url: change_forms.change_frequency_form(
            url({"expected_frequency": _frequency_segment(s.frequency)}), s
        ),
    ),
    FrequencySubmission,
    lambda sub: {
        "frequency": _typed_frequency(sub.body),
        "expected_frequency": _shown_frequency(sub.state["expected_frequency"]),
    },
    summary="Change how often the subscription ships",
    state=(("frequencies", "expected_frequency"),),
    field_attrs=change_forms.FIELD_ATTRS,
)
CHANGE_QUANTITY: Final = ActionSpec(
    pb.ACTION_CHANGE_QUANTITY,
    "ChangeQuantity",
    "Quantity changed",
    _offered_form(
        pb.ACTION_CHANGE_QUANTITY,
        lambda s, url: change_forms.change_quantity_form(
            url({"expected_quantity": str(s.quantity)}), s
        ),
    ),
    QuantitySubmission,
    lambda sub: {
        "quantity": _quantity(trimmed(sub.body.quantity)),
        "expected_quantity": _quantity(sub.state["expected_quantity"]),
    },
    summary="Change how many items each order ships",
    state=(("quantities", "expected_quantity"),),
    field_attrs=change_forms.FIELD_ATTRS,
)
SEND_NOW: Final = ActionSpec(
    pb.ACTION_SEND_NOW,
    "SendNextOrderNow",
    "Next order sent",
    _whole_order_form(pb.ACTION_SEND_NOW, change_forms.send_now_form),
    SubmittedForm,
    _whole_order_fields,
    summary="Place the named next order now: the whole order, every subscription in it",
    state=WHOLE_ORDER_STATE,
    field_attrs=change_forms.FIELD_ATTRS,
    empty_body=True,  # a form without inputs
)
CHANGE_RENEWAL: Final = ActionSpec(
    pb.ACTION_CHANGE_RENEWAL,
    "ChangeRenewal",
    "Renewal changed",
    _offered_form(
        pb.ACTION_CHANGE_RENEWAL,
        lambda s, url: change_forms.change_renewal_form(
            url({"expected_renewal": s.prepaid_plan.renewal_behavior or _NONE_SHOWN}), s
        ),
    ),
    RenewalSubmission,
    lambda sub: {
        "renewal_behavior": trimmed(sub.body.renewal),
        "expected_renewal_behavior": ""
        if sub.state["expected_renewal"] == _NONE_SHOWN
        else sub.state["expected_renewal"],
    },
    summary="Change what a prepaid subscription does when its orders run out",
    state=(("renewals", "expected_renewal"),),
    field_attrs=change_forms.FIELD_ATTRS,
)
CANCEL_ORDER: Final = ActionSpec(
    pb.ACTION_CANCEL_ORDER,
    "CancelOrder",
    "Order cancelled",
    _whole_order_form(pb.ACTION_CANCEL_ORDER, change_forms.cancel_order_form),
    SubmittedForm,
    _whole_order_fields,
    summary="Cancel the named next order: the whole order, every subscription's items in it",
    state=WHOLE_ORDER_STATE,
    empty_body=True,  # a form without inputs
)
CHANGE_ITEM_QUANTITY: Final = ActionSpec(
    pb.ACTION_CHANGE_ITEM_QUANTITY,
    "ChangeItemQuantity",
    "Item quantity changed",
    _item_form(
        pb.ACTION_CHANGE_ITEM_QUANTITY,
        lambda s, line, url: change_forms.change_item_quantity_form(
            url({"order_id": s.next_order.order_id, "expected_quantity": str(line.quantity)}),
            s,
            line,
        ),
    ),
    QuantitySubmission,
    lambda sub: {
        "quantity": _quantity(trimmed(sub.body.quantity)),
        "expected_order_id": sub.state["order_id"],
        "expected_quantity": _quantity(sub.state["expected_quantity"]),
    },
    summary="Change how many of the subscription's item its next order ships (that order only)",
    state=(("orders", "order_id"), ("quantities", "expected_quantity")),
    field_attrs=change_forms.FIELD_ATTRS,
)
REMOVE_FROM_ORDER: Final = ActionSpec(
    pb.ACTION_REMOVE_FROM_ORDER,
    "RemoveFromOrder",
    "Item removed from the order",
    _item_form(
        pb.ACTION_REMOVE_FROM_ORDER,
        lambda s, line, url: change_forms.remove_from_order_form(
            url({"order_id": s.next_order.order_id, "expected_subscriptions": _ships(s)}),
            s,
            line,
        ),
    ),
    SubmittedForm,
    lambda sub: {
        "expected_order_id": sub.state["order_id"],
        "expected_subscriptions": sub.state["expected_subscriptions"].split(SHIPS_SEPARATOR),
    },
    summary="Take the subscription's item out of the named next order, which keeps the others",
    state=(("orders", "order_id"), ("ships", "expected_subscriptions")),
    empty_body=True,  # a form without inputs
)
ISSUE_DISCOUNT: Final = ActionSpec(
    pb.ACTION_ISSUE_DISCOUNT,
    "IssueDiscount",
    "Discount issued",
    _offered_form(
        pb.ACTION_ISSUE_DISCOUNT,
        lambda s, url: change_forms.issue_discount_form(
            url({"order_id": s.next_order.order_id}), s
        ),
    ),
    DiscountSubmission,
    lambda sub: {
        "expected_order_id": sub.state["order_id"],
        # Anything else is sent UNSPECIFIED, which the service refuses naming the field.
        "target": change_forms.DISCOUNT_TARGETS.get(
            trimmed(sub.body.target), pb.DISCOUNT_TARGET_UNSPECIFIED
        ),
        "kind": change_forms.DISCOUNT_KINDS.get(
            trimmed(sub.body.kind), pb.DISCOUNT_KIND_UNSPECIFIED
        ),
        "value": trimmed(sub.body.value),
        "reason": trimmed(sub.body.reason),
    },
    summary="Give a one-time discount on the named next order, or on the item in it",
    state=(("orders", "order_id"),),
    field_attrs=change_forms.DISCOUNT_FIELD_ATTRS,
)
SWAP_PRODUCT: Final = ActionSpec(
    pb.ACTION_SWAP_PRODUCT,
    "SwapProduct",
    "Product swapped",
    _swap_form,
    SwapSubmission,
    lambda sub: {
        "product_id": trimmed(sub.body.product),
        "expected_product_id": sub.state["expected_product"],
    },
    summary="Ship another of the merchant's products instead of the subscription's",
    state=(("products", "expected_product"),),
    field_attrs=change_forms.SWAP_FIELD_ATTRS,
    form_query=((SEARCH_QUERY, "Only the products whose name holds these words"),),
)
CHANGE_SHIPPING_ADDRESS: Final = ActionSpec(
    pb.ACTION_CHANGE_SHIPPING_ADDRESS,
    "ChangeShippingAddress",
    "Shipping address changed",
    _address_form,
    AddressSubmission,
    lambda sub: {
        "address_id": trimmed(sub.body.address),
        "expected_address_id": ""
        if sub.state["expected_address"] == _NONE_SHOWN
        else sub.state["expected_address"],
    },
    summary="Ship the subscription to another of the customer's addresses",
    state=(("addresses", "expected_address"),),
    field_attrs=change_forms.ADDRESS_FIELD_ATTRS,
)
SPECS: Final[tuple[ActionSpec[Any], ...]] = (
    CANCEL,
    SKIP,
    REACTIVATE,
    CHANGE_NEXT_ORDER_DATE,
    CHANGE_FREQUENCY,
    CHANGE_QUANTITY,
    SEND_NOW,
    CHANGE_RENEWAL,
    CANCEL_ORDER,
    CHANGE_ITEM_QUANTITY,
    REMOVE_FROM_ORDER,
    ISSUE_DISCOUNT,
    SWAP_PRODUCT,
    CHANGE_SHIPPING_ADDRESS,
)
# Every button of the card has its spec (tests/test_gateway_catalogue.py: and every action).
assert [spec.action for spec in SPECS] == [button.action for button in card.BUTTONS]
# Form URLs of cards rendered before the Ordergroove customer was in the path: they serve today's
# form (with a new submission id). Nothing new goes here.
LEGACY_FORMS: Final[tuple[ActionSpec[Any], ...]] = (CANCEL, SKIP)
# Action URLs of forms served by earlier versions: forms without a submission id (their repeats
# could not be told from new clicks) and forms that did not name all they showed. Submitting
# one is answered 410, and nothing is done: the agent opens the form again.
RETIRED_ACTIONS: Final[tuple[str, ...]] = (
    f"{card.LEGACY_SUBSCRIPTION_ROUTE}/cancel",
    f"{card.LEGACY_SUBSCRIPTION_ROUTE}/orders/{{order_id}}/skip",
    f"{card.SUBSCRIPTION_ROUTE}/{card.SKIP}/orders/{{order_id}}{card.SUBMISSION_ROUTE}",
    f"{card.SUBSCRIPTION_ROUTE}/{card.SEND_NOW}/orders/{{order_id}}/dates/{{expected_date}}"
    f"{card.SUBMISSION_ROUTE}",
)


# --- serving a spec ------------------------------------------------------------------------


def serve_form(spec: ActionSpec[Any]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await _form(request, spec, _ref(request))

    return endpoint


def serve_legacy_form(spec: ActionSpec[Any]) -> Callable[[Request], Awaitable[Response]]:
    """A form URL of a card rendered before the Ordergroove customer was in the path: the
    link is read from the Gladly profile (as then), and the form answers a new action URL."""

    async def endpoint(request: Request) -> Response:
        gladly_customer_id = request.path_params["gladly_customer_id"]
        found = await client_of(request).get_subscriptions(
            pb.GetSubscriptionsRequest(
                gladly_customer_id=gladly_customer_id, view=pb.SUBSCRIPTIONS_VIEW_BASIC
            )
        )
        if not found.linked:
            return error_response(
                400,
                AGENT_ACTIONABLE["CUSTOMER_NOT_LINKED"],
                "This Gladly customer is not linked to an Ordergroove customer.",
            )
        ref = SubscriptionRef(
            gladly_customer_id, found.customer.customer_id, request.path_params["subscription_id"]
        )
        return await _form(request, spec, ref)

    return endpoint


async def _form(request: Request, spec: ActionSpec[Any], ref: SubscriptionRef) -> Response:
    def url(state: Mapping[str, str]) -> str:
        segments = spec.state_segments(state)
        return card.action_url(ref, spec.segment, new_submission_id(), segments)

    # Only the parameters the spec declares: the rest of the query is ignored, as before.
    params = request.query_params
    query = {name: params[name] for name, _ in spec.form_query if name in params}
    form = await spec.build_form(client_of(request), ref, url, query)
    return form if isinstance(form, Response) else WireResponse(form)


def serve_action(spec: ActionSpec[Any]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        submission_id = _submission_id(request)
        body = await request.body()
        submitted = decode(body, spec.body, allow_empty=spec.empty_body)
        ref = _ref(request)
        context = _context(request, submitted, ref.gladly_customer_id)
        submission = Submission(
            ref, _state(request, spec), submitted, request_id(submission_id, body, context), context
        )
        return await _run(request, spec, submission)

    return endpoint


async def retired_action(request: Request) -> Response:
    return error_response(
        410,
        "Form out of date",
        "This form was served by an earlier version and can no longer be submitted: nothing was "
        "changed. Open the action again from the Subscriptions card.",
    )


async def _run(request: Request, spec: ActionSpec[Any], submission: Submission[Any]) -> Response:
    message = getattr(pb, f"{spec.rpc}Request")(
        subscription_id=submission.ref.subscription_id,
        customer_id=submission.ref.og_customer_id,
        request_id=submission.request_id,
        context=submission.context,
        **spec.fields(submission),
    )
    try:
        response = await client_of(request).run_action(spec.rpc, message)
    except RpcFailure as failure:
        return failure_response(failure, spec.field_attrs)
    return WireResponse(ActionResult(message=spec.done, detail=response.summary))


def routes() -> list[Route]:
    """Each spec's form and action routes, and the routes of URLs Gladly may still hold."""
    found: list[Route] = []
    for spec in SPECS:
        form = f"{card.SUBSCRIPTION_ROUTE}/{spec.segment}"
        action = f"{form}{spec.state_route}{card.SUBMISSION_ROUTE}"
        found += [
            Route(form, serve_form(spec), methods=["GET"]),
            Route(action, serve_action(spec), methods=["POST"]),
        ]
    found += [
        Route(
            f"{card.LEGACY_SUBSCRIPTION_ROUTE}/{spec.segment}",
            serve_legacy_form(spec),
            methods=["GET"],
        )
        for spec in LEGACY_FORMS
    ]
    found += [Route(path, retired_action, methods=["POST"]) for path in RETIRED_ACTIONS]
    return found


# --- reading the request ---------------------------------------------------------------------


def _ref(request: Request) -> SubscriptionRef:
    params = request.path_params
    return SubscriptionRef(
        params["gladly_customer_id"], params["og_customer_id"], params["subscription_id"]
    )


def _state(request: Request, spec: ActionSpec[Any]) -> dict[str, str]:
    return {param: request.path_params[param] for _, param in spec.state}


def _context(
    request: Request, submitted: SubmittedForm, gladly_customer_id: str
) -> pb.ActionContext:
    """Who acts where: the body's keys (signed) win over the headers, and a header counts only
    when the signature covers it: anyone replaying a signed request can add unsigned ones."""
    return pb.ActionContext(
        gladly_customer_id=gladly_customer_id,
        agent_id=trimmed(submitted.agent_id) or signed_header(request, AGENT_HEADER),
        conversation_id=trimmed(submitted.conversation_id)
        or signed_header(request, CONVERSATION_HEADER),
    )


def signed_header(request: Request, name: str) -> str:
    """The header's value when it is among the SignedHeaders the guard verified, else ""."""
    try:
        authorization = signing.parse_authorization(
            request.headers.get(signing.AUTHORIZATION_HEADER, "")
        )
    except signing.SignatureError:
        return ""
    if name.lower() not in (signed.lower() for signed in authorization.header_names):
        return ""
    return request.headers.get(name, "").strip()
