"""Faults that tests and benchmarks switch on for `/api/` calls: error statuses, latency, hangs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Fault:
    method: str | None = None  # None: any method
    path: str = "/api/"  # prefix of the request path
    status: int | None = None
    times: int | None = None  # None: for ever
    latency_ms: int = 0
    hang: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.method in (None, method) and path.startswith(self.path)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault(payload: Any) -> Fault:
    """Build a Fault from the control API's JSON; raises ValueError with a readable reason."""
    if not isinstance(payload, dict):
        raise ValueError("the body must be a JSON object")
    unknown = payload.keys() - Fault.__dataclass_fields__.keys()
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    fault = Fault(
        method=_optional(payload, "method", str),
        path=_optional(payload, "path", str) or "/api/",
        status=_optional(payload, "status", int),
        times=_optional(payload, "times", int),
        latency_ms=_optional(payload, "latency_ms", int) or 0,
        hang=_optional(payload, "hang", bool) or False,
    )
    _check(fault)
    if fault.method is not None:
        fault.method = fault.method.upper()
    return fault


def _optional(payload: dict[str, Any], name: str, kind: type[T]) -> T | None:
    value = payload.get(name)
    # An exact type check: bool is an int subclass, and `"status": true` is no status.
    if value is not None and type(value) is not kind:
        raise ValueError(f"{name} must be {kind.__name__}")
    return value


def _check(fault: Fault) -> None:
    if fault.status is not None and not 100 <= fault.status <= 599:
        raise ValueError("status must be an HTTP status code")
    if fault.times is not None and fault.times < 1:
        raise ValueError("times must be at least 1, or null for ever")
    if fault.latency_ms < 0:
        raise ValueError("latency_ms must not be negative")
    if fault.status is None and not fault.latency_ms and not fault.hang:
        raise ValueError("a fault needs status, latency_ms or hang")


class Faults:
    """Active faults; the first one matching a request applies and uses up one of its `times`."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        fault = next((f for f in self._faults if f.matches(method, path)), None)
        if fault is not None and fault.times is not None:
            fault.times -= 1
            if fault.times == 0:
                self._faults.remove(fault)
        return fault

    def to_json(self) -> list[dict[str, Any]]:
        return [fault.to_json() for fault in self._faults]
