"""One ASGI middleware in front of `/gladly/*`: body size limit and Gladly signature check.

The body is read once here (the signature covers its raw bytes) and replayed to the app, so the
endpoint reads exactly the bytes that were verified. A refused request never reaches a route:
nothing is looked up, nothing is changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import signing
from gateway.errors import error_response

log = logging.getLogger(__name__)

PROTECTED_PREFIX = "/gladly/"
MAX_BODY_BYTES = 64 * 1024
# The 413's detail (with a full stop) and the OpenAPI document's reason (without one).
BODY_TOO_LARGE = f"The body exceeds {MAX_BODY_BYTES // 1024} KiB"


class BodyTooLarge(Exception):
    pass


class GladlyGuard:
    def __init__(
        self,
        app: ASGIApp,
        keys: Sequence[str],
        *,
        prefix: str = PROTECTED_PREFIX,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.keys = tuple(keys)
        self.prefix = prefix
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        try:
            if int(headers.get("content-length") or 0) > MAX_BODY_BYTES:
                raise BodyTooLarge
            body = await self._read_body(receive)
        except BodyTooLarge:
            await self._refuse(413, "Payload Too Large", f"{BODY_TOO_LARGE}.", scope, send)
            return
        except ValueError:  # a Content-Length that is no number
            await self._refuse(400, "Bad Request", "Invalid Content-Length.", scope, send)
            return
        try:
            self._verify(scope, headers, body)
        except signing.SignatureError as error:
            log.info("refused %s %s: %s", scope["method"], scope["path"], error)
            detail = "A valid Gladly signature is required."
            await self._refuse(401, "Unauthorized", detail, scope, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes:
        """Count what really arrives: a chunked body announces no length."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body and its disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _verify(self, scope: Scope, headers: dict[str, str], body: bytes) -> None:
        signing.verify(
            self.keys,
            scope["method"],
            wire_path(scope),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            now=self.clock(),
        )

    @staticmethod
    async def _refuse(status: int, message: str, detail: str, scope: Scope, send: Send) -> None:
        async def no_body() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        await error_response(status, message, detail)(scope, no_body, send)


def wire_path(scope: Scope) -> str:
    """The path exactly as sent, undecoded: what the signature covers (and the request_id).
    The decoded path stands in only when the server gives no `raw_path` (ASGI makes it optional)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    return raw_path.decode("latin-1")


def _headers(scope: Scope) -> dict[str, str]:
    """Lower-case names; a repeated header's values joined with "," as HTTP allows."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hand the app the body that was read, then whatever the server says next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
