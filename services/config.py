"""The one configuration object: every variable of the contract, parsed and checked once.

Each program reads `Settings.from_env()` at start and exits with the `ConfigError` message when a
value is wrong, so a bad deployment fails at once with a one-line reason instead of at first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

KNOWN_ACTIONS: Final = ("cancel", "skip")
TRACES_EXPORTERS: Final = ("otlp", "console", "none")
OTLP_PROTOCOLS: Final = ("http/protobuf", "grpc")
GRPC_LB_POLICIES: Final = ("pick_first", "round_robin")


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
            ordergroove_api_key=get("ORDERGROOVE_API_KEY", defaults.ordergroove_api_key),
            gladly_base_url=_url(
                "GLADLY_BASE_URL", get("GLADLY_BASE_URL", defaults.gladly_base_url)
            ),
            gladly_api_user=get("GLADLY_API_USER", ""),
            gladly_api_token=get("GLADLY_API_TOKEN", ""),
            gladly_signing_keys=csv_values(get("GLADLY_SIGNING_KEYS", "")),
            actions_enabled=_actions(get("ACTIONS_ENABLED", ",".join(KNOWN_ACTIONS))),
            deadline_seconds=_duration(
                "ACTIONS_DEADLINE_SECONDS",
                get("ACTIONS_DEADLINE_SECONDS", defaults.deadline_seconds),
                _MAX_DEADLINE,
            ),
            grpc_listen=_address(
                "ACTIONS_GRPC_LISTEN", get("ACTIONS_GRPC_LISTEN", defaults.grpc_listen)
            ),
            grpc_target=get("ACTIONS_GRPC_TARGET", defaults.grpc_target) or defaults.grpc_target,
            api_tokens=csv_values(get("ACTIONS_API_TOKENS", "")),
            api_token=get("ACTIONS_API_TOKEN", ""),
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
        )
        # A client retrying after a deadline must find its action still open, not settled.
        if settings.settle_after_seconds < settings.deadline_seconds:
            raise ConfigError(
                "SETTLE_AFTER_SECONDS: must be at least ACTIONS_DEADLINE_SECONDS "
                f"({settings.deadline_seconds:g}), got {settings.settle_after_seconds:g}"
            )
        return settings


def _default_traces_exporter(env: Mapping[str, str]) -> str:
    """Unlike the OpenTelemetry default (`otlp`), traces go nowhere until an endpoint is named:
    a developer's or a test's process must not try to reach a collector that is not there."""
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return "otlp" if any(env.get(name, "").strip() for name in endpoints) else "none"


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
# The shared budget's slots need room for a few requests per second (`ratelimit.slots_for`).
MIN_GLADLY_REQUESTS_PER_SECOND: Final = 4
_HOUR: Final = 3600.0
_WEEK: Final = 7 * 86400.0


def _duration(name: str, value: str, maximum: float) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number of seconds, got {value!r}") from None
    if not 0 < seconds <= maximum:
        raise ConfigError(f"{name}: must be more than 0 and at most {maximum:g}, got {value}")
    return seconds


def _count(name: str, value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 10_000:
        raise ConfigError(f"{name}: expected a whole number from 1 to 10000, got {value!r}")
    return int(value)


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
    scheme = value.partition(":")[0]
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg") or "://" not in value:
        raise ConfigError(
            f"STORE_URL: expected sqlite:///path/to/file.db or postgresql://..., got {value!r}"
        )
    return value


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _address(name: str, value: str) -> Address:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}: expected host:port, got {value!r}")
    return Address(host.strip("[]"), int(port))
