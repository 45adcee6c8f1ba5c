"""Validation of a new conversation item (a CUSTOMER_ACTIVITY timeline entry) as Gladly does it.

From Gladly's OpenAPI, "Create item for customer" (reference/gladly.md §4): only `type` and
`activityType` are required; `title` ≤ 100, `body` ≤ 25000, `sourceName` ≤ 50 and `link.text`
≤ 50 characters; `occurredAt` RFC 3339, "limited to events no older than 1 year"; the id URL-safe
and under 50 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
# "URL-safe and under 50 characters" (reference/gladly.md §4, timeline entries).
ID_MAX_LENGTH = 49
ACTIVITY_TYPES = ("EMAIL", "ISSUE", "SMS", "SURVEY")
# fromisoformat alone also takes plain dates and other ISO 8601 shapes that RFC 3339 does not.
RFC3339_PATTERN = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)
# The content's text fields (all optional) and their length limits.
TEXT_LIMITS = {"title": 100, "body": 25000, "sourceName": 50}
LINK_TEXT_LIMIT = 50
# "Limited to events no older than 1 year."
OCCURRED_AT_MAX_AGE = timedelta(days=365)

Error = dict[str, str]


def error(attr: str, code: str, detail: str) -> Error:
    return {"attr": attr, "code": code, "detail": detail}


class InvalidItemError(ValueError):
    """The item was refused; `errors` are Gladly-style `{attr, code, detail}` entries."""

    def __init__(self, errors: list[Error]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class NewItem:
    id: str | None
    content: dict[str, Any]


def parse_item(payload: Any, now: datetime) -> NewItem:
    """Check a request body received at `now`; returns the item to store or raises
    InvalidItemError."""
    if not isinstance(payload, dict):
        raise InvalidItemError([{"code": "invalid", "detail": "the body must be a JSON object"}])
    content = payload.get("content")
    if not isinstance(content, dict):
        code = "blank" if content is None else "invalid"
        content_error = error("content", code, "content must be an object")
        raise InvalidItemError([*_id_errors(payload.get("id")), content_error])
    errors = _id_errors(payload.get("id")) + _content_errors(content, now)
    if errors:
        raise InvalidItemError(errors)
    # Like Gladly, keep only the content fields a CUSTOMER_ACTIVITY defines.
    known = {"type", "activityType", "occurredAt", "link", "expandByDefault", *TEXT_LIMITS}
    return NewItem(payload.get("id"), {k: v for k, v in content.items() if k in known})


def _id_errors(item_id: Any) -> list[Error]:
    if item_id is None:
        return []
    if not isinstance(item_id, str) or not ID_PATTERN.fullmatch(item_id):
        return [error("id", "invalid", "id must be URL-safe: letters, digits, '-' and '_'")]
    if len(item_id) > ID_MAX_LENGTH:
        return [error("id", "too_long", f"id must be under {ID_MAX_LENGTH + 1} characters")]
    return []


def _content_errors(content: dict[str, Any], now: datetime) -> list[Error]:
    found = [
        _choice_error(content, "type", ("CUSTOMER_ACTIVITY",)),
        _choice_error(content, "activityType", ACTIVITY_TYPES),
        *(_text_error(content.get(name), f"content.{name}", n) for name, n in TEXT_LIMITS.items()),
        _time_error(content.get("occurredAt"), now),
        _bool_error(content.get("expandByDefault")),
    ]
    return [e for e in found if e is not None] + _link_errors(content.get("link"))


def _choice_error(content: dict[str, Any], name: str, choices: tuple[str, ...]) -> Error | None:
    value = content.get(name)
    if value is None or value == "":
        return error(f"content.{name}", "blank", f"{name} is required")
    if value not in choices:
        return error(f"content.{name}", "invalid", f"{name} must be one of {', '.join(choices)}")
    return None


def _text_error(value: Any, attr: str, max_length: int | None = None) -> Error | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return error(attr, "invalid", "must be a string")
    if max_length is not None and len(value) > max_length:
        return error(attr, "too_long", f"must be at most {max_length} characters")
    return None


def _time_error(value: Any, now: datetime) -> Error | None:
    if value is None:
        return None
    if isinstance(value, str) and RFC3339_PATTERN.fullmatch(value):
        try:
            occurred_at = datetime.fromisoformat(value.upper())
        except ValueError:
            pass  # well-shaped but impossible, e.g. month 13
        else:
            if now - occurred_at > OCCURRED_AT_MAX_AGE:
                return error("content.occurredAt", "invalid", "occurredAt is over a year old")
            return None
    return error("content.occurredAt", "invalid", "occurredAt must be an RFC 3339 timestamp")


def _bool_error(value: Any) -> Error | None:
    if value is None or isinstance(value, bool):
        return None
    return error("content.expandByDefault", "invalid", "expandByDefault must be true or false")


def _link_errors(link: Any) -> list[Error]:
    if link is None:
        return []
    if not isinstance(link, dict):
        return [error("content.link", "invalid", "link must be an object with url and text")]
    found = [
        _text_error(link.get("url"), "content.link.url"),  # Gladly documents no limit
        _text_error(link.get("text"), "content.link.text", LINK_TEXT_LIMIT),
    ]
    return [e for e in found if e is not None]
