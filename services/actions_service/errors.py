"""The errors an action can end with, named by the contract's reasons.

The reasons mirror `actions.v1.ErrorReason` (a test keeps the two equal). What each reason means
— its gRPC code, whether the action record keeps it as final, the title the agent reads and the
gateway's HTTP status — lives in `actions.contract.MEANINGS` (shared with the gateway) and
nowhere else; domain code raises a reason.
"""

from __future__ import annotations

from enum import StrEnum


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
