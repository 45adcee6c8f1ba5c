"""How a setting is declared and read: a group of settings is a class of fields, each naming its
variable, default, meaning and parser; `from_env` reads the declared variables that are set and
turns the first wrong value into a `ConfigError` of one line naming the variable."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Self, TypeVar

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


class Retired:
    """A variable that is no longer read: setting it stops the program (the parser says why)."""


def parsed(parse: Callable[[str], Any]) -> BeforeValidator:
    """A field's parser, from the variable's text (stripped) to its value; it raises ConfigError
    with the reason, and the variable's name is put before it. Text given in code is parsed the
    same way; other values given in code are only type-checked."""
    return BeforeValidator(lambda value: parse(value.strip()) if isinstance(value, str) else value)


def setting(
    variable: str, default: Any, meaning: str, *, secret: bool = False, shown: str = ""
) -> Any:
    """The declaration of one variable (its parser is the field's `parsed` annotation); `shown`
    is the default as README shows it, where the value itself would not say it."""
    return Field(
        default,
        alias=variable,
        description=meaning,
        repr=not secret,
        json_schema_extra={"shown": shown} if shown else None,
    )


class Declared(BaseSettings):
    """A group of settings; the program classes compose groups."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        case_sensitive=True,
        # Lists and addresses are written as text (`a,b`, `host:port`), never as JSON: each
        # field's parser reads them.
        enable_decoding=False,
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
        # Settings built in code (`ServiceSettings(...)`, in tests) read no environment: their
        # values are the declared defaults and the ones given. `from_env` reads it.
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The settings from `env` (default: the process's environment), or a ConfigError of
        one line naming the variable."""
        source = EnvSettingsSource(cls)
        source.env_vars = os.environ if env is None else env
        try:
            return cls.model_validate(source())
        except ValidationError as error:
            raise ConfigError(_one_line(cls, error)) from None


S = TypeVar("S", bound=Declared)


def replaced(settings: S, **changes: Any) -> S:
    """A copy with `changes` (by field name, typed values), as `dataclasses.replace` made one:
    not checked again, so that a test may set a value the rules would refuse at start (a
    settling delay shorter than the deadline, to see the settler at work)."""
    return settings.model_copy(update=changes)


def _one_line(cls: type[Declared], error: ValidationError) -> str:
    """A parser's or a rule's reason after the variable it concerns (a rule across variables
    names them itself), or pydantic's own message for a value given in code."""
    first = error.errors()[0]
    aliases = {name: field.alias for name, field in cls.model_fields.items()}
    where = ".".join(str(aliases.get(str(part), part)) for part in first["loc"])
    cause = first.get("ctx", {}).get("error")
    reason = str(cause) if isinstance(cause, ConfigError) else first["msg"]
    line = f"{where}: {reason}" if where else reason
    return line.replace("\n", " ")
