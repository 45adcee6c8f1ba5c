"""A thin adapter for Gladly's REST API: customer links, conversation status, timeline entries."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from services.actions_service.domain import TimelineEntry
from services.actions_service.errors import UpstreamUnavailable
from services.actions_service.upstream import RetryPolicy, Upstream

log = logging.getLogger(__name__)

SYSTEM = "Gladly"
SOURCE_NAME = "Ordergroove"


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
    ) -> GladlyClient:
        client = httpx.AsyncClient(
            base_url=base_url,
            auth=httpx.BasicAuth(api_user, api_token),
            headers={"accept": "application/json"},
        )
        return cls(Upstream(SYSTEM, client, policy))

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
        """Post once; an answer of 409 `taken` means an earlier attempt already arrived."""
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
        log.warning("Gladly refused a timeline entry with %d", response.status_code)
        raise UpstreamUnavailable(SYSTEM)
