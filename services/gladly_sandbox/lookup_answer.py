"""What Gladly accepts as a lookup adaptor's answer, checked when the sandbox acts as Gladly.

The documented shape (reference/gladly.md §1; Gladly's help page "Auto-Linking, Basic Search and
Detailed Lookup", Response Structure; its `lookup-practice` sample): `{"results": [...]}`, each
result with `externalCustomerId` (required), `name`, `address`, `emails: [{"original"}]`,
`phones: [{"original", "type"}]`, a flat string→string `customAttributes`, `transactions` (typed
ORDER, FLIGHT, STAY, SUBSCRIPTION or GENERIC) and `actions: [{"name", "formUrl"}]`. A phone's
`type` is one of Gladly's phone types, HOME, MOBILE or OFFICE (Gladly's OpenAPI, Customer
phones: "non-presence indicates unknown or non-specific OTHER type"); Gladly auto-links by phone
only for MOBILE. A DETAILED lookup answers one result or none. An answer shaped otherwise fails
the agent's lookup (Gladly's lookup FAQ: "check if your response is properly formatted").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

PhoneType = Literal["HOME", "MOBILE", "OFFICE"]
TransactionType = Literal["ORDER", "FLIGHT", "STAY", "SUBSCRIPTION", "GENERIC"]


class Email(msgspec.Struct):
    original: str


class Phone(msgspec.Struct):
    original: str
    type: PhoneType | None = None


class Action(msgspec.Struct, rename="camel"):
    name: str
    form_url: str


class Transaction(msgspec.Struct):
    """Only the type is fixed; a card's other keys are the integration's (strings, per the
    public samples)."""

    type: TransactionType
    actions: list[Action] = []


class Result(msgspec.Struct, rename="camel"):
    external_customer_id: Annotated[str, msgspec.Meta(min_length=1)]
    name: str = ""
    address: str = ""
    emails: list[Email] = []
    phones: list[Phone] = []
    custom_attributes: dict[str, str] = {}
    transactions: list[Transaction] = []
    actions: list[Action] = []


class Answer(msgspec.Struct):
    results: list[Result]


def refusal(body: Any, level: str) -> str:
    """Why Gladly would refuse this answer to a `level` lookup, or "" when it takes it."""
    try:
        answer = msgspec.convert(body, Answer)
    except msgspec.ValidationError as error:
        return f"the lookup answer is not shaped as Gladly documents: {error}"
    if level == "DETAILED" and len(answer.results) > 1:
        return "a DETAILED lookup must answer one result at most"
    return ""
