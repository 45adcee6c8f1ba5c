"""Sign httpx requests as Gladly does: the other side of `guard`, for the Gladly sandbox's caller
and the tests. The signature covers exactly the bytes httpx sends."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

from gateway import signing


class GladlySignature(httpx.Auth):
    requires_request_body = True

    def __init__(self, key: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._key = key
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # Gladly names every request with these two and signs them.
        request.headers.setdefault("Gladly-Correlation-Id", secrets.token_urlsafe(16))
        request.headers.setdefault("X-B3-Traceid", secrets.token_hex(16))
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        request.headers.update(
            signing.sign(
                self._key,
                request.method,
                path,
                query=query,
                headers=dict(request.headers),
                body=request.content,
                when=self._clock(),
            )
        )
        yield request
