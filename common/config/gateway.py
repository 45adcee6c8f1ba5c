"""The settings of `actions-gateway`."""

from __future__ import annotations

from typing import Annotated, Final

from common.config import values
from common.config.declared import parsed, setting
from common.config.shared import (
    MAX_DEADLINE,
    DeadlineSettings,
    GatewayAddressSettings,
    SigningKeySettings,
    TelemetrySettings,
)

GRPC_LB_POLICIES: Final = ("pick_first", "round_robin")
# Gladly cuts a lookup off at 15 s (reference/gladly.md §1): a longer budget could not be used.
MAX_LOOKUP_DEADLINE: Final = 15.0


class GatewaySettings(
    TelemetrySettings, DeadlineSettings, SigningKeySettings, GatewayAddressSettings
):
    """actions-gateway"""

    # A lookup's own budget: Gladly wants an answer within 5 s (reference/gladly.md §1).
    lookup_deadline_seconds: Annotated[float, parsed(values.seconds(MAX_LOOKUP_DEADLINE))] = (
        setting(
            "LOOKUP_DEADLINE_SECONDS",
            4.0,
            "the gateway's budget for one lookup (Gladly wants an answer within 5 s; at most 15); "
            "when Ordergroove is slower, a DETAILED lookup answers the linked customer with a "
            "notice instead of the card",
        )
    )
    grpc_target: Annotated[str, parsed(values.target)] = setting(
        "ACTIONS_GRPC_TARGET",
        "127.0.0.1:50051",
        "where the gateway finds the service (set empty, it stops the program)",
    )
    api_token: Annotated[str, parsed(values.optional_secret)] = setting(
        "ACTIONS_API_TOKEN", "", "the token the gateway presents (printable ASCII)", secret=True
    )
    # How the gateway spreads calls over the service's addresses: `round_robin` with a
    # `dns:///` target balances over every replica a headless Service resolves to.
    grpc_lb_policy: Annotated[str, parsed(values.choice(*GRPC_LB_POLICIES))] = setting(
        "ACTIONS_GRPC_LB_POLICY",
        "pick_first",
        "`round_robin` makes the gateway spread its calls over every address of "
        "`ACTIONS_GRPC_TARGET` (with `dns:///host:port` and a headless Service: every replica)",
    )
    # Another gateway on the same port would silently take half the connections (with another
    # signing key, half of Gladly's requests would be refused).
    reuse_port: Annotated[bool, parsed(values.flag)] = setting(
        "GATEWAY_REUSE_PORT",
        False,
        "`true` lets several `actions-gateway` processes share `GATEWAY_LISTEN` (`SO_REUSEPORT`, "
        "one per core); otherwise a taken port stops the program",
    )
    # A slower client is disconnected: it would hold a connection for ever.
    request_read_seconds: Annotated[float, parsed(values.seconds(MAX_DEADLINE))] = setting(
        "GATEWAY_REQUEST_READ_SECONDS",
        10.0,
        "how long the gateway waits for a whole request (headers and body); a slower client is "
        "disconnected",
    )
