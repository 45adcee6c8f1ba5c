"""The action's own attributes on the current span (the RPC's server span): what it is about,
and how its attempt ended — the same facts as its audit row, searchable in the trace."""

from __future__ import annotations

from opentelemetry import trace

from common.telemetry import attributes
from services.actions_service.store.rows import AuditEntry


def annotate_lookup(customer_id: str, gladly_customer_id: str) -> None:
    """A card read by id (never by e-mail: an address is not recorded)."""
    span = trace.get_current_span()
    if customer_id:
        span.set_attribute(attributes.CUSTOMER_ID, customer_id)
    if gladly_customer_id:
        span.set_attribute(attributes.GLADLY_CUSTOMER_ID, gladly_customer_id)


def annotate_action(action: str, request_id: str, payload: dict[str, str]) -> None:
    """What the action targets and on whose behalf (`payload`: the action record's request)."""
    values = {
        attributes.ACTION: action,
        attributes.REQUEST_ID: request_id,
        attributes.SUBSCRIPTION_ID: payload.get("subscription_id", ""),
        attributes.CUSTOMER_ID: payload.get("customer_id", ""),
        attributes.ORDER_ID: payload.get("order_id", ""),
        attributes.GLADLY_CUSTOMER_ID: payload.get("gladly_customer_id", ""),
        attributes.GLADLY_AGENT_ID: payload.get("agent_id", ""),
        attributes.GLADLY_CONVERSATION_ID: payload.get("conversation_id", ""),
    }
    trace.get_current_span().set_attributes({key: value for key, value in values.items() if value})


def annotate_attempt(audit: AuditEntry) -> None:
    span = trace.get_current_span()
    span.set_attribute(attributes.ATTEMPT_OUTCOME, audit.outcome.value)
    if audit.customer_id:
        span.set_attribute(attributes.CUSTOMER_ID, audit.customer_id)
    if audit.order_id:
        span.set_attribute(attributes.ORDER_ID, audit.order_id)
    if audit.ordergroove_status is not None:
        span.set_attribute(attributes.ORDERGROOVE_STATUS, audit.ordergroove_status)


def annotate_replay() -> None:
    trace.get_current_span().set_attribute(attributes.REPLAYED, True)
