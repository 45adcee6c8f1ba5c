"""Switchable faults: latency, error answers and hangs, before or after the real operation."""

from __future__ import annotations

import http
import itertools
from dataclasses import asdict, dataclass
from typing import Any

from services.ordergroove_sandbox.fields import Fields, expect_object

# Django-style bodies for the statuses clients must handle; other statuses get their phrase.
FAULT_DETAILS = {
    423: "Resource is currently in use. Please try again shortly.",
    429: "Request was throttled. Expected available in 1 second.",
    500: "A server error occurred.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway timeout.",
}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_LATENCY_MS = 600_000


@dataclass
class Rule:
    id: str
    method: str | None
    path: str | None
    latency_ms: int
    status: int | None
    times: int | None
    hang: bool
    after: bool

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def fault_body(status: int) -> dict[str, str]:
    if status in FAULT_DETAILS:
        return {"detail": FAULT_DETAILS[status]}
    try:
        return {"detail": f"{http.HTTPStatus(status).phrase}."}
    except ValueError:
        return {"detail": "Error."}


class Faults:
    """An ordered list of rules; the first matching rule applies to a request."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self._ids = itertools.count(1)

    def add(self, body: object) -> Rule:
        rule = parse_rule(body, f"fault-{next(self._ids)}")
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        before = len(self.rules)
        self.rules = [rule for rule in self.rules if rule.id != rule_id]
        return len(self.rules) < before

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> Rule | None:
        """The rule for this request, counting it against the rule's `times`."""
        for rule in self.rules:
            if rule.matches(method, path):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
                return rule
        return None


def parse_rule(body: object, rule_id: str) -> Rule:
    fields = Fields(expect_object(body))
    method = fields.optional_string("method")
    if method is not None and method.upper() not in METHODS:
        fields.fail("method", f'"{method}" is not a valid choice.')
    path = fields.optional_string("path")
    if path is not None and not path.startswith("/"):
        fields.fail("path", 'A path prefix must start with "/".')
    rule = Rule(
        id=rule_id,
        method=method.upper() if method is not None else None,
        path=path,
        latency_ms=fields.integer("latency_ms", 0, 0, MAX_LATENCY_MS),
        status=fields.optional_integer("status", 400, 599),
        times=fields.optional_integer("times", 1, 1_000_000),
        hang=fields.boolean("hang", False),
        after=fields.boolean("after", False),
    )
    fields.check()
    return rule
