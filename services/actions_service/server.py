"""The `actions-service` program: serves the Actions gRPC service (`lifecycle`), or with
`actions-service audit` shows the audit log; a bad setting stops it with one line and status 2."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from common.config import ConfigError, ServiceSettings
from common.runtime import listening_socket
from common.telemetry.logs import configure_logging
from common.telemetry.setup import configure
from services.actions_service import audit_command
from services.actions_service.lifecycle import serve
from services.actions_service.store import StoreUnavailable
from services.actions_service.store.db import why_unavailable


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="actions-service", description="The Actions gRPC service (serves when no command)."
    )
    commands = parser.add_subparsers(dest="command")
    audit = commands.add_parser(
        "audit", help="recent audit rows and undelivered timeline entries (reads STORE_URL)"
    )
    audit.add_argument("--json", action="store_true", help="JSON instead of tables")
    audit.add_argument("--limit", type=int, default=20, help="at most this many rows (20)")
    audit.add_argument(
        "--failed", action="store_true", help="only failed attempts and given-up entries"
    )
    return parser.parse_args(argv)


def _check_addresses(settings: ServiceSettings) -> None:
    """Bind each address once before anything starts, so that a taken port or an address that
    is not this machine's is told in one line (gRPC's own failure comes with its C-core log)."""
    listening_socket(
        "ACTIONS_GRPC_LISTEN", settings.grpc_listen, share_port=settings.grpc_reuse_port
    ).close()
    if settings.metrics_listen is not None:
        listening_socket("METRICS_LISTEN", settings.metrics_listen).close()


def main(argv: Sequence[str] | None = None) -> None:
    arguments = _arguments(argv)
    try:
        settings = ServiceSettings.from_env()
        # The audit command prints its table and nothing else: warnings and errors only (the
        # store's migration would log each step).
        level = logging.WARNING if arguments.command == "audit" else logging.INFO
        configure_logging(settings.log_format, "actions-service", level)
        if arguments.command == "audit":
            asyncio.run(
                audit_command.show(
                    settings.store_url,
                    sys.stdout,
                    as_json=arguments.json,
                    limit=arguments.limit,
                    failed_only=arguments.failed,
                )
            )
        else:
            _check_addresses(settings)
            telemetry = configure(settings, "actions-service")
            try:
                asyncio.run(serve(settings))
            finally:
                telemetry.shutdown()  # the spans of the last calls are sent
    except ConfigError as error:
        print(f"actions-service: {error}", file=sys.stderr)
        sys.exit(2)
    except StoreUnavailable as error:  # `audit`: the store did not answer
        print(f"actions-service: STORE_URL: {why_unavailable(error)}", file=sys.stderr)
        sys.exit(1)
