"""Lines for a person (`LOG_FORMAT=text`, what `make run` sets): one short line per request and
per action, in colour only on a terminal without NO_COLOR; JSON stays the default. And
`actions-service audit` prints its table and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from common.telemetry.logs import TextFormatter, wants_colour
from gateway.gladly_auth import GladlySignature
from services.actions_service import audit_command
from services.devstack import local_environment
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS, Role
from tests.servers import free_port, wait_until_healthy
from tests.stack import SERVICE_PROGRAM, ServiceProcess, service_environment

GATEWAY_PROGRAM = Path(sys.executable).with_name("actions-gateway")
SIGNING_KEY = "text-logs-key"
ESCAPE = "\033["


def record(message: str, level: int = logging.INFO, **fields: object) -> logging.LogRecord:
    return logging.makeLogRecord(
        {"msg": message, "levelno": level, "levelname": logging.getLevelName(level), **fields}
    )


def gateway_line(status: int) -> logging.LogRecord:
    line = record(f"POST /gladly/lookup {status}", duration_ms=42.5)
    # The gateway's fields, named as the HTTP conventions name them (not identifiers).
    line.__dict__.update({"http.response.status_code": status, "url.path": "/x"})
    return line


# --- the formatter ------------------------------------------------------------------------------


def test_a_request_is_one_short_line_with_its_program_and_duration() -> None:
    line = TextFormatter("actions-gateway", colour=False).format(gateway_line(200))
    assert re.fullmatch(r"\d\d:\d\d:\d\d actions-gateway  POST /gladly/lookup 200  42\.5 ms", line)
    assert "/x" not in line  # the other fields stay in the JSON format


def test_an_action_that_failed_names_its_level() -> None:
    failed = record("SkipNextOrder unavailable", logging.WARNING, duration_ms=3)
    line = TextFormatter("actions-service", colour=False).format(failed)
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d actions-service  WARNING SkipNextOrder unavailable  3 ms", line
    )


def test_colour_marks_failed_answers_and_nothing_is_coloured_without_it() -> None:
    coloured = TextFormatter("actions-gateway", colour=True)
    assert "\033[31mPOST /gladly/lookup 503" in coloured.format(gateway_line(503))
    assert "\033[33mPOST /gladly/lookup 404" in coloured.format(gateway_line(404))
    assert ESCAPE not in TextFormatter("actions-gateway", colour=False).format(gateway_line(503))


def test_an_exception_follows_its_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failed = record("store down", logging.ERROR, exc_info=sys.exc_info())
    first, *rest = TextFormatter("actions-service", colour=False).format(failed).splitlines()
    assert first.endswith("actions-service  ERROR store down")
    assert rest[-1] == "RuntimeError: boom"


@contextlib.contextmanager
def terminal() -> Iterator[io.TextIOWrapper]:
    leader, follower = os.openpty()
    try:
        with open(follower, "w") as stream:
            yield stream
    finally:
        os.close(leader)


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not wants_colour(io.StringIO())
    with terminal() as tty:
        assert wants_colour(tty)
        monkeypatch.setenv("NO_COLOR", "1")
        assert not wants_colour(tty)


def test_make_run_asks_for_text_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert local_environment()["LOG_FORMAT"] == "text"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert local_environment()["LOG_FORMAT"] == "json"


# --- the real programs --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def gateway_process(grpc_target: str, log: Path) -> AsyncIterator[str]:
    """`actions-gateway` with text logs into `log`; yields its URL."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GLADLY_SIGNING_KEYS": SIGNING_KEY,
        "ACTIONS_GRPC_TARGET": grpc_target,
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "LOG_FORMAT": "text",
    }
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            GATEWAY_PROGRAM, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(url, f"the gateway did not start (its output: {log})")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            await process.wait()


def audit_output(store_url: str) -> str:
    """`actions-service audit` as an operator runs it: what reaches the terminal, both streams."""
    result = subprocess.run(  # noqa: S603 - our own program, fixed arguments
        [str(SERVICE_PROGRAM), "audit"],
        env={"PATH": os.environ.get("PATH", ""), "STORE_URL": store_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


async def test_the_programs_write_a_line_per_request_and_per_action_and_audit_only_its_table(
    tmp_path: Path, ordergroove_url: str, gladly_url: str
) -> None:
    store_url = f"sqlite:///{tmp_path}/var/actions.db"
    env = service_environment(ordergroove_url, gladly_url, store_url) | {"LOG_FORMAT": "text"}
    service_log, gateway_log = tmp_path / "service.log", tmp_path / "gateway.log"
    service = ServiceProcess(env, service_log)
    target = await service.start()
    try:
        async with gateway_process(target, gateway_log) as gateway_url:
            async with httpx.AsyncClient(
                base_url=gateway_url, auth=GladlySignature(SIGNING_KEY), timeout=30
            ) as gladly:
                answer = await gladly.post(
                    "/gladly/lookup",
                    json={
                        "lookupLevel": "DETAILED",
                        "query": {"externalCustomerId": DEMO_CUSTOMER_ID},
                    },
                )
            assert answer.status_code == 200, answer.text
        async with grpc.aio.insecure_channel(target) as channel:
            await actions_pb2_grpc.ActionsServiceStub(channel).SkipNextOrder(
                pb.SkipNextOrderRequest(
                    subscription_id=DEMO_SUBSCRIPTION_IDS[Role.DOG_FOOD],
                    customer_id=DEMO_CUSTOMER_ID,
                ),
                timeout=10,
            )
    finally:
        await service.stop()

    time = r"\d\d:\d\d:\d\d"
    gateway_lines = gateway_log.read_text().splitlines()
    service_lines = service_log.read_text().splitlines()
    assert not [line for line in gateway_lines + service_lines if line.startswith("{")]
    assert [
        line
        for line in gateway_lines
        if re.fullmatch(rf"{time} actions-gateway  POST /gladly/lookup 200  [\d.]+ ms", line)
    ]
    for method in ("GetSubscriptions", "SkipNextOrder"):
        assert [
            line
            for line in service_lines
            if re.fullmatch(rf"{time} actions-service  {method} ok  [\d.]+ ms", line)
        ], service_lines

    printed = await asyncio.to_thread(audit_output, store_url)
    table = io.StringIO()
    await audit_command.show(store_url, table, as_json=False, limit=20, failed_only=False)
    assert printed == table.getvalue()
    assert "skip" in printed and "done" in printed
