"""What the agent console reads and changes in the sandbox's own state: profiles, their links to
Ordergroove, conversations and the timeline entries that arrived. Kept here, beside the console,
so that the sandbox's own modules stay as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gladly_sandbox.state import (
    CLOSED,
    CONVERSATION_STATUSES,
    Conversation,
    Customer,
    Item,
    SandboxState,
)

__all__ = [
    "CONVERSATION_STATUSES",
    "Conversation",
    "Customer",
    "Item",
    "conversations",
    "linked_ids",
    "open_conversation",
    "profiles_linked_to",
    "set_conversation_status",
    "timeline_newest_first",
]


def linked_ids(customer: Customer) -> list[str]:
    """The Ordergroove customer ids the profile is linked to (the sandbox links one at most)."""
    return [customer.external_customer_id] if customer.external_customer_id else []


def profiles_linked_to(state: SandboxState, external_id: str) -> list[Customer]:
    return [c for c in state.customers() if external_id in linked_ids(c)]


def conversations(state: SandboxState, customer_id: str) -> list[Conversation]:
    """The customer's conversations, oldest first, as Gladly lists them."""
    return sorted(state.conversations_of(customer_id), key=lambda c: c.created_at)


def open_conversation(state: SandboxState, customer_id: str) -> Conversation:
    return state.open_conversation(customer_id)


def set_conversation_status(state: SandboxState, conversation_id: str, status: str) -> None:
    """OPEN, WAITING or CLOSED; a closed conversation remembers when it closed."""
    if status not in CONVERSATION_STATUSES:
        raise ValueError(status)
    conversation = state.conversation(conversation_id)
    if status == CLOSED and conversation.status != CLOSED:
        conversation.closed_at = datetime.now(UTC)
    elif status != CLOSED:
        conversation.closed_at = None
    conversation.status = status


def timeline_newest_first(state: SandboxState, customer_id: str) -> list[Item]:
    return list(reversed(state.timeline(customer_id)))
