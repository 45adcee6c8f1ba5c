"""The errors an action can end with, named by the contract's reasons.

The reasons mirror `actions.v1.ErrorReason` (a test keeps the two equal). What each reason means
— its gRPC code, whether the action record keeps it as final, the title the agent reads and the
gateway's HTTP status — lives in `MEANINGS` and nowhere else; domain code raises a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Reason(StrEnum):
    CUSTOMER_NOT_LINKED = "CUSTOMER_NOT_LINKED"
    SUBSCRIPTION_NOT_FOUND = "SUBSCRIPTION_NOT_FOUND"
    SUBSCRIPTION_NOT_ACTIVE = "SUBSCRIPTION_NOT_ACTIVE"
    ACTION_DISABLED = "ACTION_DISABLED"
    CONVERSATION_NOT_OPEN = "CONVERSATION_NOT_OPEN"
    NEXT_ORDER_CHANGED = "NEXT_ORDER_CHANGED"
    ORDERGROOVE_REJECTED = "ORDERGROOVE_REJECTED"
    REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    ACTION_NOT_APPLIED = "ACTION_NOT_APPLIED"
    STATE_CHANGED = "STATE_CHANGED"
    ACTION_UNCONFIRMED = "ACTION_UNCONFIRMED"


@dataclass(frozen=True)
class Meaning:
    grpc_code: str  # the grpc.StatusCode name it is sent with
    # A refusal the action record keeps: a repeat of the request id is answered it again.
    final: bool
    title: str  # what the agent reads above the message
    # The gateway's answer: 400 for what an agent can act on (Gladly shows the message and
    # keeps the form open), else the code's usual status.
    http_status: int


MEANINGS: Final[Mapping[Reason, Meaning]] = {
    Reason.CUSTOMER_NOT_LINKED: Meaning(
        "NOT_FOUND", True, "Customer is not linked to Ordergroove", 400
    ),
    Reason.SUBSCRIPTION_NOT_FOUND: Meaning("NOT_FOUND", True, "Subscription not found", 404),
    Reason.SUBSCRIPTION_NOT_ACTIVE: Meaning(
        "FAILED_PRECONDITION", True, "Subscription is not active", 400
    ),
    Reason.ACTION_DISABLED: Meaning("FAILED_PRECONDITION", True, "Action is switched off", 400),
    Reason.CONVERSATION_NOT_OPEN: Meaning("FAILED_PRECONDITION", True, "No open conversation", 400),
    Reason.NEXT_ORDER_CHANGED: Meaning(
        "FAILED_PRECONDITION", True, "Order already skipped or changed", 400
    ),
    Reason.ORDERGROOVE_REJECTED: Meaning(
        "FAILED_PRECONDITION", True, "Ordergroove refused the change", 400
    ),
    Reason.REQUEST_ID_REUSED: Meaning("ALREADY_EXISTS", False, "Request already used", 409),
    Reason.UPSTREAM_UNAVAILABLE: Meaning("UNAVAILABLE", False, "Temporarily unavailable", 503),
    Reason.DEADLINE_EXCEEDED: Meaning("DEADLINE_EXCEEDED", False, "Timed out", 504),
    # Kept by the settler as its own state (not applied), not as a refusal of an attempt.
    Reason.ACTION_NOT_APPLIED: Meaning("ABORTED", False, "Action was not applied", 400),
    Reason.STATE_CHANGED: Meaning(
        "FAILED_PRECONDITION", True, "Changed since the form was opened", 400
    ),
    # A lost answer whose subscription someone else changed since: neither "done" nor "not
    # applied" would be true. Kept: repeats are answered the same.
    Reason.ACTION_UNCONFIRMED: Meaning("ABORTED", True, "Could not confirm the action", 400),
}


class ActionError(Exception):
    """An action ended without doing its work; `message` is fit to show to an agent."""

    # The upstream's HTTP status behind the error, for the audit log (never sent to callers).
    upstream_status: int | None = None

    def __init__(self, reason: Reason, message: str, **metadata: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.metadata = metadata


class InvalidArgument(Exception):
    """The request itself is malformed; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UpstreamUnavailable(ActionError):
    """Ordergroove or Gladly could not be reached, timed out or failed on its side.

    The message names only the system, never its internals: agents must not see errors of the
    systems behind Ordergroove.
    """

    def __init__(self, system: str) -> None:
        super().__init__(
            Reason.UPSTREAM_UNAVAILABLE,
            f"{system} is not available right now; please try again shortly.",
            system=system,
        )
