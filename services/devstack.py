"""`make run`: the whole local stack, one process per program, stopped together by Ctrl-C.

Every program gets the contract's defaults for local use (sandbox keys and credentials) unless
the environment already sets them, so the stack works on a fresh machine without configuration.
Traces are exported only when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
names a collector, or OTEL_TRACES_EXPORTER asks for it (`otlp` to the default endpoint, `console`
on the terminal). Metrics are always scrapeable from the gateway, and from the service too while
METRICS_LISTEN names an address (it does by default here).

The terminal gets lines for a person: the service and the gateway write one short line per
request and per action (`LOG_FORMAT=text`, in colour on a terminal). The sandboxes' own request
lines (uvicorn's access log, on their stdout) are left out, so that one click is two lines, not a
dozen: the traces and the sandboxes' journals hold every upstream request. What the sandboxes
write on stderr (start, errors) still shows.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from common.config import (
    Address,
    ConfigError,
    GatewaySettings,
    GladlySandboxSettings,
    OrdergrooveSandboxSettings,
    ServiceSettings,
    default_of,
)
from services.ordergroove_sandbox.demo import DEMO_MERCHANT_ID

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 20.0

LOCAL_DEFAULTS: Mapping[str, str] = {
    "ORDERGROOVE_API_KEY": "sandbox-api-key",
    "GLADLY_SIGNING_KEYS": "sandbox-signing-key",
    "GLADLY_API_USER": "sandbox@example.com",
    "GLADLY_API_TOKEN": "sandbox-token",
    "GLADLY_LOOKUP_APP_ID": "sandbox-lookup-app",  # the Gladly sandbox's lookup integration
    "METRICS_LISTEN": "127.0.0.1:9464",  # the Prometheus exporter's customary port
    "LOG_FORMAT": "text",  # a line per request and per action, for the person at the terminal
    # The demo merchant gives goodwill discounts, up to these caps.
    "DISCOUNTS_ENABLED": "true",
    "ORDERGROOVE_MERCHANT_ID": DEMO_MERCHANT_ID,
    "DISCOUNT_MAX_AMOUNT": "25",
    "DISCOUNT_MAX_PERCENT": "20",
}


class StackSettings(
    ServiceSettings, GatewaySettings, OrdergrooveSandboxSettings, GladlySandboxSettings
):
    """Every program's settings, each checked before any program starts."""


@dataclass(frozen=True)
class Program:
    name: str
    ready_url: str  # answers 200 once the program serves
    ready_address: Address | None = None  # else: accepts connections once it serves
    request_lines: bool = True  # False: its stdout (a sandbox's access log) is dropped


def local_environment() -> dict[str, str]:
    env = {**LOCAL_DEFAULTS, **os.environ}
    settings = StackSettings.from_env(env)
    env.setdefault("ORDERGROOVE_BASE_URL", f"http://{settings.ordergroove_sandbox_listen}")
    env.setdefault("GLADLY_BASE_URL", f"http://{settings.gladly_sandbox_listen}")
    env.setdefault("ACTIONS_GRPC_TARGET", str(settings.grpc_listen))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def programs(settings: StackSettings) -> list[Program]:
    return [
        Program(
            "ordergroove-sandbox",
            f"http://{settings.ordergroove_sandbox_listen}/_sandbox/healthz",
            request_lines=False,
        ),
        Program(
            "gladly-sandbox",
            f"http://{settings.gladly_sandbox_listen}/_sandbox/healthz",
            request_lines=False,
        ),
        # Waited for, so that the gateway's readiness is not polled (and logged) while the
        # service migrates its store.
        Program("actions-service", "", ready_address=settings.grpc_listen),
        Program("actions-gateway", f"http://{settings.gateway_listen}/readyz"),
    ]


def wait_until_ready(program: Program, process: subprocess.Popen[bytes]) -> None:
    if not program.ready_url and program.ready_address is None:
        return
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{program.name} exited with {process.returncode}")
        if _serves(program):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{program.name} did not become ready within {STARTUP_SECONDS:.0f} s")


def _serves(program: Program) -> bool:
    if program.ready_url:
        try:
            return httpx.get(program.ready_url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False
    assert program.ready_address is not None
    try:
        socket.create_connection(
            (program.ready_address.host, program.ready_address.port), timeout=1
        ).close()
    except OSError:
        return False
    return True


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM in reverse start order (the gateway first), so that in-flight work finishes."""
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def banner(settings: StackSettings) -> str:
    return f"""
Agent console         http://{settings.gladly_sandbox_listen}/   (open it in a browser)

Local stack is up:
  Ordergroove sandbox   http://{settings.ordergroove_sandbox_listen}
  Gladly sandbox        http://{settings.gladly_sandbox_listen}
  Actions gRPC service  {settings.grpc_listen}
  REST gateway          http://{settings.gateway_listen}
  Metrics (Prometheus)  {_metrics(settings)}
  Traces                {_traces(settings)}

First thing to try, in another terminal (acts as Gladly, signs its requests):
  {_cli(settings)} card          # the demo customer's Subscriptions card
  {_cli(settings)} lookup --email demo@example.com

Ctrl-C stops everything.
"""


def _cli(settings: StackSettings) -> str:
    """The CLI finds the gateway by GATEWAY_LISTEN: on another port, the other terminal needs
    it too."""
    if settings.gateway_listen == default_of(GatewaySettings, "gateway_listen"):
        return ".venv/bin/gladly-sandbox"
    return f"GATEWAY_LISTEN={settings.gateway_listen} .venv/bin/gladly-sandbox"


def _metrics(settings: StackSettings) -> str:
    """The gateway always serves /metrics; the service only when it has an address for them."""
    urls = [f"http://{settings.gateway_listen}/metrics"]
    if settings.metrics_listen is not None:
        urls.append(f"http://{settings.metrics_listen}/metrics")
    return "  ".join(urls)


def _traces(settings: StackSettings) -> str:
    if settings.traces_exporter == "none":
        return "off (set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector)"
    if settings.traces_exporter == "console":
        return "printed on this terminal"
    # The same precedence as the exporter's: the traces endpoint over the generic one.
    endpoint = settings.otlp_traces_endpoint or settings.otlp_endpoint or "the default endpoint"
    return f"OTLP ({settings.otlp_protocol}) to {endpoint}"


def main() -> None:
    try:
        env = local_environment()
        settings = StackSettings.from_env(env)
    except ConfigError as error:
        print(f"make run: {error}", file=sys.stderr)
        sys.exit(2)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    processes: list[subprocess.Popen[bytes]] = []
    status = 0
    try:
        for program in programs(settings):
            process = subprocess.Popen(  # noqa: S603
                [str(BIN / program.name)],
                env=env,
                stdout=None if program.request_lines else subprocess.DEVNULL,
            )
            processes.append(process)
            wait_until_ready(program, process)
        print(banner(settings), flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("make run: a program stopped; stopping the others", file=sys.stderr)
        status = 1
    except RuntimeError as error:
        print(f"make run: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        stop_all(processes)
    sys.exit(status)


if __name__ == "__main__":
    main()
