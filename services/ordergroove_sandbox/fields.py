"""DRF-style validation of JSON request bodies: collect every field's errors, then fail once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from services.ordergroove_sandbox.dates import parse_timestamp
from services.ordergroove_sandbox.errors import ApiError

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."


def parse_json(body: bytes) -> object:
    """A request body as DRF's JSON parser reads it; an empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None


def expect_object(data: object) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ApiError(
            400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    return data


class Fields:
    """Reads typed values out of one JSON object, remembering DRF's messages for bad ones.

    Each reader returns a usable placeholder on error so that validation can go on and report
    every bad field at once, as DRF does."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, Any] = {}

    def check(self) -> None:
        if self.errors:
            raise ApiError(400, self.errors)

    def fail(self, name: str, message: str) -> None:
        self.errors[name] = [message]

    def _present(self, name: str, required: bool, nullable: bool) -> bool:
        """Whether there is a value to validate; records missing/null errors."""
        if name not in self.data:
            if required:
                self.fail(name, REQUIRED)
            return False
        if self.data[name] is None:
            if not nullable:
                self.fail(name, NOT_NULL)
            return False
        return True

    def string(self, name: str, default: str = "", required: bool = False) -> str:
        if not self._present(name, required, nullable=False):
            return default
        value = self.data[name]
        if not isinstance(value, str):
            self.fail(name, "Not a valid string.")
            return default
        if required and not value.strip():
            self.fail(name, "This field may not be blank.")
        return value

    def optional_string(self, name: str) -> str | None:
        if not self._present(name, required=False, nullable=True):
            return None
        value = self.data[name]
        if not isinstance(value, str):
            self.fail(name, "Not a valid string.")
            return None
        return value

    def boolean(self, name: str, default: bool) -> bool:
        if not self._present(name, required=False, nullable=False):
            return default
        value = self.data[name]
        if not isinstance(value, bool):
            self.fail(name, "Must be a valid boolean.")
            return default
        return value

    def integer(
        self, name: str, default: int, minimum: int, maximum: int, nullable: bool = False
    ) -> int:
        if not self._present(name, required=False, nullable=nullable):
            return default
        value = self.data[name]
        # bool is an int in Python, but not in JSON.
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, "A valid integer is required.")
            return default
        if value < minimum:
            self.fail(name, f"Ensure this value is greater than or equal to {minimum}.")
        elif value > maximum:
            self.fail(name, f"Ensure this value is less than or equal to {maximum}.")
        return value

    def optional_integer(self, name: str, minimum: int, maximum: int) -> int | None:
        if self.data.get(name) is None:
            return None
        return self.integer(name, minimum, minimum, maximum)

    def choice(self, name: str, default: int, choices: Mapping[int, str]) -> int:
        value = self.integer(name, default, min(choices), max(choices))
        if value not in choices and name not in self.errors:
            self.fail(name, f'"{value}" is not a valid choice.')
        return value

    def money(self, name: str) -> Decimal | None:
        if not self._present(name, required=False, nullable=True):
            return None
        value = self.data[name]
        try:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InvalidOperation
            amount = Decimal(str(value))
        except InvalidOperation:
            self.fail(name, "A valid number is required.")
            return None
        if not amount.is_finite() or amount < 0:
            self.fail(name, "Ensure this value is greater than or equal to 0.")
            return None
        return amount

    def timestamp(self, name: str) -> datetime | None:
        text = self.optional_string(name)
        if text is None:
            return None
        try:
            return parse_timestamp(text)
        except ValueError:
            self.fail(
                name,
                "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DD hh:mm:ss.",
            )
            return None

    def array(self, name: str) -> list[object]:
        if not self._present(name, required=False, nullable=False):
            return []
        value = self.data[name]
        if not isinstance(value, list):
            self.fail(name, f'Expected a list of items but got type "{type(value).__name__}".')
            return []
        return value
