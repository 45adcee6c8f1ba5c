"""The one configuration object: every variable of the contract, parsed and checked once.

Each program reads `Settings.from_env()` at start and exits with the `ConfigError` message when a
value is wrong, so a bad deployment fails at once with a one-line reason instead of at first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KNOWN_ACTIONS: Final = (
    "cancel",
    "skip",
    "reactivate",
    "change_date",
    "change_frequency",
    "change_quantity",
    "send_now",
    "change_renewal",
)
TRACES_EXPORTERS: Final = ("otlp", "console", "none")
OTLP_PROTOCOLS: Final = ("http/protobuf", "grpc")
GRPC_LB_POLICIES: Final = ("pick_first", "round_robin")
# Ordergroove lists a merchant's cancel reasons as integer codes without words; the words agents
# read are the merchant's own. These are the defaults until the merchant names its codes.
DEFAULT_CANCEL_REASON_NAMES: Final = (
    "1=Customer request,2=Too expensive,3=Too much product,4=Overstocked,"
    "5=Not what I expected,6=Switching brands,7=Moving,12=Other"
)
# The only Ordergroove page that names the zone of its naive timestamps says CST.
DEFAULT_ORDERGROOVE_TIMEZONE: Final = "America/Chicago"


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    ordergroove_base_url: str = "http://127.0.0.1:8181"
    ordergroove_api_key: str = field(default="sandbox-api-key", repr=False)
    gladly_base_url: str = "http://127.0.0.1:8282"
    gladly_api_user: str = field(default="", repr=False)
    gladly_api_token: str = field(default="", repr=False)
    gladly_signing_keys: tuple[str, ...] = field(default=(), repr=False)
    actions_enabled: frozenset[str] = frozenset(KNOWN_ACTIONS)
    deadline_seconds: float = 15.0
    # A lookup's own budget: Gladly wants an answer within 5 s (reference/gladly.md §1).
    lookup_deadline_seconds: float = 4.0
    # The id Gladly gave our lookup integration: the key of a profile's `externalCustomerIds`.
    gladly_lookup_app_id: str = ""
    grpc_listen: Address = Address("127.0.0.1", 50051)
    grpc_target: str = "127.0.0.1:50051"
    api_tokens: tuple[str, ...] = field(default=(), repr=False)
    api_token: str = field(default="", repr=False)
    gateway_listen: Address = Address("127.0.0.1", 8080)
    ordergroove_sandbox_listen: Address = Address("127.0.0.1", 8181)
    gladly_sandbox_listen: Address = Address("127.0.0.1", 8282)
    # May carry a database password.
    store_url: str = field(default="sqlite:///var/actions.db", repr=False)
    # The timeline outbox: how long to keep retrying an entry, the full-jitter backoff between
    # attempts, and how often to look for due entries.
    outbox_give_up_seconds: float = 86400.0
    outbox_backoff_seconds: float = 1.0
    outbox_backoff_max_seconds: float = 300.0
    outbox_poll_seconds: float = 2.0
    # Gladly's rate limit per method for the whole organisation; every replica draws on one
    # budget held in the store, so this is never divided among them.
    gladly_requests_per_second: int = 10
    # An open action record that no attempt has touched for this long is settled in the
    # background: completed if Ordergroove shows it applied, else closed as not applied.
    settle_after_seconds: float = 300.0
    # How the gateway spreads calls over the service's addresses: `round_robin` with a
    # `dns:///` target balances over every replica a headless Service resolves to.
    grpc_lb_policy: str = "pick_first"
    # OpenTelemetry: the exporter and protocol are chosen here; the endpoint, service name and
    # resource attributes are read by the SDK itself from their standard OTEL_* variables.
    traces_exporter: str = "none"
    otlp_protocol: str = "http/protobuf"
    # Where `actions-service` serves Prometheus `/metrics`; None serves none.
    metrics_listen: Address | None = None
    # The words for each of the merchant's integer cancel reason codes (code -> words); a code
    # without words is shown as "Reason <code>". From CANCEL_REASON_NAMES.
    cancel_reason_names: Mapping[str, str] = field(
        default_factory=lambda: cancel_reason_names(DEFAULT_CANCEL_REASON_NAMES)
    )
    # Whether a cancel must name a reason (Gladly's own integration leaves it optional).
    cancel_reason_required: bool = False
    # The most a Change Quantity may set (the merchant's maximum), from MAX_QUANTITY.
    max_quantity: int = 12
    # The IANA zone Ordergroove's naive timestamps are read in (ORDERGROOVE_TIMEZONE).
    ordergroove_timezone: str = DEFAULT_ORDERGROOVE_TIMEZONE
    # Several `actions-service` processes may share ACTIONS_GRPC_LISTEN only when asked for:
    # otherwise a second one on a taken port is refused instead of silently taking half the calls.
    grpc_reuse_port: bool = False
    # How long the gateway waits for a whole request (headers and body) once a connection is
    # ready for one; a slower client is disconnected (it would hold a connection for ever).
    request_read_seconds: float = 10.0

    @property
    def gladly_configured(self) -> bool:
        """Timeline entries and the open-conversation check need Gladly API credentials."""
        return bool(self.gladly_api_user and self.gladly_api_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()

        def get(name: str, default: str | float | Address) -> str:
            """The variable, or the default written as the variable would be."""
            return env.get(name, str(default)).strip()

        metrics_listen = get("METRICS_LISTEN", "")
        settings = cls(
            ordergroove_base_url=_url(
                "ORDERGROOVE_BASE_URL", get("ORDERGROOVE_BASE_URL", defaults.ordergroove_base_url)
            ),
            ordergroove_api_key=_secret(
                "ORDERGROOVE_API_KEY", get("ORDERGROOVE_API_KEY", defaults.ordergroove_api_key)
            ),
            gladly_base_url=_url(
                "GLADLY_BASE_URL", get("GLADLY_BASE_URL", defaults.gladly_base_url)
            ),
            gladly_api_user=_optional_secret("GLADLY_API_USER", get("GLADLY_API_USER", "")),
            gladly_api_token=_optional_secret("GLADLY_API_TOKEN", get("GLADLY_API_TOKEN", "")),
            gladly_signing_keys=csv_values(get("GLADLY_SIGNING_KEYS", "")),
            actions_enabled=_actions(get("ACTIONS_ENABLED", ",".join(KNOWN_ACTIONS))),
            deadline_seconds=_duration(
                "ACTIONS_DEADLINE_SECONDS",
                get("ACTIONS_DEADLINE_SECONDS", defaults.deadline_seconds),
                _MAX_DEADLINE,
                minimum=_MIN_DEADLINE,
            ),
            lookup_deadline_seconds=_duration(
                "LOOKUP_DEADLINE_SECONDS",
                get("LOOKUP_DEADLINE_SECONDS", defaults.lookup_deadline_seconds),
                _MAX_LOOKUP_DEADLINE,
            ),
            gladly_lookup_app_id=get("GLADLY_LOOKUP_APP_ID", ""),
            grpc_listen=_address(
                "ACTIONS_GRPC_LISTEN", get("ACTIONS_GRPC_LISTEN", defaults.grpc_listen)
            ),
            grpc_target=get("ACTIONS_GRPC_TARGET", defaults.grpc_target) or defaults.grpc_target,
            api_tokens=_tokens("ACTIONS_API_TOKENS", env.get("ACTIONS_API_TOKENS")),
            api_token=_optional_secret("ACTIONS_API_TOKEN", get("ACTIONS_API_TOKEN", "")),
            gateway_listen=_address(
                "GATEWAY_LISTEN", get("GATEWAY_LISTEN", defaults.gateway_listen)
            ),
            ordergroove_sandbox_listen=_address(
                "ORDERGROOVE_SANDBOX_LISTEN",
                get("ORDERGROOVE_SANDBOX_LISTEN", defaults.ordergroove_sandbox_listen),
            ),
            gladly_sandbox_listen=_address(
                "GLADLY_SANDBOX_LISTEN",
                get("GLADLY_SANDBOX_LISTEN", defaults.gladly_sandbox_listen),
            ),
            store_url=_store_url(get("STORE_URL", defaults.store_url) or defaults.store_url),
            outbox_give_up_seconds=_duration(
                "OUTBOX_GIVE_UP_SECONDS",
                get("OUTBOX_GIVE_UP_SECONDS", defaults.outbox_give_up_seconds),
                _WEEK,
            ),
            outbox_backoff_seconds=_duration(
                "OUTBOX_BACKOFF_SECONDS",
                get("OUTBOX_BACKOFF_SECONDS", defaults.outbox_backoff_seconds),
                _HOUR,
            ),
            outbox_backoff_max_seconds=_duration(
                "OUTBOX_BACKOFF_MAX_SECONDS",
                get("OUTBOX_BACKOFF_MAX_SECONDS", defaults.outbox_backoff_max_seconds),
                _HOUR,
            ),
            outbox_poll_seconds=_duration(
                "OUTBOX_POLL_SECONDS",
                get("OUTBOX_POLL_SECONDS", defaults.outbox_poll_seconds),
                _HOUR,
            ),
            gladly_requests_per_second=_gladly_limit(
                env, get("GLADLY_REQUESTS_PER_SECOND", defaults.gladly_requests_per_second)
            ),
            settle_after_seconds=_duration(
                "SETTLE_AFTER_SECONDS",
                get("SETTLE_AFTER_SECONDS", defaults.settle_after_seconds),
                _HOUR,
            ),
            grpc_lb_policy=_choice(
                "ACTIONS_GRPC_LB_POLICY",
                get("ACTIONS_GRPC_LB_POLICY", defaults.grpc_lb_policy),
                GRPC_LB_POLICIES,
            ),
            traces_exporter=_choice(
                "OTEL_TRACES_EXPORTER",
                get("OTEL_TRACES_EXPORTER", "") or _default_traces_exporter(env),
                TRACES_EXPORTERS,
            ),
            otlp_protocol=_choice(
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "")
                or get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
                or defaults.otlp_protocol,
                OTLP_PROTOCOLS,
            ),
            metrics_listen=_address("METRICS_LISTEN", metrics_listen) if metrics_listen else None,
            cancel_reason_names=cancel_reason_names(
                get("CANCEL_REASON_NAMES", DEFAULT_CANCEL_REASON_NAMES)
            ),
            cancel_reason_required=_flag(
                "CANCEL_REASON_REQUIRED", get("CANCEL_REASON_REQUIRED", "false")
            ),
            max_quantity=_count("MAX_QUANTITY", get("MAX_QUANTITY", str(defaults.max_quantity))),
            ordergroove_timezone=_timezone(
                get("ORDERGROOVE_TIMEZONE", DEFAULT_ORDERGROOVE_TIMEZONE)
            ),
            request_read_seconds=_duration(
                "GATEWAY_REQUEST_READ_SECONDS",
                get("GATEWAY_REQUEST_READ_SECONDS", defaults.request_read_seconds),
                _MAX_DEADLINE,
            ),
            grpc_reuse_port=_flag("ACTIONS_GRPC_REUSE_PORT", get("ACTIONS_GRPC_REUSE_PORT", "")),
        )
        _check_together(settings)
        return settings


def _check_together(settings: Settings) -> None:
    """Values that are each fine but wrong together."""
    if bool(settings.gladly_api_user) != bool(settings.gladly_api_token):
        # One without the other would silently turn off the conversation check and the timeline.
        missing = "GLADLY_API_TOKEN" if settings.gladly_api_user else "GLADLY_API_USER"
        raise ConfigError(f"{missing}: required with GLADLY_API_USER and GLADLY_API_TOKEN")
    if settings.outbox_backoff_seconds > settings.outbox_backoff_max_seconds:
        raise ConfigError(
            f"OUTBOX_BACKOFF_SECONDS: must be at most OUTBOX_BACKOFF_MAX_SECONDS"
            f" ({settings.outbox_backoff_max_seconds:g}), got {settings.outbox_backoff_seconds:g}"
        )
    # A client retrying after a deadline must find its action still open, not settled.
    if settings.settle_after_seconds < settings.deadline_seconds:
        raise ConfigError(
            "SETTLE_AFTER_SECONDS: must be at least ACTIONS_DEADLINE_SECONDS "
            f"({settings.deadline_seconds:g}), got {settings.settle_after_seconds:g}"
        )


def _default_traces_exporter(env: Mapping[str, str]) -> str:
    """Unlike the OpenTelemetry default (`otlp`), traces go nowhere until an endpoint is named:
    a developer's or a test's process must not try to reach a collector that is not there."""
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return "otlp" if any(env.get(name, "").strip() for name in endpoints) else "none"


# A new entry starts at a comma followed by `<digits>=`, so that words may hold commas.
_REASON_ENTRY_START: Final = re.compile(r",(?=\s*\d+\s*=)")


def cancel_reason_names(value: str) -> dict[str, str]:
    """`12=Too much product,13=Moving` -> {"12": "Too much product", "13": "Moving"}."""
    names: dict[str, str] = {}
    for entry in _REASON_ENTRY_START.split(value.strip()) if value.strip() else ():
        code, sep, words = entry.partition("=")
        code, words = code.strip(), words.strip()
        if not sep or not code.isdigit() or not words or code.lstrip("0") in names:
            raise ConfigError(
                f"CANCEL_REASON_NAMES: expected code=words,code=words with distinct integer "
                f"codes, got {entry.strip()!r}"
            )
        names[code.lstrip("0") or "0"] = words
    return names


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"ORDERGROOVE_TIMEZONE: expected an IANA zone name like America/Chicago, got {value!r}"
        ) from None
    return value


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def csv_values(value: str) -> tuple[str, ...]:
    """A comma-separated list: each value stripped, empty ones dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _actions(value: str) -> frozenset[str]:
    actions = frozenset(part.lower() for part in csv_values(value))
    unknown = sorted(actions - set(KNOWN_ACTIONS))
    if unknown:
        raise ConfigError(
            f"ACTIONS_ENABLED: unknown action {', '.join(unknown)!s}"
            f" (known: {', '.join(KNOWN_ACTIONS)})"
        )
    return actions


