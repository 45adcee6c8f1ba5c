"""Outbound HTTP clients traced by the httpx instrumentation, with query values redacted.

Ordergroove is asked for a customer by e-mail in the query string (`/customers/?email=…`); the
instrumentation records the full URL, so every query value is replaced before the span is
exported. Headers (`x-api-key`, Basic credentials) are never recorded.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor, RequestInfo
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv.attributes.url_attributes import URL_FULL
from opentelemetry.trace import Span
from opentelemetry.util.http import redact_url

REDACTED: Final = "REDACTED"
# The old (`http.url`) and the stable (`url.full`) name of the URL attribute.
_URL_ATTRIBUTES: Final = ("http.url", URL_FULL)


def instrument(client: httpx.AsyncClient) -> None:
    """Trace every request of this client (a no-op for a client already instrumented)."""
    HTTPXClientInstrumentor.instrument_client(client, request_hook=_redact_url)


def redact_query(url: str) -> str:
    """The URL with every query value replaced, names kept: `?email=REDACTED`."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = urlencode(
        [(name, REDACTED) for name, _ in parse_qsl(parts.query, keep_blank_values=True)],
        safe=REDACTED,
    )
    return urlunsplit(parts._replace(query=query))


async def _redact_url(span: Span, request: RequestInfo) -> None:
    if not span.is_recording():
        return
    recorded = span.attributes if isinstance(span, ReadableSpan) else None
    for name in _URL_ATTRIBUTES:
        if recorded is None or name in recorded:
            # The library's own redaction (credentials in the URL) still applies.
            span.set_attribute(name, redact_url(redact_query(str(request.url))))
