"""A thin adapter for Gladly's REST API: customer links, conversation status, timeline entries.

Gladly's answers as reference/gladly.md §4 and Gladly's OpenAPI describe them: a merged customer
answers 301 with the surviving id in the body's `moved` error (followed), a profile names its
links in `externalCustomerIds` keyed by the lookup integration's id, conversations come oldest
first and at most 100 at a time, and a repeated item id is a 409 with error code `taken`. An
answer that is not the JSON Gladly documents is an upstream failure, never ours.
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

from services.actions_service.domain import TimelineEntry
from services.actions_service.errors import UpstreamUnavailable
from services.actions_service.upstream import (
    Gate,
    Response,
    RetryPolicy,
    Upstream,
    pooled_client,
)

log = logging.getLogger(__name__)

SYSTEM = "Gladly"
SOURCE_NAME = "Ordergroove"  # a timeline entry's `sourceName` (≤ 50 characters)
TITLE_MAX_LENGTH: Final = 100
BODY_MAX_LENGTH: Final = 25_000
# Gladly allows 10 requests per second per method: more connections would not help.
MAX_CONNECTIONS = 10
# Answers that no retry will change: the entry itself or its customer is wrong. (401/403 are
# not here: fixed credentials make the same entry go through.)
REFUSED_FOR_GOOD = frozenset({400, 404, 413, 422})
# "Open means not closed": Gladly takes actions away once a conversation is closed, so WAITING
# (on the customer) still allows them (reference/gladly.md §2).
NOT_CLOSED: Final = frozenset({"OPEN", "WAITING"})
# Set when a customer has more conversations than the (oldest first, ≤ 100) list holds.
LIMITED_DATA_HEADER: Final = "Gladly-Limited-Data"
# Merges of merges are followed this far; a longer chain is a loop, not a customer.
MAX_MERGE_HOPS: Final = 5

CUSTOMER_ITEMS: Final = "/api/v1/customers/{customer_id}/conversation-items"
CUSTOMER_PROFILE: Final = "/api/v1/customer-profiles/{customer_id}"
CUSTOMER_CONVERSATIONS: Final = "/api/v1/customers/{customer_id}/conversations"
CONVERSATION: Final = "/api/v1/conversations/{conversation_id}"


class TimelineRefused(Exception):
    """Gladly refused a timeline entry for good (e.g. no such customer, invalid entry)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"Gladly answered {status}: {detail}")
        self.status = status


class GladlyClient:
    def __init__(self, upstream: Upstream, lookup_app_id: str = "") -> None:
        self._upstream = upstream
        self._lookup_app_id = lookup_app_id

    @classmethod
    def create(
        cls,
        base_url: str,
        api_user: str,
        api_token: str,
        *,
        lookup_app_id: str = "",
        policy: RetryPolicy | None = None,
        gate: Gate | None = None,
    ) -> GladlyClient:
        client = pooled_client(
            base_url,
            max_connections=MAX_CONNECTIONS,
            auth=(api_user, api_token),
            headers={"accept": "application/json"},
        )
        return cls(Upstream(SYSTEM, client, policy, gate), lookup_app_id)

    @property
    def lookup_app_id(self) -> str:
        return self._lookup_app_id

    async def aclose(self) -> None:
        await self._upstream.aclose()

    async def linked_customer_id(self, customer_id: str) -> str:
        """The Ordergroove customer this Gladly customer is linked to, or "" when it is not
        linked or Gladly does not know it: `externalCustomerIds[<lookup app id>]`, else the
        field of profiles linked before 05/12/21, `externalCustomerId`."""
        response, _ = await self._customer_request("GET", CUSTOMER_PROFILE, customer_id)
        if response.status_code == 404:
            return ""
        profile = _json(_success(response, "customer profile read"))
        if not isinstance(profile, dict):
            raise _malformed("customer profile read")
        links = profile.get("externalCustomerIds")
        linked = ""
        if self._lookup_app_id and isinstance(links, dict):
            linked = _text(links.get(self._lookup_app_id))
        return linked or _text(profile.get("externalCustomerId"))

    async def conversation_allows_actions(
        self, customer_id: str, conversation_id: str = ""
    ) -> bool:
        """Whether the customer has a conversation that is not closed: the one named, which must
        be theirs, or any. A list that Gladly capped (oldest first) without an open one leaves
        the newest unseen: that is not known to be closed, so it allows."""
        if conversation_id:
            return await self._named_conversation_allows(customer_id, conversation_id)
        response, _ = await self._customer_request("GET", CUSTOMER_CONVERSATIONS, customer_id)
        if response.status_code == 404:
            return False
        conversations = _json(_success(response, "conversations read"))
        if not isinstance(conversations, list):
            raise _malformed("conversations read")
        if any(_status(c) in NOT_CLOSED for c in conversations):
            return True
        if response.headers.get(LIMITED_DATA_HEADER):
            log.info("Gladly capped a conversation list with none open: the newest are unseen")
            return True
        return False

    async def _named_conversation_allows(self, customer_id: str, conversation_id: str) -> bool:
        response = await self._upstream.request(
            "GET", CONVERSATION.format(conversation_id=quote(conversation_id, safe=""))
        )
        if response.status_code == 404:
            return False
        conversation = _json(_success(response, "conversation read"))
        if not isinstance(conversation, dict):
            raise _malformed("conversation read")
        owner = _text(conversation.get("customerId"))
        if owner != customer_id and owner != await self._current_customer_id(customer_id):
            return False  # another customer's conversation
        return _status(conversation) in NOT_CLOSED

    async def _current_customer_id(self, customer_id: str) -> str:
        """The id a (possibly merged) customer lives under now."""
        response, current = await self._customer_request("GET", CUSTOMER_PROFILE, customer_id)
        return current if response.is_success else customer_id

    async def post_timeline_entry(self, customer_id: str, entry: TimelineEntry) -> None:
        """Post once; an answer of 409 `taken` means an earlier attempt already arrived.
        Raises TimelineRefused when retrying cannot help, UpstreamUnavailable when it may."""
        response, _ = await self._customer_request(
            "POST", CUSTOMER_ITEMS, customer_id, json=timeline_item(entry)
        )
        if response.is_success or _is_taken(response):
            return
        if response.status_code in REFUSED_FOR_GOOD:
            raise TimelineRefused(response.status_code, response.text[:200])
        log.warning("Gladly refused a timeline entry with %d", response.status_code)
        raise UpstreamUnavailable(SYSTEM)

    async def _customer_request(
        self, method: str, template: str, customer_id: str, *, json: Any = None
    ) -> tuple[Response, str]:
        """The answer about a customer and the id it was given for: a 301 (a merged customer)
        is asked again of the surviving customer, with the same method and body."""
        for _ in range(MAX_MERGE_HOPS):
            url = template.format(customer_id=quote(customer_id, safe=""))
            response = await self._upstream.request(method, url, json=json)
            if response.status_code != 301:
                return response, customer_id
            survivor = _surviving_id(response, template)
            if not survivor or survivor == customer_id:
                raise _malformed("merged customer's redirect")
            log.info("Gladly customer merged: following to the surviving customer")
            customer_id = survivor
        raise _malformed("chain of merged customers")