_MAX_DEADLINE: Final = 300.0
# Gladly cuts a lookup off at 15 s (reference/gladly.md §1): a longer budget could not be used.
_MAX_LOOKUP_DEADLINE: Final = 15.0
# Below this no action can reach Ordergroove and back: every call would time out.
_MIN_DEADLINE: Final = 0.5
# The shared budget's slots need room for a few requests per second (`ratelimit.slots_for`).
MIN_GLADLY_REQUESTS_PER_SECOND: Final = 4
_HOUR: Final = 3600.0
_WEEK: Final = 7 * 86400.0
_FLAGS: Final = {"": False, "0": False, "false": False, "1": True, "true": True}


def _duration(name: str, value: str, maximum: float, *, minimum: float = 0.0) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number of seconds, got {value!r}") from None
    high_enough = seconds >= minimum if minimum else seconds > 0
    if not high_enough or not seconds <= maximum:
        least = f"at least {minimum:g}" if minimum else "more than 0"
        raise ConfigError(f"{name}: must be {least} and at most {maximum:g}, got {value}")
    return seconds


def _digits(value: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts "²" and other digits `int` refuses."""
    return value.isascii() and value.isdigit()


def _count(name: str, value: str) -> int:
    if not _digits(value) or not 1 <= int(value) <= 10_000:
        raise ConfigError(f"{name}: expected a whole number from 1 to 10000, got {value!r}")
    return int(value)


def _flag(name: str, value: str) -> bool:
    if value.lower() not in _FLAGS:
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    return _FLAGS[value.lower()]


def _optional_secret(name: str, value: str) -> str:
    """A credential sent in a header: printable ASCII only (anything else cannot be sent, and a
    client may fail on it at every call instead of once, here)."""
    if any(not (" " < char <= "~") for char in value):
        raise ConfigError(f"{name}: must be printable ASCII without spaces")
    return value


def _secret(name: str, value: str) -> str:
    if not value:
        raise ConfigError(f"{name}: must not be empty")
    return _optional_secret(name, value)


def _tokens(name: str, value: str | None) -> tuple[str, ...]:
    """Unset means no authentication (a developer's machine); a value, even an empty one (a
    Secret's empty key), must name tokens."""
    if value is None:
        return ()
    tokens = csv_values(value)
    if not tokens:
        raise ConfigError(f"{name}: names no token (unset it to serve without authentication)")
    for token in tokens:
        _optional_secret(name, token)
    return tokens


def _gladly_limit(env: Mapping[str, str], value: str) -> int:
    if "GLADLY_POSTS_PER_SECOND" in env:
        # It was divided by hand among the replicas; the shared budget must not be.
        raise ConfigError(
            "GLADLY_POSTS_PER_SECOND: replaced by GLADLY_REQUESTS_PER_SECOND, Gladly's limit for "
            "the whole organisation (not divided among replicas); remove it"
        )
    limit = _count("GLADLY_REQUESTS_PER_SECOND", value)
    if limit < MIN_GLADLY_REQUESTS_PER_SECOND:
        raise ConfigError(
            f"GLADLY_REQUESTS_PER_SECOND: must be at least {MIN_GLADLY_REQUESTS_PER_SECOND}, "
            f"got {value}"
        )
    return limit


def _store_url(value: str) -> str:
    scheme, _, rest = value.partition("://")
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg") or not rest:
        raise ConfigError(
            f"STORE_URL: expected sqlite:///path/to/file.db or postgresql://..., got {value!r}"
        )
    if scheme == "sqlite" and not rest.startswith("/"):
        # `sqlite://relative.db` names a host, not a file: the path needs a third slash.
        raise ConfigError(f"STORE_URL: expected sqlite:///path/to/file.db, got {value!r}")
    return value


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _address(name: str, value: str) -> Address:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not _digits(port) or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}: expected host:port, got {value!r}")
    return Address(host.strip("[]"), int(port))
