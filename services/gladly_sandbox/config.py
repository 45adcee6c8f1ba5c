"""The sandbox server's settings: the contract's variables, with the sandbox's own defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.config import ConfigError, Settings
from services.gladly_sandbox.app import DEFAULT_API_TOKEN, DEFAULT_API_USER, GLADLY_RATE_LIMIT
from services.gladly_sandbox.state import DEFAULT_LOOKUP_APP_ID

__all__ = ["ConfigError", "ServeConfig", "load_serve_config"]


@dataclass(frozen=True)
class ServeConfig:
    host: str
    port: int
    api_user: str
    api_token: str
    rate_limit: int
    lookup_app_id: str


def load_serve_config(environ: Mapping[str, str]) -> ServeConfig:
    """Unset Gladly credentials mean the sandbox's defaults (the service's mean "no Gladly")."""
    settings = Settings.from_env(environ)
    return ServeConfig(
        host=settings.gladly_sandbox_listen.host,
        port=settings.gladly_sandbox_listen.port,
        api_user=settings.gladly_api_user or DEFAULT_API_USER,
        api_token=settings.gladly_api_token or DEFAULT_API_TOKEN,
        lookup_app_id=settings.gladly_lookup_app_id or DEFAULT_LOOKUP_APP_ID,
        rate_limit=_rate_limit(environ.get("GLADLY_SANDBOX_RATE_LIMIT", str(GLADLY_RATE_LIMIT))),
    )


def _rate_limit(value: str) -> int:
    """Requests per second per method; Gladly's own is 10, benchmarks need it out of the way."""
    if not value.strip().isascii() or not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(
            f"GLADLY_SANDBOX_RATE_LIMIT: expected a positive whole number, got {value!r}"
        )
    return int(value)
