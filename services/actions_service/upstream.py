"""Sending one HTTP request to an upstream API within the action's deadline, retrying what is safe.

Only what certainly was not applied, or is safe to repeat, is retried: reads on transient
failures; writes only on answers that say "not applied" (423, 429, 503) and on connection failures
before the request left. Backoff is full-jitter exponential, and a retry is made only while the
deadline leaves room for it.

Every attempt is an HTTP client span (the httpx instrumentation) under the action's span; each
retry, and a retry the deadline leaves no room for, is an event on the action's span.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from opentelemetry import trace
from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD

from services.actions_service import deadline, metrics
from services.actions_service.errors import UpstreamUnavailable
from services.telemetry import attributes, http_client

log = logging.getLogger(__name__)

# Answers that mean "not applied, try again later", whatever the method.
NOT_APPLIED_STATUSES = frozenset({423, 429, 503})
# Reads may also be repeated after a server error or a gateway timeout.
READ_RETRY_STATUSES = NOT_APPLIED_STATUSES | {500, 502, 504}
# An idle connection is dropped before servers commonly drop theirs (uvicorn: 5 s): a request sent
# on a connection the server is closing fails, and a failed write has an unknown outcome.
KEEPALIVE_SECONDS = 4.0
# Without a deadline (e.g. background work) a request still may not hang forever.
DEFAULT_TIMEOUT = 10.0
# A retry is pointless unless at least this much time is left for the attempt itself.
MIN_ATTEMPT_SECONDS = 0.05


def pooled_client(base_url: str, *, max_connections: int, **options: Any) -> httpx.AsyncClient:
    """One keep-alive pool per upstream system and process. httpx's API (and so its tracing) over
    aiohttp's connection pool: httpcore's pool spends CPU per request that grows with the
    requests in flight (encode/httpcore#1035), 14 times as much as aiohttp's at 64 in flight."""
    pool = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )
    return httpx.AsyncClient(base_url=base_url, transport=AiohttpTransport(limits=pool), **options)


class Gate(Protocol):
    async def acquire(self, method: str) -> None: ...

    async def observe(
        self, method: str, status: int, retry_after: float | None, remaining: str
    ) -> None: ...


# Statuses whose `Retry-After` says when to try again (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})
# A `Retry-After` longer than this is taken as this: no request waits for minutes.
MAX_RETRY_AFTER_SECONDS = 60.0


def retry_after(response: httpx.Response) -> float | None:
    """The answer's `Retry-After` in seconds (delay-seconds or an HTTP-date), for 429 and 503."""
    value = response.headers.get("retry-after", "").strip()
    if response.status_code not in RETRY_AFTER_STATUSES or not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.1
    max_delay: float = 1.0
    # A read is cut off after this long and retried; Ordergroove answers most calls within 1 s.
    read_attempt_timeout: float = 4.0

    def backoff(self, retry_number: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**retry_number))


class Upstream:
    """One pooled `httpx.AsyncClient` for one upstream system, plus the retry rules."""

    def __init__(
        self,
        system: str,
        client: httpx.AsyncClient,
        policy: RetryPolicy | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.system = system
        self.client = client
        self.policy = policy or RetryPolicy()
        self.gate = gate
        http_client.instrument(client)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: httpx.QueryParams | dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send with retries; returns the final answer (any status) or raises UpstreamUnavailable
        or DeadlineExceeded when no answer could be had in time."""
        is_read = method in ("GET", "HEAD")
        retry_statuses = READ_RETRY_STATUSES if is_read else NOT_APPLIED_STATUSES
        for attempt in range(1, self.policy.attempts + 1):
            last_attempt = attempt == self.policy.attempts
            wait_at_least = 0.0
            if self.gate is not None:
                await self.gate.acquire(method)
            try:
                response = await self.client.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    timeout=self._timeout(cut_short=is_read and not last_attempt),
                )
            except (httpx.TransportError, aiohttp.ClientError) as exc:
                metrics.upstream_request(self.system, None)
                _raise_if_deadline_passed()
                if last_attempt or not _may_retry_after(exc, is_read):
                    log.warning("%s %s %s failed: %s", self.system, method, url, _name(exc))
                    raise UpstreamUnavailable(self.system) from exc
                reason = _name(exc)
            else:
                metrics.upstream_request(self.system, response.status_code)
                wait_at_least = retry_after(response) or 0.0
                if self.gate is not None:
                    await self.gate.observe(
                        method,
                        response.status_code,
                        retry_after(response),
                        response.headers.get("ratelimit-remaining-second", ""),
                    )
                if last_attempt or response.status_code not in retry_statuses:
                    return response
                reason = str(response.status_code)
            if not await self._wait_before_retry(attempt, method, reason, wait_at_least):
                break
            log.info("%s %s %s: retry %d after %s", self.system, method, url, attempt, reason)
        raise UpstreamUnavailable(self.system)

    def _timeout(self, cut_short: bool) -> float:
        """The time left, or less for a read that may still be retried: a hung read is given up
        early so another attempt fits. The last attempt, and every write, gets all that is left:
        cutting a write short would make its outcome unknown."""
        left = deadline.remaining()
        if left is None:
            return DEFAULT_TIMEOUT
        return min(left, self.policy.read_attempt_timeout) if cut_short else left

    async def _wait_before_retry(
        self, attempt: int, method: str, reason: str, at_least: float
    ) -> bool:
        delay = max(self.policy.backoff(attempt), at_least)
        left = deadline.remaining()
        event: dict[str, str | int] = {
            attributes.UPSTREAM_SYSTEM: self.system,
            HTTP_REQUEST_METHOD: method,
            attributes.RETRY_ATTEMPT: attempt,
            attributes.RETRY_REASON: reason,
        }
        span = trace.get_current_span()
        if left is not None and left < delay + MIN_ATTEMPT_SECONDS:
            span.add_event(attributes.EVENT_RETRY_ABANDONED, event)
            return False
        span.add_event(attributes.EVENT_RETRY, {**event, attributes.RETRY_DELAY_SECONDS: delay})
        metrics.UPSTREAM_RETRIES.add(1, {attributes.UPSTREAM_SYSTEM: self.system})
        await asyncio.sleep(delay)
        return True


def _may_retry_after(exc: Exception, is_read: bool) -> bool:
    """Reads may always be repeated; a write only when it certainly never left: no connection
    was made. httpx-aiohttp reports every lost connection, even one dropped after the request
    was sent, as ConnectTimeout, so aiohttp's own error (the cause) decides."""
    if is_read:
        return True
    cause = exc if isinstance(exc, aiohttp.ClientError) else exc.__cause__
    return isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def _name(exc: Exception) -> str:
    """What went wrong, in the words of the library that saw it (aiohttp's, not the mapping's)."""
    return type(exc.__cause__ or exc).__name__


def _raise_if_deadline_passed() -> None:
    left = deadline.remaining()
    if left is not None and left <= 0.001:
        raise deadline.DeadlineExceeded
