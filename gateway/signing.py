"""Gladly request signing (reference/gladly.md §3): one recipe shared by signer and verifier.

Framework-free on purpose: callers pass plain strings, the raw body bytes and a header mapping,
so the gateway's middleware and the Gladly sandbox's client compute exactly the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ALGORITHM = "hmac-sha256"
TIME_HEADER = "Gladly-Time"
AUTHORIZATION_HEADER = "Gladly-Authorization"
DEFAULT_SIGNED_HEADERS = (
    "accept",
    "content-type",
    "gladly-correlation-id",
    "gladly-time",
    "x-b3-traceid",
)
MAX_SKEW = timedelta(seconds=300)

_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
# strptime alone accepts one-digit fields; the wire format is fixed-width.
_TIME_PATTERN = re.compile(r"\d{8}T\d{6}Z")
_SIGNATURE_PATTERN = re.compile(r"[0-9a-f]{64}")


class SignatureError(Exception):
    """The request is not validly signed; the message is a short reason safe to log."""


@dataclass(frozen=True)
class Authorization:
    """The parts of a `Gladly-Authorization` header."""

    algorithm: str
    signed_headers: str
    signature: str

    @property
    def header_names(self) -> list[str]:
        return self.signed_headers.split(";")

    def to_header(self) -> str:
        return (
            f"SigningAlgorithm={self.algorithm}, SignedHeaders={self.signed_headers}, "
            f"Signature={self.signature}"
        )


def format_time(when: datetime) -> str:
    """`Gladly-Time` value for an aware datetime, e.g. `20190213T214016Z`."""
    if when.tzinfo is None:
        raise ValueError("Gladly-Time needs a timezone-aware datetime")
    return when.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(value: str) -> datetime:
    """Parse a `Gladly-Time` value; raises SignatureError when it is not in the wire format."""
    if not _TIME_PATTERN.fullmatch(value):
        raise SignatureError("malformed Gladly-Time")
    try:
        return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as error:  # e.g. month 13
        raise SignatureError("malformed Gladly-Time") from error


def parse_authorization(value: str) -> Authorization:
    """Parse `SigningAlgorithm=..., SignedHeaders=..., Signature=...` (all three, once each)."""
    parts: dict[str, str] = {}
    for part in value.split(","):
        name, equals, part_value = part.strip().partition("=")
        if not equals or name in parts:
            raise SignatureError("malformed Gladly-Authorization")
        parts[name] = part_value.strip()
    if parts.keys() != {"SigningAlgorithm", "SignedHeaders", "Signature"}:
        raise SignatureError("malformed Gladly-Authorization")
    names = parts["SignedHeaders"].split(";")
    if "" in names or len(set(names)) != len(names):
        raise SignatureError("malformed SignedHeaders")
    return Authorization(parts["SigningAlgorithm"], parts["SignedHeaders"], parts["Signature"])


def canonical_header_value(value: str) -> str:
    """Trim and fold inner whitespace runs to one space, as the recipe demands."""
    return " ".join(value.split())


def canonical_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: str,
    body: bytes,
) -> str:
    """The canonical request; `headers` is keyed by lower-case name and holds every signed one."""
    lines = [method, path, query]
    lines += [
        f"{name}:{canonical_header_value(headers[name])}" for name in signed_headers.split(";")
    ]
    lines += ["", signed_headers, hashlib.sha256(body).hexdigest()]
    return "\n".join(lines)


def compute_signature(key: str, gladly_time: str, canonical: str) -> str:
    """Hex HMAC-SHA256 of the string to sign under the key derived for Gladly-Time's date."""
    canonical_hash = hashlib.sha256(canonical.encode()).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{gladly_time}\n{canonical_hash}"
    date_key = hmac.new(key.encode(), gladly_time[:8].encode(), hashlib.sha256).digest()
    return hmac.new(date_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def sign(
    key: str,
    method: str,
    path: str,
    *,
    query: str = "",
    headers: Mapping[str, str],
    body: bytes = b"",
    when: datetime,
    signed_headers: Sequence[str] | None = None,
) -> dict[str, str]:
    """Sign a request as Gladly does; returns the `Gladly-Time` and `Gladly-Authorization` headers.

    `signed_headers` defaults to Gladly's usual list, limited to the headers present;
    `gladly-time` is always signed (it is added here, so `headers` need not hold it).
    """
    gladly_time = format_time(when)
    present = _lower_keys(headers) | {"gladly-time": gladly_time}
    names = _names_to_sign(signed_headers, present)
    canonical = canonical_request(method, path, query, present, names, body)
    authorization = Authorization(ALGORITHM, names, compute_signature(key, gladly_time, canonical))
    return {TIME_HEADER: gladly_time, AUTHORIZATION_HEADER: authorization.to_header()}


def verify(
    keys: Iterable[str],
    method: str,
    path: str,
    *,
    query: str = "",
    headers: Mapping[str, str],
    body: bytes = b"",
    now: datetime,
    max_skew: timedelta = MAX_SKEW,
) -> None:
    """Return if any of `keys` signed this request within `max_skew` of `now`, else raise.

    `path` and `query` must be as sent on the wire (not percent-decoded); `body` the raw bytes.
    """
    present = _lower_keys(headers)
    gladly_time = _checked_time(present, now, max_skew)
    authorization = _authorization_of(present)
    canonical = canonical_request(method, path, query, present, authorization.signed_headers, body)
    given = authorization.signature.lower().encode()
    # Try every key (rotation); compare_digest keeps the comparison constant-time.
    matches = [
        hmac.compare_digest(compute_signature(key, gladly_time, canonical).encode(), given)
        for key in keys
    ]
    if not any(matches):
        raise SignatureError("signature mismatch" if matches else "no signing keys configured")


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _names_to_sign(requested: Sequence[str] | None, present: Mapping[str, str]) -> str:
    if requested is None:
        names = [name for name in DEFAULT_SIGNED_HEADERS if name in present]
    else:
        names = [name.lower() for name in requested]
        if "gladly-time" not in names:
            names.append("gladly-time")
    missing = [name for name in names if name not in present]
    if missing:
        raise ValueError(f"cannot sign absent headers: {', '.join(missing)}")
    return ";".join(names)


def _authorization_of(present: Mapping[str, str]) -> Authorization:
    value = present.get(AUTHORIZATION_HEADER.lower())
    if value is None:
        raise SignatureError("missing Gladly-Authorization")
    authorization = parse_authorization(value)
    if authorization.algorithm.lower() != ALGORITHM:
        raise SignatureError("unsupported signing algorithm")
    if not _SIGNATURE_PATTERN.fullmatch(authorization.signature.lower()):
        raise SignatureError("malformed Signature")
    names = authorization.header_names
    if "gladly-time" not in names:
        raise SignatureError("gladly-time is not signed")
    # Names are compared as sent: a signed name must be the lower-case header name.
    absent = [name for name in names if name not in present]
    if absent:
        raise SignatureError(f"signed header absent: {absent[0]}")
    return authorization


def _checked_time(present: Mapping[str, str], now: datetime, max_skew: timedelta) -> str:
    value = present.get(TIME_HEADER.lower())
    if value is None:
        raise SignatureError("missing Gladly-Time")
    value = value.strip()
    if abs(now - parse_time(value)) > max_skew:
        raise SignatureError("Gladly-Time outside the allowed window")
    return value
