"""The settings of each program: defaults, parsing, and one-line reasons for bad values."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from common.config import (
    PROGRAMS,
    Address,
    ConfigError,
    Declared,
    GatewaySettings,
    GladlySandboxSettings,
    OrdergrooveSandboxSettings,
    ServiceSettings,
)
from services.actions_service.domain import Action


def settings_reading(variable: str) -> type[Declared]:
    """The first program whose settings declare `variable`."""
    return next(
        program
        for program in PROGRAMS
        if any(field.alias == variable for field in program.model_fields.values())
    )


def test_defaults_are_the_contracts() -> None:
    settings = ServiceSettings.from_env({})
    assert settings.grpc_listen == Address("127.0.0.1", 50051)
    assert GatewaySettings.from_env({}).gateway_listen == Address("127.0.0.1", 8080)
    ordergroove_sandbox = OrdergrooveSandboxSettings.from_env({})
    assert ordergroove_sandbox.ordergroove_sandbox_listen == Address("127.0.0.1", 8181)
    gladly_sandbox = GladlySandboxSettings.from_env({})
    assert gladly_sandbox.gladly_sandbox_listen == Address("127.0.0.1", 8282)
    assert settings.actions_enabled == {action.value for action in Action}
    assert settings.actions_enabled == {
        "cancel",
        "skip",
        "reactivate",
        "change_date",
        "change_frequency",
        "change_quantity",
        "send_now",
        "change_renewal",
        "cancel_order",
        "change_item_quantity",
        "remove_from_order",
        "issue_discount",
        "swap_product",
        "change_shipping_address",
    }
    # A discount needs the merchant's consent besides ACTIONS_ENABLED.
    assert not settings.discounts_enabled
    assert (settings.discount_max_amount, settings.discount_max_percent) == (None, None)
    assert settings.swap_products == frozenset()
    assert settings.max_quantity == 12
    assert settings.deadline_seconds == 15
    assert not settings.gladly_configured
    assert (settings.traces_exporter, settings.otlp_protocol) == ("none", "http/protobuf")
    assert settings.metrics_listen is None
    assert GatewaySettings.from_env({}).grpc_lb_policy == "pick_first"
    assert settings.outbox_give_up_seconds == 86400


def test_telemetry_settings() -> None:
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}
    assert ServiceSettings.from_env(endpoint).traces_exporter == "otlp"  # an endpoint: on
    env = endpoint | {
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "METRICS_LISTEN": "127.0.0.2:9464",
        "ACTIONS_GRPC_LB_POLICY": "round_robin",
    }
    settings = ServiceSettings.from_env(env)
    assert (settings.traces_exporter, settings.otlp_protocol) == ("console", "grpc")
    assert settings.metrics_listen == Address("127.0.0.2", 9464)
    gateway = GatewaySettings.from_env(env)
    assert (gateway.traces_exporter, gateway.otlp_protocol) == ("console", "grpc")
    assert gateway.grpc_lb_policy == "round_robin"


def test_values_are_parsed() -> None:
    env = {
        "ACTIONS_ENABLED": " Skip ",
        "ACTIONS_DEADLINE_SECONDS": "2.5",
        "GLADLY_SIGNING_KEYS": "new, old,",
        "ACTIONS_API_TOKENS": "a,b",
        "ACTIONS_GRPC_LISTEN": "[::1]:9000",
        "ORDERGROOVE_BASE_URL": "https://example.com/api/",
        "GLADLY_API_USER": "u",
        "GLADLY_API_TOKEN": "t",
    }
    settings = ServiceSettings.from_env(env)
    assert settings.actions_enabled == {"skip"}
    assert settings.deadline_seconds == 2.5
    assert GatewaySettings.from_env(env).deadline_seconds == 2.5
    assert GatewaySettings.from_env(env).gladly_signing_keys == ("new", "old")
    assert settings.api_tokens == ("a", "b")
    assert settings.grpc_listen == Address("::1", 9000)
    assert settings.ordergroove_base_url == "https://example.com/api"
    assert settings.gladly_configured
    assert ServiceSettings.from_env({"ACTIONS_ENABLED": ""}).actions_enabled == frozenset()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACTIONS_ENABLED", "cancel,refund"),
        ("ACTIONS_DEADLINE_SECONDS", "soon"),
        ("ACTIONS_DEADLINE_SECONDS", "0"),
        ("ACTIONS_GRPC_LISTEN", "8080"),
        ("GATEWAY_LISTEN", "host:99999"),
        ("ORDERGROOVE_SANDBOX_LISTEN", ":80"),
        ("ORDERGROOVE_SANDBOX_PUBLIC_URL", "localhost:8181"),
        ("ORDERGROOVE_BASE_URL", "ftp://example.com"),
        ("OTEL_TRACES_EXPORTER", "jaeger"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("METRICS_LISTEN", "9464"),
        ("ACTIONS_GRPC_LB_POLICY", "random"),
        ("OUTBOX_GIVE_UP_SECONDS", "0"),
        ("OUTBOX_POLL_SECONDS", "soon"),
        ("GLADLY_POSTS_PER_SECOND", "5"),  # replaced: it was divided by hand among replicas
        ("GLADLY_REQUESTS_PER_SECOND", "3"),
        ("SETTLE_AFTER_SECONDS", "0"),
        ("SETTLE_AFTER_SECONDS", "10"),  # shorter than the default deadline (15 s)
        ("SETTLE_AFTER_SECONDS", "86400"),
        ("STORE_URL", "mysql://db/actions"),
        ("ORDERGROOVE_TIMEZONE", "Central Standard Time"),
        ("ORDERGROOVE_TIMEZONE", "../etc/passwd"),
        ("CANCEL_REASON_REQUIRED", "maybe"),
        ("CANCEL_REASON_NAMES", "too much=Too much product"),
        ("CANCEL_REASON_NAMES", "a|b=Too much product"),
        ("CANCEL_REASON_NAMES", "12="),
        ("CANCEL_REASON_NAMES", "12=Other,12=Moving"),
        # str.isdigit() accepts "²", which int() refuses.
        ("ACTIONS_GRPC_LISTEN", "127.0.0.1:²"),
        ("GATEWAY_LISTEN", "127.0.0.1:\uff18\uff10"),  # full-width digits
        ("GLADLY_POSTS_PER_SECOND", "²"),
        ("STORE_URL", "sqlite://relative.db"),
        ("STORE_URL", "sqlite://"),
        # No path: SQLite would keep the store in memory, lost at every stop.
        ("STORE_URL", "sqlite:///"),
        ("STORE_URL", "sqlite:///?mode=memory"),
        # Empty names no service: lookups answered notices blaming Ordergroove.
        ("ACTIONS_GRPC_TARGET", ""),
        ("ACTIONS_GRPC_TARGET", "  "),
        ("GATEWAY_REUSE_PORT", "maybe"),
        ("GLADLY_API_DISABLED", "maybe"),
        ("MAX_DAYS_AHEAD", "0"),
        ("STORE_WAIT_SECONDS", "0"),
        ("ACTIONS_DEADLINE_SECONDS", "0.0001"),
        ("ACTIONS_DEADLINE_SECONDS", "nan"),
        ("ORDERGROOVE_API_KEY", ""),
        ("ORDERGROOVE_API_KEY", "  "),
        # A list that names no token would serve without authentication.
        ("ACTIONS_API_TOKENS", " , "),
        ("ACTIONS_API_TOKENS", ","),
        ("ACTIONS_API_TOKENS", ""),
        ("ACTIONS_API_TOKENS", "good,tokén"),
        # A header value that cannot be sent: every call would fail (or hang) instead.
        ("ACTIONS_API_TOKEN", "tokén"),
        ("ACTIONS_API_TOKEN", "a token"),
        ("GLADLY_API_TOKEN", "tökén"),
        ("ACTIONS_GRPC_REUSE_PORT", "maybe"),
        # The Gladly sandbox's own, once read apart from the table.
        ("GLADLY_SANDBOX_RATE_LIMIT", "0"),
        ("GATEWAY_URL", "ftp://gateway"),
        ("GLADLY_SANDBOX_TRACE_URL", "http://jaeger/trace/without-placeholder"),
        ("DISCOUNTS_ENABLED", "maybe"),
        ("DISCOUNT_MAX_AMOUNT", "0"),
        ("DISCOUNT_MAX_AMOUNT", "-5"),
        ("DISCOUNT_MAX_AMOUNT", "5.125"),
        ("DISCOUNT_MAX_AMOUNT", "five"),
        ("DISCOUNT_MAX_PERCENT", "101"),
        ("SWAP_PRODUCTS", "sku-1,not an id"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name) as caught:
        settings_reading(name).from_env({name: value})
    assert "\n" not in str(caught.value)


def test_cancel_reason_and_timezone_settings() -> None:
    defaults = ServiceSettings.from_env({})
    assert defaults.ordergroove_timezone == "America/Chicago"
    assert not defaults.cancel_reason_required
    assert defaults.cancel_reason_names["12"] == "Other"
    settings = ServiceSettings.from_env(
        {
            "CANCEL_REASON_NAMES": (
                "12=Too much product, 013=Moving, or found it cheaper,TOO_EXPENSIVE=Too dear"
            ),
            "CANCEL_REASON_REQUIRED": "true",
            "ORDERGROOVE_TIMEZONE": "Europe/Berlin",
        }
    )
    assert settings.cancel_reason_names == {
        "12": "Too much product",
        "13": "Moving, or found it cheaper",
        "TOO_EXPENSIVE": "Too dear",
    }
    assert settings.cancel_reason_required
    assert settings.ordergroove_timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GLADLY_API_USER": "u"}, "GLADLY_API_TOKEN"),
        ({"GLADLY_API_TOKEN": "t"}, "GLADLY_API_USER"),
        (
            {"OUTBOX_BACKOFF_SECONDS": "10", "OUTBOX_BACKOFF_MAX_SECONDS": "5"},
            "OUTBOX_BACKOFF_SECONDS",
        ),
        # Discounts switched on need the merchant id their requests name, and a cap.
        ({"DISCOUNTS_ENABLED": "true", "DISCOUNT_MAX_AMOUNT": "25"}, "ORDERGROOVE_MERCHANT_ID"),
        ({"DISCOUNTS_ENABLED": "true", "ORDERGROOVE_MERCHANT_ID": "m-1"}, "DISCOUNTS_ENABLED"),
    ],
)
def test_values_wrong_together_are_refused(env: dict[str, str], named: str) -> None:
    """Half of Gladly's credentials would silently switch off the conversation check and the
    timeline; a backoff above its cap would never be used."""
    with pytest.raises(ConfigError, match=named) as caught:
        ServiceSettings.from_env(env)
    assert "\n" not in str(caught.value)


def test_the_merchants_discounts_and_swaps_are_read() -> None:
    settings = ServiceSettings.from_env(
        {
            "DISCOUNTS_ENABLED": "true",
            "ORDERGROOVE_MERCHANT_ID": "m-1",
            "DISCOUNT_MAX_AMOUNT": "7.50",
            "SWAP_PRODUCTS": " sku-1, sku-2 ,",
        }
    )
    assert settings.discounts_enabled and settings.merchant_id == "m-1"
    assert (settings.discount_max_amount, settings.discount_max_percent) == (Decimal("7.50"), None)
    assert settings.swap_products == {"sku-1", "sku-2"}


def test_port_sharing_is_asked_for() -> None:
    assert not ServiceSettings.from_env({}).grpc_reuse_port
    assert ServiceSettings.from_env({"ACTIONS_GRPC_REUSE_PORT": "true"}).grpc_reuse_port
    assert not GatewaySettings.from_env({}).reuse_port
    assert GatewaySettings.from_env({"GATEWAY_REUSE_PORT": "true"}).reuse_port


def test_a_store_in_memory_is_asked_for_by_name() -> None:
    memory = "sqlite:///:memory:"
    assert ServiceSettings.from_env({"STORE_URL": memory}).store_url == memory
    assert ServiceSettings.from_env({"STORE_URL": ""}).store_url == "sqlite:///var/actions.db"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "GLADLY_API_USER"),  # unset by an omission
        (
            {"GLADLY_API_DISABLED": "true", "GLADLY_API_USER": "u", "GLADLY_API_TOKEN": "t"},
            "GLADLY_API_DISABLED",
        ),
    ],
)
def test_serving_without_gladly_is_asked_for_by_name(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=f"^{named}") as caught:
        ServiceSettings.from_env(env).check_gladly_api()
    assert "\n" not in str(caught.value)
    ServiceSettings.from_env({"GLADLY_API_DISABLED": "true"}).check_gladly_api()
    ServiceSettings.from_env({"GLADLY_API_USER": "u", "GLADLY_API_TOKEN": "t"}).check_gladly_api()


def test_secrets_stay_out_of_repr() -> None:
    settings = ServiceSettings.from_env(
        {"ORDERGROOVE_API_KEY": "k-123", "ACTIONS_API_TOKENS": "t-456"}
    )
    assert "k-123" not in repr(settings)
    assert "t-456" not in repr(settings)


def test_outbox_settings_are_read() -> None:
    settings = ServiceSettings.from_env(
        {
            "OUTBOX_GIVE_UP_SECONDS": "3600",
            "OUTBOX_BACKOFF_SECONDS": "0.5",
            "OUTBOX_BACKOFF_MAX_SECONDS": "60",
            "OUTBOX_POLL_SECONDS": "1",
            "GLADLY_REQUESTS_PER_SECOND": "5",
            "SETTLE_AFTER_SECONDS": "120",
        }
    )
    assert (settings.outbox_give_up_seconds, settings.outbox_backoff_seconds) == (3600, 0.5)
    assert (settings.outbox_backoff_max_seconds, settings.outbox_poll_seconds) == (60, 1)
    assert settings.gladly_requests_per_second == 5
    assert settings.settle_after_seconds == 120


def test_each_program_reads_its_own_settings() -> None:
    """A variable of another program is no concern of this one: not read, not refused."""
    gateway = GatewaySettings.from_env({"STORE_URL": "mysql://db/actions"})
    assert not hasattr(gateway, "store_url")
    sandbox = GladlySandboxSettings.from_env({"ACTIONS_DEADLINE_SECONDS": "soon"})
    assert sandbox.gateway == "http://127.0.0.1:8080"  # GATEWAY_URL unset: GATEWAY_LISTEN's
    moved = GladlySandboxSettings.from_env({"GATEWAY_LISTEN": "127.0.0.1:9090"})
    assert moved.gateway == "http://127.0.0.1:9090"


def test_browsers_reach_the_ordergroove_sandbox_at_its_listen_address_unless_told() -> None:
    assert OrdergrooveSandboxSettings.from_env({}).public == "http://127.0.0.1:8181"
    moved = OrdergrooveSandboxSettings.from_env({"ORDERGROOVE_SANDBOX_LISTEN": "0.0.0.0:9191"})
    assert moved.public == "http://0.0.0.0:9191"
    told = {"ORDERGROOVE_SANDBOX_PUBLIC_URL": "http://localhost:8181/"}
    assert OrdergrooveSandboxSettings.from_env(told).public == "http://localhost:8181"


def test_known_actions_are_the_domains() -> None:
    with pytest.raises(ConfigError) as caught:
        ServiceSettings.from_env({"ACTIONS_ENABLED": "refund"})
    assert all(action.value in str(caught.value) for action in Action)


def test_settings_built_in_code_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIONS_DEADLINE_SECONDS", "2")
    assert ServiceSettings().deadline_seconds == 15
    assert ServiceSettings.from_env().deadline_seconds == 2


def test_settings_import_no_program() -> None:
    """Every program reads its settings: they take the action names from the proto, not from
    the service's domain, so that no import runs back up from a program's settings."""
    code = (
        "import sys, common.config\n"
        "print(sorted(m for m in sys.modules if m.startswith(('services.', 'gateway'))"
        " and not m.startswith('common.config')))"
    )
    found = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
