"""The groups of settings several programs read: Ordergroove's and Gladly's APIs, telemetry,
the action deadline, Gladly's signing keys and the gateway's address."""

from __future__ import annotations

from typing import Annotated, Final, Self

from pydantic import model_validator

from common.config import values
from common.config.declared import ConfigError, Declared, Retired, parsed, setting
from common.config.values import Address

TRACES_EXPORTERS: Final = ("otlp", "console", "none")
OTLP_PROTOCOLS: Final = ("http/protobuf", "grpc")
LOG_FORMATS: Final = ("json", "text")
# The only Ordergroove page that names the zone of its naive timestamps says CST.
DEFAULT_ORDERGROOVE_TIMEZONE: Final = "America/Chicago"
# The shared budget's slots need room for a few requests per second (`ratelimit.slots_for`).
MIN_GLADLY_REQUESTS_PER_SECOND: Final = 4
MAX_DEADLINE: Final = 300.0
# Below this no action can reach Ordergroove and back: every call would time out.
_MIN_DEADLINE: Final = 0.5


class OrdergrooveKeySettings(Declared):
    """Ordergroove's key"""

    ordergroove_api_key: Annotated[str, parsed(values.secret)] = setting(
        "ORDERGROOVE_API_KEY",
        "sandbox-api-key",
        "Ordergroove Application API key (`x-api-key`)",
        secret=True,
    )


class OrdergrooveSettings(OrdergrooveKeySettings):
    """Ordergroove's API"""

    ordergroove_base_url: Annotated[str, parsed(values.url)] = setting(
        "ORDERGROOVE_BASE_URL", "http://127.0.0.1:8181", "Ordergroove REST API"
    )
    ordergroove_timezone: Annotated[str, parsed(values.timezone)] = setting(
        "ORDERGROOVE_TIMEZONE",
        DEFAULT_ORDERGROOVE_TIMEZONE,
        "the IANA zone Ordergroove's zoneless timestamps are read in (the only Ordergroove page "
        "naming a zone says CST); dates on the card and in timeline entries are the merchant's "
        "calendar dates in it",
    )


class GladlyCredentials(Declared):
    """Gladly's API credentials"""

    gladly_api_user: Annotated[str, parsed(values.optional_secret)] = setting(
        "GLADLY_API_USER",
        "",
        "Gladly API user (Basic auth, with `GLADLY_API_TOKEN`); `actions-service` refuses to start "
        "without both unless `GLADLY_API_DISABLED=true` (one without the other is always refused)",
        secret=True,
    )
    gladly_api_token: Annotated[str, parsed(values.optional_secret)] = setting(
        "GLADLY_API_TOKEN",
        "",
        "Gladly API token (Basic auth, with `GLADLY_API_USER`)",
        secret=True,
    )
    # The id Gladly gave our lookup integration: the key of a profile's `externalCustomerIds`.
    gladly_lookup_app_id: Annotated[str, parsed(values.text)] = setting(
        "GLADLY_LOOKUP_APP_ID",
        "",
        "the id Gladly gave this lookup integration: the key of a profile's "
        "`externalCustomerIds`; the service needs it to find the linked Ordergroove customer of a "
        "Gladly customer when a caller names only the Gladly customer (profiles linked before "
        "05/12/21 carry `externalCustomerId`, used when this is unset or absent)",
    )

    @property
    def gladly_configured(self) -> bool:
        """Timeline entries and the open-conversation check need Gladly API credentials."""
        return bool(self.gladly_api_user and self.gladly_api_token)

    @model_validator(mode="after")
    def _both_credentials_or_none(self) -> Self:
        if bool(self.gladly_api_user) != bool(self.gladly_api_token):
            # One without the other would silently turn off the conversation check and the
            # timeline.
            missing = "GLADLY_API_TOKEN" if self.gladly_api_user else "GLADLY_API_USER"
            raise ConfigError(f"{missing}: required with GLADLY_API_USER and GLADLY_API_TOKEN")
        return self


