"""The settings of the two sandboxes, `ordergroove-sandbox` and `gladly-sandbox`."""

from __future__ import annotations

from typing import Annotated

from common.config import values
from common.config.declared import parsed, setting
from common.config.shared import (
    GatewayAddressSettings,
    GladlyCredentials,
    OrdergrooveKeySettings,
    SigningKeySettings,
)
from common.config.values import Address


class OrdergrooveSandboxSettings(OrdergrooveKeySettings):
    """ordergroove-sandbox"""

    ordergroove_sandbox_listen: Annotated[Address, parsed(values.address)] = setting(
        "ORDERGROOVE_SANDBOX_LISTEN",
        Address("127.0.0.1", 8181),
        "where `ordergroove-sandbox` listens",
    )
    public_url: Annotated[str, parsed(values.optional_url)] = setting(
        "ORDERGROOVE_SANDBOX_PUBLIC_URL",
        "",
        "where a browser reaches `ordergroove-sandbox`: the `image_url` of its made-up products "
        "points there",
        shown="`http://` + `ORDERGROOVE_SANDBOX_LISTEN`",
    )

    @property
    def public(self) -> str:
        """Where browsers reach the sandbox: its PUBLIC_URL, else its own LISTEN address."""
        return self.public_url or f"http://{self.ordergroove_sandbox_listen}"


class GladlySandboxSettings(GladlyCredentials, SigningKeySettings, GatewayAddressSettings):
    """gladly-sandbox (its server, agent console and CLI)"""

    gladly_sandbox_listen: Annotated[Address, parsed(values.address)] = setting(
        "GLADLY_SANDBOX_LISTEN", Address("127.0.0.1", 8282), "where `gladly-sandbox` listens"
    )
    # Gladly's own limit is 10 (reference/gladly.md); benchmarks need it out of the way.
    rate_limit: Annotated[int, parsed(values.positive_count)] = setting(
        "GLADLY_SANDBOX_RATE_LIMIT",
        10,
        "requests per second per method the Gladly sandbox allows, as Gladly does (benchmarks "
        "raise it)",
    )
    gateway_url: Annotated[str, parsed(values.optional_url)] = setting(
        "GATEWAY_URL",
        "",
        "where the agent console and `gladly-sandbox`'s commands send Gladly's requests",
        shown="`http://` + `GATEWAY_LISTEN`",
    )
    trace_url: Annotated[str, parsed(values.trace_url)] = setting(
        "GLADLY_SANDBOX_TRACE_URL",
        "",
        "the agent console links each answer's trace id to this URL, where `{trace_id}` stands "
        "for the id (e.g. a Jaeger page)",
    )

    @property
    def gateway(self) -> str:
        """Where the gateway is: GATEWAY_URL, else the gateway's own GATEWAY_LISTEN."""
        return self.gateway_url or f"http://{self.gateway_listen}"
