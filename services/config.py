"""Every setting of every program, each declared once: its variable, type, default, limits and
meaning. `services.settings_doc` writes README's configuration tables from these declarations.

A group of settings is a class; a program's settings compose the groups it reads, and a program
reads only its own. Each program reads `<Its>Settings.from_env()` at start and exits with the
`ConfigError` message (one line naming the variable) when a value is wrong, so a bad deployment
fails at once instead of at first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, Final, Self, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from services.actions_service.domain import ID_PATTERN, Action, is_id

KNOWN_ACTIONS: Final = tuple(action.value for action in Action)
TRACES_EXPORTERS: Final = ("otlp", "console", "none")
OTLP_PROTOCOLS: Final = ("http/protobuf", "grpc")
LOG_FORMATS: Final = ("json", "text")
GRPC_LB_POLICIES: Final = ("pick_first", "round_robin")
# Ordergroove lists a merchant's cancel reasons as codes without words ("12", "TOO_EXPENSIVE");
# the words agents read are the merchant's own. These are the defaults until the merchant names
# its codes.
DEFAULT_CANCEL_REASON_NAMES: Final = (
    "1=Customer request,2=Too expensive,3=Too much product,4=Overstocked,"
    "5=Not what I expected,6=Switching brands,7=Moving,12=Other"
)
# A merchant sets orders months ahead, not decades: two years.
DEFAULT_MAX_DAYS_AHEAD: Final = 730
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


# --- how a declaration is written ---------------------------------------------------------------

Parser = Callable[[str, str], Any]  # (variable, stripped value) -> value, or ConfigError


@dataclass(frozen=True)
class Parse:
    """A field's parser, from the variable's text to its value. Text given in code is parsed
    the same way; other values given in code are only type-checked."""

    parse: Parser


class Retired:
    """A variable that is no longer read: setting it stops the program (the parser says why)."""


def setting(
    variable: str, default: Any, meaning: str, *, secret: bool = False, shown: str = ""
) -> Any:
    """The declaration of one variable (its parser is the field's `Parse` annotation); `shown`
    is the default as README shows it, where the value itself would not say it."""
    return Field(
        default,
        alias=variable,
        description=meaning,
        repr=not secret,
        json_schema_extra={"shown": shown} if shown else None,
    )


_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("environ", default=None)


class _Environment(PydanticBaseSettingsSource):
    """The declared variables that are set, from the environment `from_env` reads, as text: each
    field's parser reads them. Settings built in code (`ServiceSettings(...)`, in tests) read no
    environment: their values are the declared defaults and the ones given."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        environ = _ENVIRON.get()
        if environ is None:
            return {}
        return {
            field.alias: environ[field.alias]
            for field in self.settings_cls.model_fields.values()
            if field.alias and field.alias in environ
        }


class Declared(BaseSettings):
    """A group of settings; the program classes compose groups."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _Environment(settings_cls))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The settings from `env` (default: the process's environment), or a ConfigError of
        one line naming the variable."""
        token = _ENVIRON.set(os.environ if env is None else env)
        try:
            return cls()
        except ValidationError as error:
            raise ConfigError(_one_line(cls, error)) from None
        finally:
            _ENVIRON.reset(token)

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        parsed = dict(data)
        for name, field in cls.model_fields.items():
            parser = next((m.parse for m in field.metadata if isinstance(m, Parse)), None)
            for key in {field.alias or name, name}:
                if parser is not None and isinstance(parsed.get(key), str):
                    parsed[key] = parser(field.alias or name, parsed[key].strip())
        return parsed


S = TypeVar("S", bound=Declared)


def replaced(settings: S, **changes: Any) -> S:
    """A copy with `changes` (by field name, typed values), as `dataclasses.replace` made one:
    not checked again, so that a test may set a value the rules would refuse at start (a
    settling delay shorter than the deadline, to see the settler at work)."""
    return settings.model_copy(update=changes)


def _one_line(cls: type[Declared], error: ValidationError) -> str:
    first = error.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        return str(cause).replace("\n", " ")
    names = {name: field.alias for name, field in cls.model_fields.items()}
    where = ".".join(str(names.get(str(part), part)) for part in first["loc"]) or cls.__name__
    return f"{where}: {first['msg']}".replace("\n", " ")


# --- parsers ------------------------------------------------------------------------------------

_MAX_DEADLINE: Final = 300.0
# Gladly cuts a lookup off at 15 s (reference/gladly.md §1): a longer budget could not be used.
_MAX_LOOKUP_DEADLINE: Final = 15.0
# Below this no action can reach Ordergroove and back: every call would time out.
_MIN_DEADLINE: Final = 0.5
# The shared budget's slots need room for a few requests per second (`ratelimit.slots_for`).
MIN_GLADLY_REQUESTS_PER_SECOND: Final = 4
_HOUR: Final = 3600.0
_WEEK: Final = 7 * 86400.0
# The one STORE_URL path that asks for a store in memory (tests): SQLite's own name for it.
SQLITE_MEMORY: Final = ":memory:"
_FLAGS: Final = {"": False, "0": False, "false": False, "1": True, "true": True}
# A new entry starts at a comma followed by `<code>=`, so that words may hold commas.
_REASON_ENTRY_START: Final = re.compile(rf",(?=\s*{ID_PATTERN}\s*=)")


def csv_values(value: str) -> tuple[str, ...]:
    """A comma-separated list: each value stripped, empty ones dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def cancel_reason_names(value: str, name: str = "CANCEL_REASON_NAMES") -> dict[str, str]:
    """`12=Too much product,TOO_EXPENSIVE=Too expensive` -> {"12": "Too much product",
    "TOO_EXPENSIVE": "Too expensive"}: codes as Ordergroove lists them, digits without
    leading zeros."""
    names: dict[str, str] = {}
    for entry in _REASON_ENTRY_START.split(value.strip()) if value.strip() else ():
        code, sep, words = entry.partition("=")
        code, words = code.strip(), words.strip()
        if code.isascii() and code.isdigit():
            code = code.lstrip("0") or "0"
        if not sep or not is_id(code) or not words or code in names:
            raise ConfigError(
                f"{name}: expected code=words,code=words with distinct codes, got {entry.strip()!r}"
            )
        names[code] = words
    return names


def _reason_names(name: str, value: str) -> dict[str, str]:
    return cancel_reason_names(value, name)


def _text(name: str, value: str) -> str:
    return value


def _target(name: str, value: str) -> str:
    """A gRPC target (`host:port`, `dns:///host:port`, ...): set empty it names nothing, and the
    gateway would answer lookups with notices blaming Ordergroove."""
    if not value or any(char.isspace() for char in value):
        raise ConfigError(f"{name}: expected a gRPC target like host:port, got {value!r}")
    return value


def _timezone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name}: expected an IANA zone name like America/Chicago, got {value!r}"
        ) from None
    return value


def _choice(*choices: str) -> Parser:
    def parse(name: str, value: str) -> str:
        if value not in choices:
            raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    return parse


def _actions(name: str, value: str) -> frozenset[str]:
    actions = frozenset(part.lower() for part in csv_values(value))
    unknown = sorted(actions - set(KNOWN_ACTIONS))
    if unknown:
        raise ConfigError(
            f"{name}: unknown action {', '.join(unknown)!s} (known: {', '.join(KNOWN_ACTIONS)})"
        )
    return actions


def _seconds(maximum: float, *, minimum: float = 0.0) -> Parser:
    def parse(name: str, value: str) -> float:
        try:
            seconds = float(value)
        except ValueError:
            raise ConfigError(f"{name}: expected a number of seconds, got {value!r}") from None
        high_enough = seconds >= minimum if minimum else seconds > 0
        if not high_enough or not seconds <= maximum:
            least = f"at least {minimum:g}" if minimum else "more than 0"
            raise ConfigError(f"{name}: must be {least} and at most {maximum:g}, got {value}")
        return seconds

    return parse


def _digits(value: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts "²" and other digits `int` refuses."""
    return value.isascii() and value.isdigit()


def _count(name: str, value: str) -> int:
    if not _digits(value) or not 1 <= int(value) <= 10_000:
        raise ConfigError(f"{name}: expected a whole number from 1 to 10000, got {value!r}")
    return int(value)


def _positive_count(name: str, value: str) -> int:
    if not _digits(value) or int(value) < 1:
        raise ConfigError(f"{name}: expected a positive whole number, got {value!r}")
    return int(value)


def _gladly_limit(name: str, value: str) -> int:
    limit = _count(name, value)
    if limit < MIN_GLADLY_REQUESTS_PER_SECOND:
        raise ConfigError(f"{name}: must be at least {MIN_GLADLY_REQUESTS_PER_SECOND}, got {value}")
    return limit


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


def _keys(name: str, value: str) -> tuple[str, ...]:
    return csv_values(value)


def _tokens(name: str, value: str) -> tuple[str, ...]:
    """Unset means no authentication (a developer's machine); a value, even an empty one (a
    Secret's empty key), must name tokens."""
    tokens = csv_values(value)
    if not tokens:
        raise ConfigError(f"{name}: names no token (unset it to serve without authentication)")
    for token in tokens:
        _optional_secret(name, token)
    return tokens


def _store_url(name: str, value: str) -> str:
    value = value or "sqlite:///var/actions.db"
    scheme, _, rest = value.partition("://")
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg") or not rest:
        raise ConfigError(
            f"{name}: expected sqlite:///path/to/file.db or postgresql://..., got {value!r}"
        )
    if scheme == "sqlite" and not rest.startswith("/"):
        # `sqlite://relative.db` names a host, not a file: the path needs a third slash.
        raise ConfigError(f"{name}: expected sqlite:///path/to/file.db, got {value!r}")
    if scheme == "sqlite" and not rest[1:].partition("?")[0]:
        # SQLite takes a missing path for a database in memory: every record and every
        # undelivered timeline entry would be lost at the next stop. Memory is asked for by name.
        raise ConfigError(
            f"{name}: names no file (expected sqlite:///path/to/file.db; a store in memory, "
            f"lost at every stop, is sqlite:///{SQLITE_MEMORY}), got {value!r}"
        )
    return value


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _optional_url(name: str, value: str) -> str:
    return _url(name, value) if value else ""


def _address(name: str, value: str) -> Address:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not _digits(port) or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}: expected host:port, got {value!r}")
    return Address(host.strip("[]"), int(port))


