"""`POST /gladly/lookup`: Gladly's lookup adaptor, answered from GetSubscriptions.

BASIC finds the Ordergroove customers matching any of the e-mails or the external id (every one
Gladly sends, a bounded number at a time, results de-duplicated); DETAILED reads the full card of
the one linked customer. Nothing is cached: a lookup after an action shows the new state.

A lookup has its own budget (LOOKUP_DEADLINE_SECONDS, under Gladly's 5 s) and never fails: one
failing lookup integration fails the agent's whole profile, other integrations' data included
(reference/gladly.md §1-2). When Ordergroove cannot answer in time, BASIC answers the matches it
has, and DETAILED the linked customer with a notice naming the trace, never a card it did not read.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import grpc
from starlette.requests import Request
from starlette.responses import Response

from actions.v1 import actions_pb2 as pb
from common.telemetry.context import current_trace_id
from gateway import card
from gateway.rpc import ActionsClient, RpcFailure, client_of
from gateway.wire import (
    LookupQuery,
    LookupRequest,
    LookupResponse,
    LookupResult,
    WireResponse,
    decode,
    trimmed,
)

log = logging.getLogger(__name__)

# Searches of one BASIC lookup in flight at once; every e-mail is searched (the 64 KiB body
# bounds how many there can be).
MAX_CONCURRENT_SEARCHES: Final = 8
# The customer attribute that says why the card is missing; "" clears it when the card is back.
NOTICE_ATTRIBUTE: Final = "subscriptionsNotice"


async def lookup(request: Request) -> Response:
    asked = decode(await request.body(), LookupRequest)
    client = client_of(request)
    budget: float = request.app.state.lookup_deadline
    if asked.lookup_level == "BASIC":
        results = await basic(client, asked.the_query, budget)
    else:
        results = await detailed(client, asked.the_query, budget)
    return WireResponse(LookupResponse(results=results))


async def basic(client: ActionsClient, query: LookupQuery, budget: float) -> list[LookupResult]:
    emails = [trimmed(email) for email in [*(query.emails or ()), query.email]]
    external_id = trimmed(query.external_customer_id)
    view = pb.SUBSCRIPTIONS_VIEW_BASIC  # the customer and the counts: no orders, no products
    searches = [
        pb.GetSubscriptionsRequest(email=email, view=view)
        for email in dict.fromkeys(filter(None, emails))
    ]
    if external_id:
        searches.append(pb.GetSubscriptionsRequest(customer_id=external_id, view=view))
    loop = asyncio.get_running_loop()
    give_up = loop.time() + budget
    slots = asyncio.Semaphore(MAX_CONCURRENT_SEARCHES)

    async def search(request: pb.GetSubscriptionsRequest) -> pb.GetSubscriptionsResponse | None:
        async with slots:
            left = give_up - loop.time()
            if left <= 0:
                raise TimeoutError
            return await _find(client, request, left)

    # Every search runs to its end (or the budget's): no call is left behind.
    answers = await asyncio.gather(*(search(s) for s in searches), return_exceptions=True)
    results: dict[str, LookupResult] = {}
    failed = 0
    for answer in answers:
        if isinstance(answer, BaseException):
            failed += 1
        elif answer is not None:
            results.setdefault(answer.customer.customer_id, card.customer_result(answer))
    if failed:
        log.warning("BASIC lookup: %d of %d searches failed or timed out", failed, len(answers))
    return list(results.values())


async def detailed(client: ActionsClient, query: LookupQuery, budget: float) -> list[LookupResult]:
    external_id = trimmed(query.external_customer_id)
    gladly_customer_id = trimmed(query.id)
    if not external_id:
        return []  # not linked: nothing to show
    try:
        found = await _find(client, pb.GetSubscriptionsRequest(customer_id=external_id), budget)
    except RpcFailure as failure:
        log.warning("DETAILED lookup: subscriptions not read (%s)", failure.code.name)
        return [unread_result(external_id)]
    if found is None:
        return []
    result = card.detailed_result(found, gladly_customer_id)
    result.custom_attributes[NOTICE_ATTRIBUTE] = ""  # clears an earlier notice
    return [result]


def unread_result(external_id: str) -> LookupResult:
    """The linked customer, honestly without a card: the counts are cleared rather than kept
    (a missing key keeps Gladly's old value) and the notice names the trace."""
    notice = (
        "Subscriptions could not be read from Ordergroove just now; open the profile again"
        f" in a moment (trace {current_trace_id()})."
    )
    return LookupResult(
        external_customer_id=external_id,
        custom_attributes={"activeSubscriptions": "", "totalSubscriptions": ""}
        | {NOTICE_ATTRIBUTE: notice},
    )


async def _find(
    client: ActionsClient, request: pb.GetSubscriptionsRequest, seconds: float
) -> pb.GetSubscriptionsResponse | None:
    """The linked customer, or None when there is none; a malformed key cannot match anyone."""
    try:
        found = await client.get_subscriptions(request, deadline_seconds=seconds)
    except RpcFailure as failure:
        if failure.code is grpc.StatusCode.INVALID_ARGUMENT:
            return None
        raise
    return found if found.linked else None
