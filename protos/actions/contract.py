"""The facts both programs share besides the messages: installed beside the API (`actions`), so
that the gateway imports nothing of the service and the service nothing of the gateway.

Names come from the proto's enums wherever it has them (a new enum value is named here by
itself); what the proto cannot say lives here once: the id pattern and lengths, the words of a
frequency, and what each error reason means at each edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from actions.v1 import actions_pb2 as pb

# --- ids and free text -----------------------------------------------------------------------

MAX_ID_LENGTH: Final = 64
# Matched whole (`fullmatch`: `$` would also accept a trailing newline). The service checks ids
# and the gateway documents and checks them with the same pattern.
ID_PATTERN: Final = r"[A-Za-z0-9_.@+:-]+"
MAX_REASON_DETAILS: Final = 500
# How far ahead a date may be set unless the service's MAX_DAYS_AHEAD says otherwise: a merchant
# sets orders months ahead, not decades. The forms' hints name it.
DEFAULT_MAX_DAYS_AHEAD: Final = 730


def _names(enum: object, prefix: str) -> dict[int, str]:
    """An enum's values by their names without `prefix`, lower case, UNSPECIFIED left out."""
    values: Mapping[str, int] = dict(enum.items())  # type: ignore[attr-defined]
    return {
        value: name.removeprefix(prefix).lower()
        for name, value in values.items()
        if not name.endswith("_UNSPECIFIED")
    }


# --- subscriptions: status and frequency --------------------------------------------------------

# "active", "cancelled", "inactive": the service's `Status` values and (upper case) the card's.
STATUS_NAMES: Final[Mapping[int, str]] = _names(pb.SubscriptionStatus, "SUBSCRIPTION_STATUS_")
# "day", "week", "month", "year": Ordergroove's periods, as the forms offer and the records keep.
PERIOD_NAMES: Final[Mapping[int, str]] = _names(pb.FrequencyPeriod, "FREQUENCY_PERIOD_")
PERIODS: Final[Mapping[str, pb.FrequencyPeriod]] = {
    name: pb.FrequencyPeriod.ValueType(value) for value, name in PERIOD_NAMES.items()
}


def frequency_words(every: int, period: str) -> str:
    """ "every month", "every 6 weeks" (`period` one of PERIODS); "" when there is none."""
    if period not in PERIODS or every <= 0:
        return ""
    return f"every {period}" if every == 1 else f"every {every} {period}s"


# --- what an error reason means ------------------------------------------------------------------


@dataclass(frozen=True)
class Meaning:
    grpc_code: str  # the grpc.StatusCode name it is sent with
    # A refusal the action record keeps: a repeat of the request id is answered it again.
    final: bool
    title: str  # what the agent reads above the message
    # The gateway's answer: 400 for what an agent can act on (Gladly shows the message and
    # keeps the form open), else the code's usual status.
    http_status: int


# By `ErrorInfo.reason`: the names of `actions.v1.ErrorReason` (a test keeps the two equal).
MEANINGS: Final[Mapping[str, Meaning]] = {
    "CUSTOMER_NOT_LINKED": Meaning("NOT_FOUND", True, "Customer is not linked to Ordergroove", 400),
    "SUBSCRIPTION_NOT_FOUND": Meaning("NOT_FOUND", True, "Subscription not found", 404),
    "SUBSCRIPTION_NOT_ACTIVE": Meaning(
        "FAILED_PRECONDITION", True, "Subscription is not active", 400
    ),
    "ACTION_DISABLED": Meaning("FAILED_PRECONDITION", True, "Action is switched off", 400),
    "CONVERSATION_NOT_OPEN": Meaning("FAILED_PRECONDITION", True, "No open conversation", 400),
    "NEXT_ORDER_CHANGED": Meaning(
        "FAILED_PRECONDITION", True, "Order already skipped or changed", 400
    ),
    "ORDERGROOVE_REJECTED": Meaning(
        "FAILED_PRECONDITION", True, "Ordergroove refused the change", 400
    ),
    "REQUEST_ID_REUSED": Meaning("ALREADY_EXISTS", False, "Request already used", 409),
    "UPSTREAM_UNAVAILABLE": Meaning("UNAVAILABLE", False, "Temporarily unavailable", 503),
    "DEADLINE_EXCEEDED": Meaning("DEADLINE_EXCEEDED", False, "Timed out", 504),
    # Kept by the settler as its own state (not applied), not as a refusal of an attempt.
    "ACTION_NOT_APPLIED": Meaning("ABORTED", False, "Action was not applied", 400),
    "STATE_CHANGED": Meaning("FAILED_PRECONDITION", True, "Changed since the form was opened", 400),
    # A lost answer whose subscription someone else changed since: neither "done" nor "not
    # applied" would be true. Kept: repeats are answered the same.
    "ACTION_UNCONFIRMED": Meaning("ABORTED", True, "Could not confirm the action", 400),
}
