"""Every setting of every program, each declared once: its variable, type, default, limits and
meaning. `services.settings_doc` writes README's configuration tables from these declarations.

A group of settings is a class; a program's settings compose the groups it reads, and a program
reads only its own: the shared groups are in `shared`, each program's own in `service`,
`gateway` and `sandboxes`. Each program reads `<Its>Settings.from_env()` at start and exits with
the `ConfigError` message (one line naming the variable) when a value is wrong, so a bad
deployment fails at once instead of at first use.
"""

from __future__ import annotations

from typing import Any, Final

from common.config.declared import ConfigError, Declared, Retired, replaced
from common.config.gateway import GatewaySettings
from common.config.sandboxes import GladlySandboxSettings, OrdergrooveSandboxSettings
from common.config.service import (
    KNOWN_ACTIONS,
    ServiceSettings,
)
from common.config.shared import (
    DEFAULT_ORDERGROOVE_TIMEZONE,
    TelemetrySettings,
)
from common.config.values import TRACE_PLACEHOLDER, Address, csv_values

PROGRAMS: Final[tuple[type[Declared], ...]] = (
    ServiceSettings,
    GatewaySettings,
    OrdergrooveSandboxSettings,
    GladlySandboxSettings,
)


def default_of(settings: type[Declared], name: str) -> Any:
    """A field's declared default (what an unset variable means)."""
    return settings.model_fields[name].default


__all__ = [
    "DEFAULT_ORDERGROOVE_TIMEZONE",
    "KNOWN_ACTIONS",
    "PROGRAMS",
    "TRACE_PLACEHOLDER",
    "Address",
    "ConfigError",
    "Declared",
    "GatewaySettings",
    "GladlySandboxSettings",
    "OrdergrooveSandboxSettings",
    "Retired",
    "ServiceSettings",
    "TelemetrySettings",
    "csv_values",
    "default_of",
    "replaced",
]
