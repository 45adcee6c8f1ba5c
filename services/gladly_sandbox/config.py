"""The Gladly sandbox's settings (`GladlySandboxSettings`), with the sandbox's own defaults."""

from __future__ import annotations

from dataclasses import dataclass

from common.config import ConfigError, GladlySandboxSettings
from services.gladly_sandbox.app import DEFAULT_API_TOKEN, DEFAULT_API_USER
from services.gladly_sandbox.state import DEFAULT_LOOKUP_APP_ID

__all__ = ["ConfigError", "ServeConfig", "serve_config"]


@dataclass(frozen=True)
class ServeConfig:
    api_user: str
    api_token: str
    lookup_app_id: str


def serve_config(settings: GladlySandboxSettings) -> ServeConfig:
    """Unset Gladly credentials mean the sandbox's defaults (the service's mean "no Gladly")."""
    return ServeConfig(
        api_user=settings.gladly_api_user or DEFAULT_API_USER,
        api_token=settings.gladly_api_token or DEFAULT_API_TOKEN,
        lookup_app_id=settings.gladly_lookup_app_id or DEFAULT_LOOKUP_APP_ID,
    )