def _optional_address(name: str, value: str) -> Address | None:
    return _address(name, value) if value else None


def _replaced_by(successor: str, why: str) -> Parser:
    def parse(name: str, value: str) -> None:
        raise ConfigError(f"{name}: replaced by {successor}, {why}; remove it")

    return parse


TRACE_PLACEHOLDER: Final = "{trace_id}"


def _trace_url(name: str, value: str) -> str:
    if value and (
        TRACE_PLACEHOLDER not in value or urlsplit(value).scheme not in ("http", "https")
    ):
        raise ConfigError(
            f"{name}: expected an http(s) URL containing {TRACE_PLACEHOLDER}, got {value!r}"
        )
    return value


# --- groups shared by several programs ----------------------------------------------------------


class OrdergrooveKeySettings(Declared):
    """Ordergroove's key"""

    ordergroove_api_key: Annotated[str, Parse(_secret)] = setting(
        "ORDERGROOVE_API_KEY",
        "sandbox-api-key",
        "Ordergroove Application API key (`x-api-key`)",
        secret=True,
    )


class OrdergrooveSettings(OrdergrooveKeySettings):
    """Ordergroove's API"""

    ordergroove_base_url: Annotated[str, Parse(_url)] = setting(
        "ORDERGROOVE_BASE_URL", "http://127.0.0.1:8181", "Ordergroove REST API"
    )
    ordergroove_timezone: Annotated[str, Parse(_timezone)] = setting(
        "ORDERGROOVE_TIMEZONE",
        DEFAULT_ORDERGROOVE_TIMEZONE,
        "the IANA zone Ordergroove's zoneless timestamps are read in (the only Ordergroove page "
        "naming a zone says CST); dates on the card and in timeline entries are the merchant's "
        "calendar dates in it",
    )


