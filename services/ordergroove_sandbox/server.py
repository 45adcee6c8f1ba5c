"""`ordergroove-sandbox`: serve the sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import sys

import uvicorn

from services.config import ConfigError, Settings
from services.ordergroove_sandbox.app import create_app


def main() -> None:
    try:
        settings = Settings.from_env()
        if not settings.ordergroove_api_key:
            raise ConfigError("ORDERGROOVE_API_KEY must not be empty")
    except ConfigError as error:
        print(f"ordergroove-sandbox: {error}", file=sys.stderr)
        sys.exit(2)
    listen = settings.ordergroove_sandbox_listen
    # uvicorn stops gracefully on SIGINT/SIGTERM; the short grace period keeps a hung fault
    # request from holding the shutdown open.
    uvicorn.run(
        create_app(settings.ordergroove_api_key),
        host=listen.host,
        port=listen.port,
        log_level="info",
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
