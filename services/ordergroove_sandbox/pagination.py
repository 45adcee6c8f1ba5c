"""DRF's two pagination styles as Ordergroove uses them.

Version 1 (default) numbers pages: `{"count", "next", "previous", "results"}`.
Version 2 (header `X-OG-API-VERSION: 2`) uses opaque cursors: `{"next", "previous", "results"}`.
`next`/`previous` are absolute URLs built from the request's own URL, so a client follows them
as they are.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.datastructures import URL, QueryParams

from services.ordergroove_sandbox.errors import ApiError

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


def query_of(url: URL) -> QueryParams:
    return QueryParams(url.query)


def paginate(
    records: Sequence[T], render: Callable[[T], dict[str, Any]], url: URL, cursor: bool
) -> dict[str, Any]:
    size = page_size(url)
    if cursor:
        return _cursor_page(records, render, url, size)
    return _numbered_page(records, render, url, size)


def page_size(url: URL) -> int:
    """DRF rejects a malformed size but quietly caps a large one at the maximum."""
    raw = query_of(url).get("page_size")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ApiError(400, {"page_size": ["A valid integer is required."]}) from None
    if size < 1:
        raise ApiError(400, {"page_size": ["Ensure this value is greater than or equal to 1."]})
    return min(size, MAX_PAGE_SIZE)


def _numbered_page(
    records: Sequence[T], render: Callable[[T], dict[str, Any]], url: URL, size: int
) -> dict[str, Any]:
    pages = max(1, math.ceil(len(records) / size))
    number = _page_number(query_of(url).get("page"), pages)
    start = (number - 1) * size
    previous: str | None = None
    if number == 2:
        # DRF drops the parameter rather than linking to "?page=1".
        previous = str(url.remove_query_params("page"))
    elif number > 2:
        previous = str(url.include_query_params(page=number - 1))
    return {
        "count": len(records),
        "next": str(url.include_query_params(page=number + 1)) if number < pages else None,
        "previous": previous,
        "results": [render(record) for record in records[start : start + size]],
    }


def _page_number(raw: str | None, pages: int) -> int:
    if raw is None or raw == "":
        return 1
    if raw == "last":
        return pages
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= pages:
        raise ApiError(404, {"detail": "Invalid page."})
    return number


def _cursor_page(
    records: Sequence[T], render: Callable[[T], dict[str, Any]], url: URL, size: int
) -> dict[str, Any]:
    start = decode_cursor(query_of(url).get("cursor"))
    end = start + size
    previous: str | None = None
    if start > 0:
        before = max(0, start - size)
        previous = str(
            url.include_query_params(cursor=encode_cursor(before))
            if before
            else url.remove_query_params("cursor")
        )
    return {
        "next": str(url.include_query_params(cursor=encode_cursor(end)))
        if end < len(records)
        else None,
        "previous": previous,
        "results": [render(record) for record in records[start:end]],
    }


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        key, _, value = text.partition("=")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
        key = ""
    if key != "o" or offset < 0:
        raise ApiError(404, {"detail": "Invalid cursor"})
    return offset
