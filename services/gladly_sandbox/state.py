"""The Gladly sandbox's in-memory world: customers, conversations, timeline items, journal."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The seeded world; other services' tests and `make run` rely on these ids.
DEMO_CUSTOMER_ID = "gladly-demo-customer"
DEMO_EXTERNAL_CUSTOMER_ID = "demo-customer-1"  # the Ordergroove customer it is linked to
DEMO_EMAIL = "demo@example.com"
DEMO_CONVERSATION_ID = "gladly-demo-conversation"
CLOSED_CUSTOMER_ID = "gladly-closed-customer"
CLOSED_CONVERSATION_ID = "gladly-closed-conversation"
# The id Gladly gives the lookup integration: a profile's `externalCustomerIds` is keyed by it
# (reference/gladly.md §4, Gladly's OpenAPI example `{"ABC12345": "54321"}`). The service learns
# it from GLADLY_LOOKUP_APP_ID; `make run` sets both to this.
DEFAULT_LOOKUP_APP_ID = "sandbox-lookup-app"
# Every conversation belongs to an inbox (`inboxId` is required in Gladly's Conversation).
SANDBOX_INBOX_ID = "sandbox-inbox"

OPEN, WAITING, CLOSED = "OPEN", "WAITING", "CLOSED"
CONVERSATION_STATUSES = (OPEN, WAITING, CLOSED)
# The journal keeps the most recent requests only: a sandbox left running must not grow unbounded.
JOURNAL_SIZE = 10_000

Json = dict[str, Any]


class NotFoundError(LookupError):
    """No such customer or conversation."""


class TakenError(ValueError):
    """The id is already used."""


def new_id() -> str:
    """A random URL-safe id shaped like Gladly's (22 characters)."""
    return secrets.token_urlsafe(16)


def rfc3339(when: datetime) -> str:
    """RFC 3339 with milliseconds, as Gladly writes timestamps."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Customer:
    id: str
    emails: list[str] = field(default_factory=list)
    external_customer_id: str | None = None
    # Linked by a lookup adaptor installed before 05/12/21: only such profiles carry the single
    # field `externalCustomerId` (reference/gladly.md §4); new installations never see it.
    legacy_link: bool = False

    def to_json(self, lookup_app_id: str = DEFAULT_LOOKUP_APP_ID) -> Json:
        data: Json = {
            "id": self.id,
            "emails": [{"original": email} for email in self.emails],
            # One entry per linked lookup integration, keyed by its id (reference/gladly.md §4).
            "externalCustomerIds": (
                {lookup_app_id: self.external_customer_id} if self.external_customer_id else {}
            ),
        }
        if self.legacy_link and self.external_customer_id:
            data["externalCustomerId"] = self.external_customer_id
        return data


@dataclass
class Conversation:
    id: str
    customer_id: str
    status: str
    created_at: datetime
    closed_at: datetime | None = None

    def to_json(self) -> Json:
        """Gladly's Conversation (OpenAPI "Get conversation"): no agent assigned, no topics."""
        data: Json = {
            "id": self.id,
            "topicIds": [],
            "customAttributes": [],
            "customerId": self.customer_id,
            "createdAt": rfc3339(self.created_at),
            "inboxId": SANDBOX_INBOX_ID,
            "status": self.status,
        }
        if self.closed_at is not None:
            data["closedAt"] = rfc3339(self.closed_at)
        return data


@dataclass(frozen=True)
class Item:
    id: str
    customer_id: str
    timestamp: datetime
    content: Json

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "customerId": self.customer_id,
            "timestamp": rfc3339(self.timestamp),
            "content": self.content,
        }


@dataclass
class JournalEntry:
    method: str
    path: str
    status: int | None = None  # None until answered

    def to_json(self) -> Json:
        return {"method": self.method, "path": self.path, "status": self.status}


