"""A thin adapter for Gladly's REST API: customer links, conversation status, timeline entries."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from services.actions_service.domain import TimelineEntry
from services.actions_service.errors import UpstreamUnavailable
from services.actions_service.upstream import Gate, RetryPolicy, Upstream, pooled_client

log = logging.getLogger(__name__)

SYSTEM = "Gladly"
SOURCE_NAME = "Ordergroove"
# Gladly allows 10 requests per second per method: more connections would not help.
MAX_CONNECTIONS = 10
# Answers that no retry will change: the entry itself or its customer is wrong. (401/403 are
# not here: fixed credentials make the same entry go through.)
REFUSED_FOR_GOOD = frozenset({400, 404, 413, 422})


class TimelineRefused(Exception):
    """Gladly refused a timeline entry for good (e.g. no such customer, invalid entry)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"Gladly answered {status}: {detail}")
        self.status = status


class GladlyClient:
    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream

    @classmethod
    def create(
        cls,
        base_url: str,
        api_user: str,
        api_token: str,
        *,
        policy: RetryPolicy | None = None,
        gate: Gate | None = None,
    ) -> GladlyClient:
        client = pooled_client(
            base_url,
            max_connections=MAX_CONNECTIONS,
            auth=httpx.BasicAuth(api_user, api_token),
            headers={"accept": "application/json"},
        )
        return cls(Upstream(SYSTEM, client, policy, gate))

    async def aclose(self) -> None:
        await self._upstream.aclose()

    async def linked_customer_id(self, customer_id: str) -> str:
        """The Ordergroove customer this Gladly customer is linked to (`externalCustomerId`),
        or "" when it is not linked or Gladly does not know it."""
        response = await self._upstream.request("GET", f"/api/v1/customer-profiles/{customer_id}")
        if response.status_code == 404:
            return ""
        if not response.is_success:
            log.warning("Gladly answered %d to a customer profile read", response.status_code)
            raise UpstreamUnavailable(SYSTEM)
        profile: Any = response.json()
        linked = profile.get("externalCustomerId") if isinstance(profile, dict) else None
        return linked.strip() if isinstance(linked, str) else ""

    async def has_open_conversation(self, customer_id: str) -> bool:
        response = await self._upstream.request(
            "GET", f"/api/v1/customers/{customer_id}/conversations"
        )
        if response.status_code == 404:
            return False
        if not response.is_success:
            log.warning("Gladly answered %d to a conversations read", response.status_code)
            raise UpstreamUnavailable(SYSTEM)
        conversations: Any = response.json()
        return isinstance(conversations, list) and any(
            isinstance(c, dict) and c.get("status") == "OPEN" for c in conversations
        )

    async def post_timeline_entry(self, customer_id: str, entry: TimelineEntry) -> None:
        """Post once; an answer of 409 `taken` means an earlier attempt already arrived.
        Raises TimelineRefused when retrying cannot help, UpstreamUnavailable when it may."""
        response = await self._upstream.request(
            "POST",
            f"/api/v1/customers/{customer_id}/conversation-items",
            json={
                "id": entry.item_id,
                "content": {
                    "type": "CUSTOMER_ACTIVITY",
                    "activityType": "ISSUE",
                    "sourceName": SOURCE_NAME,
                    "title": entry.title,
                    "body": entry.body,
                    "occurredAt": entry.occurred_at.isoformat(timespec="milliseconds").replace(
                        "+00:00", "Z"
                    ),
                },
            },
        )
        if response.is_success or response.status_code == 409:
            return
        if response.status_code in REFUSED_FOR_GOOD:
            raise TimelineRefused(response.status_code, response.text[:200])
        log.warning("Gladly refused a timeline entry with %d", response.status_code)
        raise UpstreamUnavailable(SYSTEM)