def timeline_item(entry: TimelineEntry) -> dict[str, Any]:
    """The body of a timeline post, within Gladly's limits (OpenAPI "Create item for customer"):
    `type` and `activityType` (required; ISSUE picks the icon), `title` ≤ 100 and `body`
    ≤ 25000 characters (clipped rather than refused for good), `occurredAt` RFC 3339 with
    milliseconds."""
    occurred_at = entry.occurred_at.astimezone(UTC).isoformat(timespec="milliseconds")
    return {
        "id": entry.item_id,
        "content": {
            "type": "CUSTOMER_ACTIVITY",
            "activityType": "ISSUE",
            "sourceName": SOURCE_NAME,
            "title": _clipped(entry.title, TITLE_MAX_LENGTH),
            "body": _clipped(entry.body, BODY_MAX_LENGTH),
            "occurredAt": occurred_at.replace("+00:00", "Z"),
        },
    }


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _surviving_id(response: Response, template: str) -> str:
    """The surviving customer of a merge: `meta.new` of the body's `moved` error (Gladly's
    OpenAPI: `{"errors": [{"code": "moved", "meta": {"old", "new"}}]}`), else the segment of
    `Location` where the template has the id (documented for timeline posts only)."""
    for error in _errors(response):
        meta = error.get("meta") if error.get("code") == "moved" else None
        if isinstance(meta, dict) and (survivor := _text(meta.get("new"))):
            return survivor
    location = urlsplit(response.headers.get("location", "")).path.split("/")
    position = template.split("/").index("{customer_id}")
    return unquote(location[position]) if len(location) > position else ""


def _errors(response: Response) -> list[dict[str, Any]]:
    """The entries of Gladly's `{"errors": [...]}` body; none when the body is not that."""
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _is_taken(response: Response) -> bool:
    """409 with error code `taken`: an item with this id exists. Other conflicts are not that."""
    return response.status_code == 409 and any(e.get("code") == "taken" for e in _errors(response))


def _success(response: Response, what: str) -> Response:
    if not response.is_success:
        log.warning("Gladly answered %d to a %s", response.status_code, what)
        raise UpstreamUnavailable(SYSTEM)
    return response


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:  # also bad UTF-8: a proxy's HTML page, a truncated body
        log.warning("Gladly answered %d with a body that is not JSON", response.status_code)
        raise UpstreamUnavailable(SYSTEM) from None


def _malformed(what: str) -> UpstreamUnavailable:
    log.warning("Gladly's answer to a %s is not shaped as documented", what)
    return UpstreamUnavailable(SYSTEM)


def _status(conversation: Any) -> str:
    return _text(conversation.get("status")) if isinstance(conversation, dict) else ""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
