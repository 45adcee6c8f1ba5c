"""`ordergroove-sandbox`: serve the sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import contextlib
import sys

import uvicorn

from common.config import ConfigError, OrdergrooveSandboxSettings
from common.runtime import listening_socket
from services.ordergroove_sandbox.app import create_app


def main() -> None:
    try:
        settings = OrdergrooveSandboxSettings.from_env()  # refuses an empty ORDERGROOVE_API_KEY
        sock = listening_socket("ORDERGROOVE_SANDBOX_LISTEN", settings.ordergroove_sandbox_listen)
    except ConfigError as error:
        print(f"ordergroove-sandbox: {error}", file=sys.stderr)
        sys.exit(2)
    # uvicorn stops gracefully on SIGINT/SIGTERM; the short grace period keeps a hung fault
    # request from holding the shutdown open.
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings.ordergroove_api_key, public_url=settings.public),
            log_level="info",
            timeout_graceful_shutdown=1,
        )
    )
    # uvicorn re-raises SIGINT after its graceful stop; after Ctrl-C that is a normal stop.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


if __name__ == "__main__":
    main()
