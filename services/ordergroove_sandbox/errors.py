"""Django-REST-framework-style error answers, raised from anywhere and rendered once."""

from __future__ import annotations

from typing import Any

NOT_FOUND = "Not found."


class ApiError(Exception):
    """An answer other than success: the status and the exact JSON body Ordergroove would send."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, {"detail": NOT_FOUND})


def refused(detail: str) -> ApiError:
    """A business rule said no: 400 with a `detail`."""
    return ApiError(400, {"detail": detail})


def field_error(field: str, message: str) -> ApiError:
    """Bad input in one field: 400 with `{field: [message]}`."""
    return ApiError(400, {field: [message]})
