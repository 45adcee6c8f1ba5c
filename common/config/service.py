"""The settings of `actions-service`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Final, Self

from pydantic import model_validator

from actions.contract import DEFAULT_MAX_DAYS_AHEAD
from actions.v1.actions_pb2 import Action
from common.config import values
from common.config.declared import ConfigError, parsed, setting
from common.config.shared import (
    DeadlineSettings,
    GladlyApiSettings,
    OrdergrooveSettings,
    TelemetrySettings,
)
from common.config.values import Address

# ACTIONS_ENABLED names the actions as the proto does, without its prefix, in lower case; one
# name is shorter, as operators have written it since it first shipped.
_SHORTER_NAMES: Final = {"change_next_order_date": "change_date"}


def _setting_name(enum_name: str) -> str:
    name = enum_name.removeprefix("ACTION_").lower()
    return _SHORTER_NAMES.get(name, name)


KNOWN_ACTIONS: Final = tuple(
    _setting_name(value.name) for value in Action.DESCRIPTOR.values if value.number
)
# Ordergroove lists a merchant's cancel reasons as integer codes without words; the words agents
# read are the merchant's own. These are the defaults until the merchant names its codes.
DEFAULT_CANCEL_REASON_NAMES: Final = (
    "1=Customer request,2=Too expensive,3=Too much product,4=Overstocked,"
    "5=Not what I expected,6=Switching brands,7=Moving,12=Other"
)
_HOUR: Final = 3600.0
_WEEK: Final = 7 * 86400.0


class ServiceSettings(OrdergrooveSettings, GladlyApiSettings, TelemetrySettings, DeadlineSettings):
    """actions-service"""

    actions_enabled: Annotated[
        frozenset[str], parsed(values.names_among(KNOWN_ACTIONS, "action"))
    ] = setting(
        "ACTIONS_ENABLED",
        frozenset(KNOWN_ACTIONS),
        "actions switched on; empty switches all off",
        shown=f"`{','.join(KNOWN_ACTIONS)}`",
    )
    cancel_reason_names: Annotated[Mapping[str, str], parsed(values.reason_names)] = setting(
        "CANCEL_REASON_NAMES",
        values.reason_names(DEFAULT_CANCEL_REASON_NAMES),
        "the words agents read for the merchant's cancel reason codes (Ordergroove lists "
        "codes only: digits, or names such as `TOO_EXPENSIVE`), as `code=words` separated by "
        "commas (words may hold commas); a code "
        'Ordergroove lists but nobody named reads "Reason <code>". The cancel form offers '
        "exactly the codes Ordergroove lists",
        shown=f"`{DEFAULT_CANCEL_REASON_NAMES}`",
    )
    cancel_reason_required: Annotated[bool, parsed(values.flag)] = setting(
        "CANCEL_REASON_REQUIRED",
        False,
        "`true` makes a cancel name a reason; by default it is optional, as in Gladly's own "
        "integration",
    )
    max_quantity: Annotated[int, parsed(values.count)] = setting(
        "MAX_QUANTITY", 12, "the most a Change Quantity may set (the merchant's maximum)"
    )
    # A date years ahead is a typo, and Ordergroove then fails every later skip of it.
    max_days_ahead: Annotated[int, parsed(values.count)] = setting(
        "MAX_DAYS_AHEAD",
        DEFAULT_MAX_DAYS_AHEAD,
        "the furthest a Change Next Order Date or a Reactivate's first order may be set, in days "
        "after the merchant's today; a later date is refused, naming the last one allowed (the "
        "forms' hints give the default, two years)",
    )
    discounts_enabled: Annotated[bool, parsed(values.flag)] = setting(
        "DISCOUNTS_ENABLED",
        False,
        "`true` lets agents issue one-time discounts (Issue Discount, also in `ACTIONS_ENABLED`), "
        "up to the caps below; needs `ORDERGROOVE_MERCHANT_ID` and a cap",
    )
    discount_max_amount: Annotated[Decimal | None, parsed(values.optional_money)] = setting(
        "DISCOUNT_MAX_AMOUNT",
        None,
        "the largest discount of an amount an agent may give (e.g. `25`); unset: none of that kind",
        shown="unset",
    )
    discount_max_percent: Annotated[Decimal | None, parsed(values.optional_money)] = setting(
        "DISCOUNT_MAX_PERCENT",
        None,
        "the largest discount in percent an agent may give (e.g. `20`, at most 100); unset: none "
        "of that kind",
        shown="unset",
    )
    merchant_id: Annotated[str, parsed(values.text)] = setting(
        "ORDERGROOVE_MERCHANT_ID",
        "",
        "the merchant's Ordergroove id, which Ordergroove's discounts name (needed by "
        "`DISCOUNTS_ENABLED`)",
    )
    swap_products: Annotated[frozenset[str], parsed(values.ids)] = setting(
        "SWAP_PRODUCTS",
        frozenset(),
        "the products (`external_product_id`s, by commas) a Swap Product may offer; unset: every "
        "product the merchant offers for subscriptions (live, autoship-enabled)",
        shown="unset",
    )
    grpc_listen: Annotated[Address, parsed(values.address)] = setting(
        "ACTIONS_GRPC_LISTEN", Address("127.0.0.1", 50051), "where `actions-service` listens"
    )
    api_tokens: Annotated[tuple[str, ...], parsed(values.tokens)] = setting(
        "ACTIONS_API_TOKENS",
        (),
        "bearer tokens the service accepts; when set, calls without one are refused (health "
        'excepted); set to a value that names no token (`""`, `" , "`) it stops the program',
        secret=True,
    )
    grpc_reuse_port: Annotated[bool, parsed(values.flag)] = setting(
        "ACTIONS_GRPC_REUSE_PORT",
        False,
        "`true` lets several `actions-service` processes share `ACTIONS_GRPC_LISTEN` "
        "(`SO_REUSEPORT`); otherwise a taken port stops the program",
    )
    store_url: Annotated[str, parsed(values.store_url)] = setting(  # empty: the default
        "STORE_URL",
        "sqlite:///var/actions.db",
        "the action store: `sqlite:///path.db` (embedded; the folder is created; relative to the "
        "working directory; a URL without a path stops the program, `sqlite:///:memory:` keeps "
        "it in memory, lost at every stop) or `postgresql://user:pass@host/db` (shared by "
        "replicas); migrated at start",
        secret=True,  # may carry a database password
    )
    # A database that starts with the service (or restarts) is waited for; one that never
    # answers is a wrong address, told in one line.
    store_wait_seconds: Annotated[float, parsed(values.seconds(_HOUR))] = setting(
        "STORE_WAIT_SECONDS",
        60.0,
        "how long a starting service waits for its store to answer (its health says NOT_SERVING "
        "meanwhile) before it stops with status 2",
    )
    outbox_give_up_seconds: Annotated[float, parsed(values.seconds(_WEEK))] = setting(
        "OUTBOX_GIVE_UP_SECONDS",
        86400.0,
        "how long a timeline entry is retried before it is given up (and kept, as failed)",
    )
    outbox_backoff_seconds: Annotated[float, parsed(values.seconds(_HOUR))] = setting(
        "OUTBOX_BACKOFF_SECONDS",
        1.0,
        "full-jitter backoff between delivery attempts: base (at most the cap)",
    )
    outbox_backoff_max_seconds: Annotated[float, parsed(values.seconds(_HOUR))] = setting(
        "OUTBOX_BACKOFF_MAX_SECONDS", 300.0, "full-jitter backoff between delivery attempts: cap"
    )
    outbox_poll_seconds: Annotated[float, parsed(values.seconds(_HOUR))] = setting(
        "OUTBOX_POLL_SECONDS",
        2.0,
        "how often the deliverer looks for due entries (it also wakes when an action completes)",
    )
    settle_after_seconds: Annotated[float, parsed(values.seconds(_HOUR))] = setting(
        "SETTLE_AFTER_SECONDS",
        300.0,
        "an open action that no attempt has touched for this long is settled in the background: "
        "completed if Ordergroove shows it applied, closed as not applied (never sent) if it "
        "shows it was not, or as unconfirmed if the subscription changed since (at least "
        "`ACTIONS_DEADLINE_SECONDS`, at most 3600)",
    )
    metrics_listen: Annotated[Address | None, parsed(values.optional_address)] = setting(
        "METRICS_LISTEN",
        None,
        "where `actions-service` serves Prometheus `/metrics` (the gateway serves `GET /metrics` "
        "on its own port)",
        shown="unset (`make run`: `127.0.0.1:9464`)",
    )

    @model_validator(mode="after")
    def _service_values_agree(self) -> Self:
        if self.outbox_backoff_seconds > self.outbox_backoff_max_seconds:
            raise ConfigError(
                f"OUTBOX_BACKOFF_SECONDS: must be at most OUTBOX_BACKOFF_MAX_SECONDS"
                f" ({self.outbox_backoff_max_seconds:g}), got {self.outbox_backoff_seconds:g}"
            )
        self._discounts_agree()
        # A client retrying after a deadline must find its action still open, not settled.
        if self.settle_after_seconds < self.deadline_seconds:
            raise ConfigError(
                "SETTLE_AFTER_SECONDS: must be at least ACTIONS_DEADLINE_SECONDS "
                f"({self.deadline_seconds:g}), got {self.settle_after_seconds:g}"
            )
        return self

    def _discounts_agree(self) -> None:
        if self.discount_max_percent is not None and self.discount_max_percent > 100:
            raise ConfigError(
                f"DISCOUNT_MAX_PERCENT: must be at most 100, got {self.discount_max_percent}"
            )
        if not self.discounts_enabled:
            return
        if not self.merchant_id:
            raise ConfigError("ORDERGROOVE_MERCHANT_ID: must be set when DISCOUNTS_ENABLED is true")
        if self.discount_max_amount is None and self.discount_max_percent is None:
            raise ConfigError(
                "DISCOUNTS_ENABLED: needs DISCOUNT_MAX_AMOUNT or DISCOUNT_MAX_PERCENT (no cap "
                "set means no discount of that kind)"
            )