class SandboxState:
    """Everything the sandbox remembers; `reset` goes back to the seed."""

    def __init__(
        self,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lookup_app_id: str = DEFAULT_LOOKUP_APP_ID,
    ) -> None:
        self._clock = clock
        self.lookup_app_id = lookup_app_id
        self.reset()

    def now(self) -> datetime:
        return self._clock()

    def reset(self) -> None:
        self._customers: dict[str, Customer] = {}
        self._conversations: dict[str, Conversation] = {}
        self._items: dict[str, Item] = {}
        self._merged_into: dict[str, str] = {}  # a merged customer's id → the surviving one
        self.journal: deque[JournalEntry] = deque(maxlen=JOURNAL_SIZE)
        self._seed()

    def _seed(self) -> None:
        self.add_customer(DEMO_CUSTOMER_ID, [DEMO_EMAIL], DEMO_EXTERNAL_CUSTOMER_ID)
        self.open_conversation(DEMO_CUSTOMER_ID, conversation_id=DEMO_CONVERSATION_ID)
        self.add_customer(CLOSED_CUSTOMER_ID)
        self.open_conversation(CLOSED_CUSTOMER_ID, CLOSED, conversation_id=CLOSED_CONVERSATION_ID)

    def add_customer(
        self,
        customer_id: str,
        emails: list[str] | None = None,
        external_id: str | None = None,
        *,
        legacy_link: bool = False,
    ) -> Customer:
        if customer_id in self._customers or customer_id in self._merged_into:
            raise TakenError(customer_id)
        customer = Customer(customer_id, emails or [], external_id, legacy_link)
        self._customers[customer_id] = customer
        return customer

    def customer(self, customer_id: str) -> Customer:
        try:
            return self._customers[customer_id]
        except KeyError:
            raise NotFoundError(customer_id) from None

    def customers(self) -> list[Customer]:
        """Every customer, in the order they were added (the agent console searches them)."""
        return list(self._customers.values())

    def open_conversation(
        self, customer_id: str, status: str = OPEN, *, conversation_id: str | None = None
    ) -> Conversation:
        self.customer(customer_id)
        now = self._clock()
        conversation = Conversation(conversation_id or new_id(), customer_id, status, now)
        if status == CLOSED:
            conversation.closed_at = now
        self._conversations[conversation.id] = conversation
        return conversation

    def conversation(self, conversation_id: str) -> Conversation:
        try:
            return self._conversations[conversation_id]
        except KeyError:
            raise NotFoundError(conversation_id) from None

    def conversations_of(self, customer_id: str) -> list[Conversation]:
        """Oldest first, as Gladly lists them (reference/gladly.md §4)."""
        self.customer(customer_id)
        found = [c for c in self._conversations.values() if c.customer_id == customer_id]
        return sorted(found, key=lambda c: c.created_at)  # stable: same instant keeps insertion

    def merge(self, customer_id: str, into: str) -> None:
        """Merge a customer into another, as an agent does in Gladly: the survivor keeps the
        conversations and items; the merged id answers 301 from then on."""
        merged, survivor = self.customer(customer_id), self.customer(into)
        if merged is survivor:
            raise TakenError(into)
        if survivor.external_customer_id is None:
            survivor.external_customer_id = merged.external_customer_id
        for conversation in self._conversations.values():
            if conversation.customer_id == customer_id:
                conversation.customer_id = into
        del self._customers[customer_id]
        self._merged_into[customer_id] = into

    def survivor_of(self, customer_id: str) -> str | None:
        """The customer a merged id now lives on (following merges of merges), or None."""
        survivor = self._merged_into.get(customer_id)
        while survivor in self._merged_into:
            survivor = self._merged_into[survivor]
        return survivor

    def close_conversations(self, customer_id: str) -> list[Conversation]:
        conversations = self.conversations_of(customer_id)
        now = self._clock()
        for conversation in conversations:
            if conversation.status != CLOSED:
                conversation.status, conversation.closed_at = CLOSED, now
        return conversations

    def add_item(self, customer_id: str, item_id: str | None, content: Json) -> Item:
        self.customer(customer_id)
        if item_id in self._items:
            raise TakenError(item_id)
        item = Item(item_id or new_id(), customer_id, self._clock(), content)
        self._items[item.id] = item
        return item

    def timeline(self, customer_id: str | None = None) -> list[Item]:
        """Items oldest first, for one customer or for all."""
        if customer_id is not None:
            self.customer(customer_id)
        return [i for i in self._items.values() if customer_id in (None, i.customer_id)]

    def record(self, method: str, path: str) -> JournalEntry:
        entry = JournalEntry(method, path)
        self.journal.append(entry)
        return entry