class GladlyApiSettings(GladlyCredentials):
    """Gladly's API"""

    gladly_base_url: Annotated[str, parsed(values.url)] = setting(
        "GLADLY_BASE_URL",
        "http://127.0.0.1:8282",
        "Gladly REST API (timeline entries, conversations, customer links)",
    )
    # Gladly's rate limit per method for the whole organisation; every replica draws on one
    # budget held in the store, so this is never divided among them.
    gladly_requests_per_second: Annotated[
        int, parsed(values.count_from(MIN_GLADLY_REQUESTS_PER_SECOND))
    ] = setting(
        "GLADLY_REQUESTS_PER_SECOND",
        10,
        "Gladly's rate limit per method for the whole organisation, shared by every replica "
        "through the store (not divided among them; at least 4). Replaces "
        "`GLADLY_POSTS_PER_SECOND`, which now stops the program",
    )
    # Unset credentials used to switch the conversation check and the timeline off silently:
    # going without Gladly's API is now asked for by name.
    gladly_api_disabled: Annotated[bool, parsed(values.flag)] = setting(
        "GLADLY_API_DISABLED",
        False,
        "`true` runs actions without Gladly's API: no open-conversation check and no timeline "
        "entries, with a warning at every start (only without `GLADLY_API_USER` and "
        "`GLADLY_API_TOKEN`)",
    )
    # It was divided by hand among the replicas; the shared budget must not be.
    gladly_posts_per_second: Annotated[
        None,
        parsed(
            values.replaced_by(
                "GLADLY_REQUESTS_PER_SECOND",
                "Gladly's limit for the whole organisation (not divided among replicas)",
            )
        ),
        Retired(),
    ] = setting("GLADLY_POSTS_PER_SECOND", None, "replaced by GLADLY_REQUESTS_PER_SECOND")

    def check_gladly_api(self) -> None:
        """Serving needs Gladly's API, or going without it asked for by name: credentials left
        unset by an omission would switch off the conversation check and the timeline."""
        if self.gladly_api_disabled and self.gladly_configured:
            raise ConfigError(
                "GLADLY_API_DISABLED: true, but GLADLY_API_USER and GLADLY_API_TOKEN are set; "
                "unset one or the other"
            )
        if not self.gladly_api_disabled and not self.gladly_configured:
            raise ConfigError(
                "GLADLY_API_USER: required with GLADLY_API_TOKEN (to run actions without the "
                "conversation check and the timeline, set GLADLY_API_DISABLED=true)"
            )


class TelemetrySettings(Declared):
    """Traces and logs"""

    traces_exporter: Annotated[str, parsed(values.choice(*TRACES_EXPORTERS, ""))] = setting(
        "OTEL_TRACES_EXPORTER",
        "",
        "where spans go: `otlp`, `console` or `none` (unlike OpenTelemetry's own default, "
        "nothing is sent until an endpoint is named)",
        shown="`otlp` if an OTLP endpoint is set, else `none`",
    )
    otlp_endpoint: Annotated[str, parsed(values.optional_url)] = setting(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "",
        "the OpenTelemetry Collector (e.g. `http://localhost:4318`)",
    )
    otlp_traces_endpoint: Annotated[str, parsed(values.optional_url)] = setting(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "",
        "the Collector's traces URL, over `OTEL_EXPORTER_OTLP_ENDPOINT` (used as it is)",
    )
    otlp_protocol: Annotated[str, parsed(values.choice(*OTLP_PROTOCOLS))] = setting(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "`http/protobuf` or `grpc`"
    )
    otlp_traces_protocol: Annotated[str, parsed(values.choice(*OTLP_PROTOCOLS, ""))] = setting(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "", "the traces' own protocol, over the one above"
    )
    log_format: Annotated[str, parsed(values.choice(*LOG_FORMATS))] = setting(
        "LOG_FORMAT",
        "json",
        "`json`: one JSON object per line, with its trace id (for a log pipeline); `text`: one "
        "short line per request and per action for a person, in colour on a terminal unless "
        "`NO_COLOR` is set",
        shown="`json` (`make run`: `text`)",
    )

    @model_validator(mode="after")
    def _resolve_exporter(self) -> Self:
        # Unlike the OpenTelemetry default (`otlp`), traces go nowhere until an endpoint is
        # named: a developer's or a test's process must not try to reach a collector that is
        # not there. Frozen, so the resolved values are set past pydantic's guard, once, here.
        if not self.traces_exporter:
            named = self.otlp_endpoint or self.otlp_traces_endpoint
            object.__setattr__(self, "traces_exporter", "otlp" if named else "none")
        if self.otlp_traces_protocol:
            object.__setattr__(self, "otlp_protocol", self.otlp_traces_protocol)
        return self


class DeadlineSettings(Declared):
    """The action deadline"""

    deadline_seconds: Annotated[
        float, parsed(values.seconds(MAX_DEADLINE, minimum=_MIN_DEADLINE))
    ] = setting(
        "ACTIONS_DEADLINE_SECONDS",
        15.0,
        "end-to-end deadline of one action (0.5 to 300); a stopping service gives actions in "
        "flight this long and 3 s more",
    )


class SigningKeySettings(Declared):
    """Gladly's signing keys"""

    gladly_signing_keys: Annotated[tuple[str, ...], parsed(values.keys)] = setting(
        "GLADLY_SIGNING_KEYS",
        (),
        "comma-separated keys the gateway accepts for Gladly's signatures (rotation); "
        "`gladly-sandbox` signs with the first",
        secret=True,
        shown="— (required by the gateway)",
    )


class GatewayAddressSettings(Declared):
    """The gateway's address"""

    gateway_listen: Annotated[Address, parsed(values.address)] = setting(
        "GATEWAY_LISTEN",
        Address("127.0.0.1", 8080),
        "where `actions-gateway` listens (and where `gladly-sandbox` sends its requests unless "
        "`GATEWAY_URL` is set)",
    )
