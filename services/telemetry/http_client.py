"""Outbound HTTP clients traced by the httpx instrumentation, with query values redacted.

Ordergroove is asked for a customer by e-mail in the query string (`/customers/?email=…`); the
instrumentation records the full URL, so every query value is replaced before the span is
exported. Headers are recorded only when an operator asks for them
(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST), and then the credentials among them
(`x-api-key`, `authorization`: `SENSITIVE_HEADERS`) only as `[REDACTED]`, whatever the operator's
own OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS says: the instrumentation reads its
list only from the environment, so the hooks here redact them once the headers are recorded.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from opentelemetry.instrumentation.httpx import (
    HTTPXClientInstrumentor,
    RequestInfo,
    ResponseInfo,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv.attributes.url_attributes import URL_FULL
from opentelemetry.trace import Span
from opentelemetry.util.http import remove_url_credentials

from services.telemetry.setup import SENSITIVE_HEADERS

REDACTED: Final = "REDACTED"
# What the instrumentation itself records for a sanitized header.
REDACTED_HEADER: Final = ("[REDACTED]",)
# The old (`http.url`) and the stable (`url.full`) name of the URL attribute.
_URL_ATTRIBUTES: Final = ("http.url", URL_FULL)


def instrument(client: httpx.AsyncClient) -> None:
    """Trace every request of this client (a no-op for a client already instrumented)."""
    HTTPXClientInstrumentor.instrument_client(
        client, request_hook=_redact_request, response_hook=_redact_response
    )


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


def _redact_headers(span: Span, kind: str, headers: httpx.Headers) -> None:
    """Credential headers the instrumentation recorded (`http.<kind>.header.<name>`), redacted
    as its own sanitizing does: each of SENSITIVE_HEADERS is a regex searched in the name."""
    recorded = span.attributes if isinstance(span, ReadableSpan) else None
    for name in headers:
        if any(re.search(pattern, name, re.IGNORECASE) for pattern in SENSITIVE_HEADERS):
            attribute = f"http.{kind}.header.{name.lower().replace('-', '_')}"
            if recorded is None or attribute in recorded:
                span.set_attribute(attribute, REDACTED_HEADER)


async def _redact_response(span: Span, request: RequestInfo, response: ResponseInfo) -> None:
    if span.is_recording():
        _redact_headers(span, "response", httpx.Headers(response.headers))


async def _redact_request(span: Span, request: RequestInfo) -> None:
    if not span.is_recording():
        return
    _redact_headers(span, "request", httpx.Headers(request.headers))
    recorded = span.attributes if isinstance(span, ReadableSpan) else None
    # Every query value is replaced already; credentials in the URL are the library's to redact.
    redacted = remove_url_credentials(redact_query(str(request.url)))
    for name in _URL_ATTRIBUTES:
        if recorded is None or name in recorded:
            span.set_attribute(name, redacted)
