"""Outbound HTTP clients traced by the httpx instrumentation, with query values redacted.

Ordergroove is asked for a customer by e-mail in the query string (`/customers/?email=…`); the
instrumentation records the full URL, so every query value is replaced before the span is
exported. Headers are recorded only when an operator asks for them
(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST), and then the credentials among them
(`x-api-key`, `authorization`) only as `[REDACTED]`: `setup.configure` names them in
OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS, which the instrumentation reads when a
client is instrumented, so `configure` runs before any client is created.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor, RequestInfo
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv.attributes.url_attributes import URL_FULL
from opentelemetry.trace import Span
from opentelemetry.util.http import remove_url_credentials

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
    # Every query value is replaced already; credentials in the URL are the library's to redact.
    redacted = remove_url_credentials(redact_query(str(request.url)))
    for name in _URL_ATTRIBUTES:
        if recorded is None or name in recorded:
            span.set_attribute(name, redacted)
