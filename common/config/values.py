"""The kinds of value a setting holds, each read from a variable's text: a parser returns the
value or raises ConfigError with the reason (`declared.parsed` puts the variable's name before
it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions.contract import ID_PATTERN
from common.config.declared import ConfigError

Parser = Callable[[str], Any]

# The one STORE_URL path that asks for a store in memory (tests): SQLite's own name for it.
SQLITE_MEMORY: Final = ":memory:"
TRACE_PLACEHOLDER: Final = "{trace_id}"
_FLAGS: Final = {"": False, "0": False, "false": False, "1": True, "true": True}
# A reason code as Ordergroove lists it ("12", "TOO_EXPENSIVE"): an id of the API.
_REASON_CODE: Final = ID_PATTERN
# A new entry starts at a comma followed by `<code>=`, so that words may hold commas.
_REASON_ENTRY_START: Final = re.compile(rf",(?=\s*{_REASON_CODE}\s*=)")


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def csv_values(value: str) -> tuple[str, ...]:
    """A comma-separated list: each value stripped, empty ones dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def reason_names(value: str) -> dict[str, str]:
    """`12=Too much product,TOO_EXPENSIVE=Too expensive` -> {"12": "Too much product",
    "TOO_EXPENSIVE": "Too expensive"}: codes as Ordergroove lists them, digits without leading
    zeros."""
    names: dict[str, str] = {}
    for entry in _REASON_ENTRY_START.split(value.strip()) if value.strip() else ():
        code, sep, words = entry.partition("=")
        code, words = code.strip(), words.strip()
        if code.isascii() and code.isdigit():
            code = code.lstrip("0") or "0"
        valid = re.fullmatch(_REASON_CODE, code) is not None and code not in (".", "..")
        if not sep or not valid or not words or code in names:
            raise ConfigError(
                f"expected code=words,code=words with distinct codes, got {entry.strip()!r}"
            )
        names[code] = words
    return names


def optional_money(value: str) -> Decimal | None:
    """A cap: a positive decimal with at most two places ("25", "7.50"); empty for none."""
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,2})?", value) or Decimal(value) <= 0:
        raise ConfigError(f"must be a positive number with at most two decimals, got {value!r}")
    return Decimal(value)


def ids(value: str) -> frozenset[str]:
    """Ids separated by commas (empty: none)."""
    found = frozenset(csv_values(value))
    bad = sorted(item for item in found if not re.fullmatch(ID_PATTERN, item))
    if bad:
        raise ConfigError(f"not an id: {bad[0]!r}")
    return found


def text(value: str) -> str:
    return value


def target(value: str) -> str:
    """A gRPC target (`host:port`, `dns:///host:port`, ...): set empty it names nothing, and the
    gateway would answer lookups with notices blaming Ordergroove."""
    if not value or any(char.isspace() for char in value):
        raise ConfigError(f"expected a gRPC target like host:port, got {value!r}")
    return value


def timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"expected an IANA zone name like America/Chicago, got {value!r}"
        ) from None
    return value


def choice(*choices: str) -> Parser:
    def parse(value: str) -> str:
        if value not in choices:
            raise ConfigError(f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    return parse


def names_among(known: tuple[str, ...], kind: str) -> Parser:
    """A comma-separated set of names, each one of `known` (any case)."""

    def parse(value: str) -> frozenset[str]:
        names = frozenset(part.lower() for part in csv_values(value))
        unknown = sorted(names - set(known))
        if unknown:
            raise ConfigError(f"unknown {kind} {', '.join(unknown)} (known: {', '.join(known)})")
        return names

    return parse


def seconds(maximum: float, *, minimum: float = 0.0) -> Parser:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"expected a number of seconds, got {value!r}") from None
        high_enough = number >= minimum if minimum else number > 0
        if not high_enough or not number <= maximum:
            least = f"at least {minimum:g}" if minimum else "more than 0"
            raise ConfigError(f"must be {least} and at most {maximum:g}, got {value}")
        return number

    return parse


def _digits(value: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts "²" and other digits `int` refuses."""
    return value.isascii() and value.isdigit()


def count(value: str) -> int:
    if not _digits(value) or not 1 <= int(value) <= 10_000:
        raise ConfigError(f"expected a whole number from 1 to 10000, got {value!r}")
    return int(value)


def count_from(least: int) -> Parser:
    def parse(value: str) -> int:
        number = count(value)
        if number < least:
            raise ConfigError(f"must be at least {least}, got {value}")
        return number

    return parse


def positive_count(value: str) -> int:
    if not _digits(value) or int(value) < 1:
        raise ConfigError(f"expected a positive whole number, got {value!r}")
    return int(value)


def flag(value: str) -> bool:
    if value.lower() not in _FLAGS:
        raise ConfigError(f"expected true or false, got {value!r}")
    return _FLAGS[value.lower()]


def optional_secret(value: str) -> str:
    """A credential sent in a header: printable ASCII only (anything else cannot be sent, and a
    client may fail on it at every call instead of once, here)."""
    if any(not (" " < char <= "~") for char in value):
        raise ConfigError("must be printable ASCII without spaces")
    return value


def secret(value: str) -> str:
    if not value:
        raise ConfigError("must not be empty")
    return optional_secret(value)


def keys(value: str) -> tuple[str, ...]:
    return csv_values(value)


def tokens(value: str) -> tuple[str, ...]:
    """Unset means no authentication (a developer's machine); a value, even an empty one (a
    Secret's empty key), must name tokens."""
    named = csv_values(value)
    if not named:
        raise ConfigError("names no token (unset it to serve without authentication)")
    for token in named:
        optional_secret(token)
    return named


def store_url(value: str) -> str:
    value = value or "sqlite:///var/actions.db"
    scheme, _, rest = value.partition("://")
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg") or not rest:
        raise ConfigError(f"expected sqlite:///path/to/file.db or postgresql://..., got {value!r}")
    if scheme == "sqlite" and not rest.startswith("/"):
        # `sqlite://relative.db` names a host, not a file: the path needs a third slash.
        raise ConfigError(f"expected sqlite:///path/to/file.db, got {value!r}")
    if scheme == "sqlite" and not rest[1:].partition("?")[0]:
        # SQLite takes a missing path for a database in memory: every record and every
        # undelivered timeline entry would be lost at the next stop. Memory is asked for by name.
        raise ConfigError(
            "names no file (expected sqlite:///path/to/file.db; a store in memory, "
            f"lost at every stop, is sqlite:///{SQLITE_MEMORY}), got {value!r}"
        )
    return value


def url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def optional_url(value: str) -> str:
    return url(value) if value else ""


def address(value: str) -> Address:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not _digits(port) or not 0 <= int(port) <= 65535:
        raise ConfigError(f"expected host:port, got {value!r}")
    return Address(host.strip("[]"), int(port))


def optional_address(value: str) -> Address | None:
    return address(value) if value else None


def replaced_by(successor: str, why: str) -> Parser:
    def parse(value: str) -> None:
        raise ConfigError(f"replaced by {successor}, {why}; remove it")

    return parse


def trace_url(value: str) -> str:
    if value and (
        TRACE_PLACEHOLDER not in value or urlsplit(value).scheme not in ("http", "https")
    ):
        raise ConfigError(f"expected an http(s) URL containing {TRACE_PLACEHOLDER}, got {value!r}")
    return value
