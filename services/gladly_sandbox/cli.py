"""`gladly-sandbox`: serve the Gladly imitation (more subcommands act as Gladly)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

import uvicorn

from services.gladly_sandbox.app import create_app
from services.gladly_sandbox.config import ConfigError, load_serve_config

EXIT_BAD_CONFIG = 2
# Hung requests (a `hang` fault) must not hold a shutdown up for ever.
GRACEFUL_SHUTDOWN_SECONDS = 5

Command = Callable[[argparse.Namespace], int]


def serve(args: argparse.Namespace) -> int:
    """Serve the sandbox until SIGINT/SIGTERM; uvicorn finishes in-flight requests first."""
    config = load_serve_config(os.environ)
    app = create_app(api_user=config.api_user, api_token=config.api_token)
    print(f"gladly-sandbox listening on http://{config.host}:{config.port}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level="info",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )
    # uvicorn shuts down gracefully, then re-raises SIGINT; after Ctrl-C that is a normal stop.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gladly-sandbox", description="A local imitation of Gladly's REST API."
    )
    parser.set_defaults(command=serve)  # no subcommand means serve
    commands = parser.add_subparsers(title="commands")
    commands.add_parser(
        "serve", help="serve the REST API (GLADLY_SANDBOX_LISTEN, GLADLY_API_USER/TOKEN)"
    ).set_defaults(command=serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Command = args.command
    try:
        return command(args)
    except ConfigError as error:
        print(f"gladly-sandbox: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