class GladlyCredentials(Declared):
    """Gladly's API credentials"""

    gladly_api_user: Annotated[str, Parse(_optional_secret)] = setting(
        "GLADLY_API_USER",
        "",
        "Gladly API user (Basic auth, with `GLADLY_API_TOKEN`); `actions-service` refuses to start "
        "without both unless `GLADLY_API_DISABLED=true` (one without the other is always refused)",
        secret=True,
    )
    gladly_api_token: Annotated[str, Parse(_optional_secret)] = setting(
        "GLADLY_API_TOKEN",
        "",
        "Gladly API token (Basic auth, with `GLADLY_API_USER`)",
        secret=True,
    )
    # The id Gladly gave our lookup integration: the key of a profile's `externalCustomerIds`.
    gladly_lookup_app_id: Annotated[str, Parse(_text)] = setting(
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

    gladly_base_url: Annotated[str, Parse(_url)] = setting(
        "GLADLY_BASE_URL",
        "http://127.0.0.1:8282",
        "Gladly REST API (timeline entries, conversations, customer links)",
    )
    # Gladly's rate limit per method for the whole organisation; every replica draws on one
    # budget held in the store, so this is never divided among them.
    gladly_requests_per_second: Annotated[int, Parse(_gladly_limit)] = setting(
        "GLADLY_REQUESTS_PER_SECOND",
        10,
        "Gladly's rate limit per method for the whole organisation, shared by every replica "
        "through the store (not divided among them; at least 4). Replaces "
        "`GLADLY_POSTS_PER_SECOND`, which now stops the program",
    )
    # Unset credentials used to switch the conversation check and the timeline off silently:
    # going without Gladly's API is now asked for by name.
    gladly_api_disabled: Annotated[bool, Parse(_flag)] = setting(
        "GLADLY_API_DISABLED",
        False,
        "`true` runs actions without Gladly's API: no open-conversation check and no timeline "
        "entries, with a warning at every start (only without `GLADLY_API_USER` and "
        "`GLADLY_API_TOKEN`)",
    )
    # It was divided by hand among the replicas; the shared budget must not be.
    gladly_posts_per_second: Annotated[
        None,
        Parse(
            _replaced_by(
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

    traces_exporter: Annotated[str, Parse(_choice(*TRACES_EXPORTERS, ""))] = setting(
        "OTEL_TRACES_EXPORTER",
        "",
        "where spans go: `otlp`, `console` or `none` (unlike OpenTelemetry's own default, "
        "nothing is sent until an endpoint is named)",
        shown="`otlp` if an OTLP endpoint is set, else `none`",
    )
    otlp_endpoint: Annotated[str, Parse(_optional_url)] = setting(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "",
        "the OpenTelemetry Collector (e.g. `http://localhost:4318`)",
    )
    otlp_traces_endpoint: Annotated[str, Parse(_optional_url)] = setting(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "",
        "the Collector's traces URL, over `OTEL_EXPORTER_OTLP_ENDPOINT` (used as it is)",
    )
    otlp_protocol: Annotated[str, Parse(_choice(*OTLP_PROTOCOLS))] = setting(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "`http/protobuf` or `grpc`"
    )
    otlp_traces_protocol: Annotated[str, Parse(_choice(*OTLP_PROTOCOLS, ""))] = setting(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "", "the traces' own protocol, over the one above"
    )
    log_format: Annotated[str, Parse(_choice(*LOG_FORMATS))] = setting(
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

    deadline_seconds: Annotated[float, Parse(_seconds(_MAX_DEADLINE, minimum=_MIN_DEADLINE))] = (
        setting(
            "ACTIONS_DEADLINE_SECONDS",
            15.0,
            "end-to-end deadline of one action (0.5 to 300); a stopping service gives actions in "
            "flight this long and 3 s more",
        )
    )


class SigningKeySettings(Declared):
    """Gladly's signing keys"""

    gladly_signing_keys: Annotated[tuple[str, ...], Parse(_keys)] = setting(
        "GLADLY_SIGNING_KEYS",
        (),
        "comma-separated keys the gateway accepts for Gladly's signatures (rotation); "
        "`gladly-sandbox` signs with the first",
        secret=True,
        shown="— (required by the gateway)",
    )


class GatewayAddressSettings(Declared):
    """The gateway's address"""

    gateway_listen: Annotated[Address, Parse(_address)] = setting(
        "GATEWAY_LISTEN",
        Address("127.0.0.1", 8080),
        "where `actions-gateway` listens (and where `gladly-sandbox` sends its requests unless "
        "`GATEWAY_URL` is set)",
    )


# --- the programs -------------------------------------------------------------------------------


class ServiceSettings(OrdergrooveSettings, GladlyApiSettings, TelemetrySettings, DeadlineSettings):
    """actions-service"""

    actions_enabled: Annotated[frozenset[str], Parse(_actions)] = setting(
        "ACTIONS_ENABLED",
        frozenset(KNOWN_ACTIONS),
        "actions switched on; empty switches all off",
        shown=f"`{','.join(KNOWN_ACTIONS)}`",
    )
    cancel_reason_names: Annotated[Mapping[str, str], Parse(_reason_names)] = setting(
        "CANCEL_REASON_NAMES",
        cancel_reason_names(DEFAULT_CANCEL_REASON_NAMES),
        "the words agents read for the merchant's cancel reason codes (Ordergroove lists "
        "codes only: digits, or names such as `TOO_EXPENSIVE`), as `code=words` separated by "
        "commas (words may hold commas); a code "
        'Ordergroove lists but nobody named reads "Reason <code>". The cancel form offers '
        "exactly the codes Ordergroove lists",
        shown=f"`{DEFAULT_CANCEL_REASON_NAMES}`",
    )
    cancel_reason_required: Annotated[bool, Parse(_flag)] = setting(
        "CANCEL_REASON_REQUIRED",
        False,
        "`true` makes a cancel name a reason; by default it is optional, as in Gladly's own "
        "integration",
    )
    max_quantity: Annotated[int, Parse(_count)] = setting(
        "MAX_QUANTITY", 12, "the most a Change Quantity may set (the merchant's maximum)"
    )
    # A date years ahead is a typo, and Ordergroove then fails every later skip of it.
    max_days_ahead: Annotated[int, Parse(_count)] = setting(
        "MAX_DAYS_AHEAD",
        DEFAULT_MAX_DAYS_AHEAD,
        "the furthest a Change Next Order Date or a Reactivate's first order may be set, in days "
        "after the merchant's today; a later date is refused, naming the last one allowed (the "
        "forms' hints give the default, two years)",
    )
    grpc_listen: Annotated[Address, Parse(_address)] = setting(
        "ACTIONS_GRPC_LISTEN", Address("127.0.0.1", 50051), "where `actions-service` listens"
    )
    api_tokens: Annotated[tuple[str, ...], Parse(_tokens)] = setting(
        "ACTIONS_API_TOKENS",
        (),
        "bearer tokens the service accepts; when set, calls without one are refused (health "
        'excepted); set to a value that names no token (`""`, `" , "`) it stops the program',
        secret=True,
    )
    grpc_reuse_port: Annotated[bool, Parse(_flag)] = setting(
        "ACTIONS_GRPC_REUSE_PORT",
        False,
        "`true` lets several `actions-service` processes share `ACTIONS_GRPC_LISTEN` "
        "(`SO_REUSEPORT`); otherwise a taken port stops the program",
    )
    store_url: Annotated[str, Parse(_store_url)] = setting(  # empty: the default
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
    store_wait_seconds: Annotated[float, Parse(_seconds(_HOUR))] = setting(
        "STORE_WAIT_SECONDS",
        60.0,
        "how long a starting service waits for its store to answer (its health says NOT_SERVING "
        "meanwhile) before it stops with status 2",
    )
    outbox_give_up_seconds: Annotated[float, Parse(_seconds(_WEEK))] = setting(
        "OUTBOX_GIVE_UP_SECONDS",
        86400.0,
        "how long a timeline entry is retried before it is given up (and kept, as failed)",
    )
    outbox_backoff_seconds: Annotated[float, Parse(_seconds(_HOUR))] = setting(
        "OUTBOX_BACKOFF_SECONDS",
        1.0,
        "full-jitter backoff between delivery attempts: base (at most the cap)",
    )
    outbox_backoff_max_seconds: Annotated[float, Parse(_seconds(_HOUR))] = setting(
        "OUTBOX_BACKOFF_MAX_SECONDS", 300.0, "full-jitter backoff between delivery attempts: cap"
    )
    outbox_poll_seconds: Annotated[float, Parse(_seconds(_HOUR))] = setting(
        "OUTBOX_POLL_SECONDS",
        2.0,
        "how often the deliverer looks for due entries (it also wakes when an action completes)",
    )
    settle_after_seconds: Annotated[float, Parse(_seconds(_HOUR))] = setting(
        "SETTLE_AFTER_SECONDS",
        300.0,
        "an open action that no attempt has touched for this long is settled in the background: "
        "completed if Ordergroove shows it applied, closed as not applied (never sent) if it "
        "shows it was not, or as unconfirmed if the subscription changed since (at least "
        "`ACTIONS_DEADLINE_SECONDS`, at most 3600)",
    )
    metrics_listen: Annotated[Address | None, Parse(_optional_address)] = setting(
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
        # A client retrying after a deadline must find its action still open, not settled.
        if self.settle_after_seconds < self.deadline_seconds:
            raise ConfigError(
                "SETTLE_AFTER_SECONDS: must be at least ACTIONS_DEADLINE_SECONDS "
                f"({self.deadline_seconds:g}), got {self.settle_after_seconds:g}"
            )
        return self


class GatewaySettings(
    TelemetrySettings, DeadlineSettings, SigningKeySettings, GatewayAddressSettings
):
    """actions-gateway"""

    # A lookup's own budget: Gladly wants an answer within 5 s (reference/gladly.md §1).
    lookup_deadline_seconds: Annotated[float, Parse(_seconds(_MAX_LOOKUP_DEADLINE))] = setting(
        "LOOKUP_DEADLINE_SECONDS",
        4.0,
        "the gateway's budget for one lookup (Gladly wants an answer within 5 s; at most 15); "
        "when Ordergroove is slower, a DETAILED lookup answers the linked customer with a notice "
        "instead of the card",
    )
    grpc_target: Annotated[str, Parse(_target)] = setting(
        "ACTIONS_GRPC_TARGET",
        "127.0.0.1:50051",
        "where the gateway finds the service (set empty, it stops the program)",
    )
    api_token: Annotated[str, Parse(_optional_secret)] = setting(
        "ACTIONS_API_TOKEN", "", "the token the gateway presents (printable ASCII)", secret=True
    )
    # How the gateway spreads calls over the service's addresses: `round_robin` with a
    # `dns:///` target balances over every replica a headless Service resolves to.
    grpc_lb_policy: Annotated[str, Parse(_choice(*GRPC_LB_POLICIES))] = setting(
        "ACTIONS_GRPC_LB_POLICY",
        "pick_first",
        "`round_robin` makes the gateway spread its calls over every address of "
        "`ACTIONS_GRPC_TARGET` (with `dns:///host:port` and a headless Service: every replica)",
    )
    # Another gateway on the same port would silently take half the connections (with another
    # signing key, half of Gladly's requests would be refused).
    reuse_port: Annotated[bool, Parse(_flag)] = setting(
        "GATEWAY_REUSE_PORT",
        False,
        "`true` lets several `actions-gateway` processes share `GATEWAY_LISTEN` (`SO_REUSEPORT`, "
        "one per core); otherwise a taken port stops the program",
    )
    # A slower client is disconnected: it would hold a connection for ever.
    request_read_seconds: Annotated[float, Parse(_seconds(_MAX_DEADLINE))] = setting(
        "GATEWAY_REQUEST_READ_SECONDS",
        10.0,
        "how long the gateway waits for a whole request (headers and body); a slower client is "
        "disconnected",
    )


class OrdergrooveSandboxSettings(OrdergrooveKeySettings):
    """ordergroove-sandbox"""

    ordergroove_sandbox_listen: Annotated[Address, Parse(_address)] = setting(
        "ORDERGROOVE_SANDBOX_LISTEN",
        Address("127.0.0.1", 8181),
        "where `ordergroove-sandbox` listens",
    )
    public_url: Annotated[str, Parse(_optional_url)] = setting(
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

    gladly_sandbox_listen: Annotated[Address, Parse(_address)] = setting(
        "GLADLY_SANDBOX_LISTEN", Address("127.0.0.1", 8282), "where `gladly-sandbox` listens"
    )
    # Gladly's own limit is 10 (reference/gladly.md); benchmarks need it out of the way.
    rate_limit: Annotated[int, Parse(_positive_count)] = setting(
        "GLADLY_SANDBOX_RATE_LIMIT",
        10,
        "requests per second per method the Gladly sandbox allows, as Gladly does (benchmarks "
        "raise it)",
    )
    gateway_url: Annotated[str, Parse(_optional_url)] = setting(
        "GATEWAY_URL",
        "",
        "where the agent console and `gladly-sandbox`'s commands send Gladly's requests",
        shown="`http://` + `GATEWAY_LISTEN`",
    )
    trace_url: Annotated[str, Parse(_trace_url)] = setting(
        "GLADLY_SANDBOX_TRACE_URL",
        "",
        "the agent console links each answer's trace id to this URL, where `{trace_id}` stands "
        "for the id (e.g. a Jaeger page)",
    )

    @property
    def gateway(self) -> str:
        """Where the gateway is: GATEWAY_URL, else the gateway's own GATEWAY_LISTEN."""
        return self.gateway_url or f"http://{self.gateway_listen}"


PROGRAMS: Final[tuple[type[Declared], ...]] = (
    ServiceSettings,
    GatewaySettings,
    OrdergrooveSandboxSettings,
    GladlySandboxSettings,
)


def default_of(settings: type[Declared], name: str) -> Any:
    """A field's declared default (what an unset variable means)."""
    return settings.model_fields[name].default
