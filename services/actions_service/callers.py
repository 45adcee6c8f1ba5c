"""Which service is calling: a name derived from the bearer token it presented, never the token.

The token interceptor sets it for the duration of a call; the audit log reads it. The name is
the first 8 hex digits of the token's SHA-256, so operators can tell callers apart (and compute
a token's name) without the log revealing anything usable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str] = ContextVar("caller", default="")


def name_of_token(token: str) -> str:
    return f"token-{hashlib.sha256(token.encode()).hexdigest()[:8]}"


def current() -> str:
    """The calling service's name, or "" when the call carried no token (no auth configured)."""
    return _current.get()


@contextmanager
def calling_as(name: str) -> Iterator[None]:
    reset = _current.set(name)
    try:
        yield
    finally:
        _current.reset(reset)
