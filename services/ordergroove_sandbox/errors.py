"""Django-REST-framework-style error answers, raised from anywhere and rendered once."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

NOT_FOUND = "Not found."
# Recorded getSubscriptionById/not_found and reactivateSubscription/not_found.
SUBSCRIPTION_NOT_FOUND = "Subscription not found"
# Recorded as the 400 of cancelOrder/rejected and sendOrderNow/rejected.
ORDER_ALREADY_CANCELLED = "Order is already cancelled"


class ApiError(Exception):
    """An answer other than success: the status and the exact JSON body Ordergroove would send
    (None: an empty body)."""

    def __init__(
        self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return JSONResponse(self.body, self.status, headers=self.headers)


def not_found() -> ApiError:
    return ApiError(404, {"detail": NOT_FOUND})


def subscription_not_found() -> ApiError:
    return ApiError(404, {"error": SUBSCRIPTION_NOT_FOUND})


def order_not_found() -> ApiError:
    # Recorded skipSubscription/not_found: a 404 whose body is `{}`.
    return ApiError(404, {})


def order_not_open() -> ApiError:
    """An order or item action on an order that is no longer open (placed, rejected, being
    placed): Ordergroove answers 500 with an empty body (ENDPOINTS.md, "Shared error
    handling", 5xx)."""
    return ApiError(500, None)


def refused(detail: str) -> ApiError:
    """A business rule said no: 400 with a `detail`."""
    return ApiError(400, {"detail": detail})


def field_error(field: str, message: str) -> ApiError:
    """Bad input in one field: 400 with `{field: [message]}`."""
    return ApiError(400, {field: [message]})
