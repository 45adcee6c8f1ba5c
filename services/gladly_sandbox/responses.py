"""Gladly-style answers: JSON bodies and `{"errors": [...]}` error bodies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


def errors_response(status: int, code: str, detail: str, attr: str | None = None) -> JSONResponse:
    entry = {"code": code, "detail": detail}
    if attr is not None:
        entry = {"attr": attr} | entry
    return JSONResponse({"errors": [entry]}, status_code=status)


def not_found(what: str) -> JSONResponse:
    """Gladly's 404 for an unknown entity: code `not_exist` and no `attr` (Gladly's OpenAPI,
    NotFoundErrors `{"errors": [{"code": "not_exist", "detail": "entity does not exist"}]}`;
    its conversation example: "conversation does not exist")."""
    return errors_response(404, "not_exist", f"{what} does not exist")


async def json_body(request: Request) -> Any:
    """The parsed JSON body, or None when it is missing or not JSON (callers then refuse it)."""
    try:
        return await request.json()
    except ValueError:
        return None
