"""Reading Gladly's JSON bodies: one object, fields of the expected types, or InvalidRequest."""

from __future__ import annotations

import json
from typing import Any

from gateway.errors import InvalidRequest

Json = dict[str, Any]


def json_object(body: bytes, *, allow_empty: bool = False) -> Json:
    if allow_empty and not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:  # also bad UTF-8
        raise InvalidRequest("The body is not valid JSON.") from None
    except RecursionError:  # nested deeper than the parser goes: no body of ours is
        raise InvalidRequest("The body is nested too deeply.") from None
    if not isinstance(value, dict):
        raise InvalidRequest("The body must be a JSON object.")
    return value


def optional_object(payload: Json, key: str) -> Json:
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(f"{key} must be an object.", key)
    return value


def optional_string(payload: Json, key: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{key} must be a string.", key)
    return value.strip()


def string_list(payload: Json, key: str, max_items: int) -> list[str]:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequest(f"{key} must be a list of strings.", key)
    if len(value) > max_items:
        raise InvalidRequest(f"{key} may hold at most {max_items} items.", key)
    return [item.strip() for item in value]
