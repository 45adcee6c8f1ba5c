"""The programs as an operator runs them: bad settings stop them in one line with status 2, a
taken port is refused, slow clients are cut off, and a stop lets in-flight actions finish."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import uvicorn
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from actions.v1 import actions_pb2 as pb
from actions.v1 import actions_pb2_grpc
from common.config import Address, GatewaySettings
from gateway.gladly_auth import GladlySignature
from gateway.server import MAX_HEAD_BYTES, uvicorn_config
from services.actions_service.wiring import SERVICE_NAME
from services.devstack import StackSettings, banner
from services.ordergroove_sandbox.demo import DEMO_CUSTOMER_ID, DEMO_SUBSCRIPTION_IDS, Role
from services.postgres_scratch import postgres_schema
from tests.servers import free_port, wait_until_healthy
from tests.stack import (
    ServiceHandle,
    ServiceProcess,
    add_fault,
    postgres_dsn,
    service_environment,
)

PROGRAMS = Path(sys.executable).parent
EXIT_BAD_CONFIG = 2
# An address no interface of this machine has (TEST-NET-3, RFC 5737).
FOREIGN_ADDRESS = "203.0.113.9"
NOWHERE = "http://127.0.0.1:9"


async def run_to_exit(
    program: str, env: dict[str, str], *args: str, within: float = 20
) -> tuple[int, list[str]]:
    """Run a program that must exit by itself: its status and its stderr lines."""
    process = await asyncio.create_subprocess_exec(
        PROGRAMS / program,
        *args,
        env=os.environ | env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), within)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stderr.decode().strip().splitlines()


def assert_refused_in_one_line(status: int, lines: list[str], program: str, variable: str) -> None:
    """Status 2 and one line naming the variable: no traceback, nothing else but the program's
    structured log records (JSON lines) from before it found the fault."""
    assert status == EXIT_BAD_CONFIG, lines
    told = [line for line in lines if not line.startswith("{")]
    assert len(told) == 1, lines
    assert told[0].startswith(f"{program}: {variable}"), lines


@contextlib.contextmanager
def taken_port() -> Iterator[int]:
    """A loopback port another process listens on (without SO_REUSEPORT)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def service_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return service_environment(NOWHERE, NOWHERE, f"sqlite:///{tmp_path}/actions.db") | overrides


# --- actions-service ------------------------------------------------------------------------------


async def test_a_second_service_on_the_same_port_is_refused(tmp_path: Path) -> None:
    """gRPC shares a taken port by default: the second service would take half the calls."""
    port = free_port()
    env = service_env(tmp_path, ACTIONS_GRPC_LISTEN=f"127.0.0.1:{port}")
    first = ServiceProcess(env, tmp_path / "first.log")
    await first.start()
    try:
        status, lines = await run_to_exit("actions-service", env)
    finally:
        await first.stop()
    assert_refused_in_one_line(status, lines, "actions-service", "ACTIONS_GRPC_LISTEN")


async def test_port_sharing_when_asked_for(tmp_path: Path) -> None:
    port = free_port()
    env = service_env(
        tmp_path, ACTIONS_GRPC_LISTEN=f"127.0.0.1:{port}", ACTIONS_GRPC_REUSE_PORT="true"
    )
    first = ServiceProcess(env, tmp_path / "first.log")
    second = ServiceProcess(env, tmp_path / "second.log")
    try:
        assert await first.start() == await second.start()
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ACTIONS_GRPC_LISTEN", "127.0.0.1:²"),
        ("ACTIONS_GRPC_LISTEN", f"{FOREIGN_ADDRESS}:50051"),
        ("STORE_URL", "sqlite:////proc/no-such-process/actions.db"),
        ("STORE_URL", "sqlite://relative.db"),
        ("STORE_URL", "sqlite:///"),  # no path: a store in memory, lost at every stop
        ("OUTBOX_BACKOFF_SECONDS", "301"),  # above OUTBOX_BACKOFF_MAX_SECONDS (0.3)
        ("ACTIONS_DEADLINE_SECONDS", "0.0001"),
        ("ORDERGROOVE_API_KEY", ""),
        ("ACTIONS_API_TOKENS", " , "),
        ("GLADLY_API_TOKEN", ""),  # GLADLY_API_USER alone
        ("GLADLY_API_DISABLED", "true"),  # while GLADLY_API_USER and GLADLY_API_TOKEN are set
        ("METRICS_LISTEN", f"{FOREIGN_ADDRESS}:9464"),
    ],
)
async def test_bad_values_stop_the_service_in_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = service_env(tmp_path, **{variable: value})
    status, lines = await run_to_exit("actions-service", env)
    assert_refused_in_one_line(status, lines, "actions-service", variable)


async def test_unset_gladly_credentials_stop_the_service_in_one_line(tmp_path: Path) -> None:
    """Left unset by an omission, they switched off the conversation check and the timeline."""
    env = service_env(tmp_path, GLADLY_API_USER="", GLADLY_API_TOKEN="")
    status, lines = await run_to_exit("actions-service", env)
    assert_refused_in_one_line(status, lines, "actions-service", "GLADLY_API_USER")


async def test_serving_without_gladly_asked_for_warns_at_start(tmp_path: Path) -> None:
    env = service_env(tmp_path, GLADLY_API_USER="", GLADLY_API_TOKEN="", GLADLY_API_DISABLED="true")
    service = ServiceProcess(env, tmp_path / "service.log")
    await service.start()
    await service.stop()
    lines = (tmp_path / "service.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    warnings = [r["message"] for r in records if r["level"] == "WARNING"]
    assert any(w.startswith("GLADLY_API_DISABLED=true: ") for w in warnings), lines


def unreachable_postgres(password: str) -> str:
    """A PostgreSQL URL where nothing listens (a free loopback port), with a password."""
    return f"postgresql://actions:{password}@127.0.0.1:{free_port()}/actions"


async def readiness(port: int, within: float = 10) -> int:
    """The service's own health status (what readiness probes ask), once its port answers."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health: Any = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                answer = await health.Check(
                    health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=1
                )
                return int(answer.status)
            except grpc.aio.AioRpcError:
                if loop.time() > give_up:
                    raise
                await asyncio.sleep(0.05)


async def test_an_unreachable_store_is_waited_for_then_told_in_one_line(tmp_path: Path) -> None:
    """It exited at once with status 1 and two lines of the driver's; now it waits (its
    readiness NOT_SERVING, so no call is sent to it), then stops in one line, password hidden."""
    port = free_port()
    env = service_env(
        tmp_path,
        STORE_URL=unreachable_postgres("s3cret-pw"),
        STORE_WAIT_SECONDS="3",
        ACTIONS_GRPC_LISTEN=f"127.0.0.1:{port}",
    )
    running = asyncio.ensure_future(run_to_exit("actions-service", env))
    waiting = await readiness(port)
    status, lines = await running
    assert waiting == health_pb2.HealthCheckResponse.NOT_SERVING
    assert_refused_in_one_line(status, lines, "actions-service", "STORE_URL")
    assert "s3cret-pw" not in "\n".join(lines)
    [told] = [line for line in lines if not line.startswith("{")]
    assert "postgresql://actions:***@127.0.0.1" in told and "within 3 s" in told, told


@contextlib.asynccontextmanager
async def forwarding(port: int, to: str) -> AsyncIterator[None]:
    """Connections to loopback `port` are carried to `to` (host:port) until the block ends: a
    database that comes up late."""

    async def carry(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, _, target_port = to.rpartition(":")
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(carry(reader, upstream_writer), carry(upstream_reader, writer))

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    async with server:
        yield


async def test_a_store_that_comes_up_late_is_waited_for(tmp_path: Path) -> None:
    """PostgreSQL starting after the service (a cluster coming up): NOT_SERVING meanwhile,
    then serving, without a restart."""
    async with postgres_schema(postgres_dsn(), "test") as store_url:
        url = make_url(store_url)
        database_port, port = free_port(), free_port()
        late = url.set(host="127.0.0.1", port=database_port).render_as_string(hide_password=False)
        env = service_env(tmp_path, STORE_URL=late, ACTIONS_GRPC_LISTEN=f"127.0.0.1:{port}")
        service = ServiceProcess(env, tmp_path / "service.log")
        starting = asyncio.ensure_future(service.start())
        try:
            waiting = await readiness(port)
            async with forwarding(database_port, f"{url.host}:{url.port or 5432}"):
                await starting
                ready = await readiness(port)
        finally:
            starting.cancel()
            await service.stop()
    assert waiting == health_pb2.HealthCheckResponse.NOT_SERVING
    assert ready == health_pb2.HealthCheckResponse.SERVING


async def test_a_taken_port_stops_the_service_in_one_line(tmp_path: Path) -> None:
    with taken_port() as port:
        env = service_env(tmp_path, ACTIONS_GRPC_LISTEN=f"127.0.0.1:{port}")
        status, lines = await run_to_exit("actions-service", env)
    assert_refused_in_one_line(status, lines, "actions-service", "ACTIONS_GRPC_LISTEN")


async def test_a_stop_lets_an_action_in_flight_finish(
    tmp_path: Path, ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    """SLOW (about 13 s): SIGTERM 1 s into a cancel whose Ordergroove write takes 12 s. With
    the default 15 s deadline the write is within its deadline, so the stop must wait for it
    (the stop's grace was 10 s: the write was cut off and the agent got an error for a change
    that was then made)."""
    env = service_environment(ordergroove_url, gladly_url, f"sqlite:///{tmp_path}/actions.db")
    env["ACTIONS_DEADLINE_SECONDS"] = "15"
    subscription = DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]
    await add_fault(
        ordergroove,
        method="PATCH",
        path=f"/subscriptions/{subscription}/cancel/",
        latency_ms=12_000,
    )
    service = ServiceProcess(env, tmp_path / "service.log")
    target = await service.start()
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            stub = actions_pb2_grpc.ActionsServiceStub(channel)
            call = asyncio.ensure_future(
                stub.CancelSubscription(
                    pb.CancelSubscriptionRequest(
                        subscription_id=subscription,
                        customer_id=DEMO_CUSTOMER_ID,
                        reason_code="12",
                    ),
                    timeout=20,
                )
            )
            await asyncio.sleep(1)
            assert service.process is not None
            service.process.send_signal(signal.SIGTERM)
            answer = await call
        async with asyncio.timeout(10):
            status = await service.process.wait()
    finally:
        await service.stop()
    assert answer.subscription.status == pb.SUBSCRIPTION_STATUS_CANCELLED
    assert status == 0


# --- actions-gateway ------------------------------------------------------------------------------

GATEWAY_ENV = {"GLADLY_SIGNING_KEYS": "k", "ACTIONS_GRPC_TARGET": "127.0.0.1:9"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        # A token that cannot be sent in a header made every lookup hang.
        ("ACTIONS_API_TOKEN", "tokén"),
        ("GATEWAY_LISTEN", f"{FOREIGN_ADDRESS}:8080"),
        ("GATEWAY_LISTEN", "127.0.0.1:²"),
        ("GATEWAY_REQUEST_READ_SECONDS", "0"),
        # Accepted, it named no service: lookups answered notices that blamed Ordergroove.
        ("ACTIONS_GRPC_TARGET", ""),
    ],
)
async def test_bad_values_stop_the_gateway_in_one_line(variable: str, value: str) -> None:
    status, lines = await run_to_exit("actions-gateway", GATEWAY_ENV | {variable: value})
    assert_refused_in_one_line(status, lines, "actions-gateway", variable)


async def test_a_taken_port_stops_the_gateway_in_one_line() -> None:
    with taken_port() as port:
        env = GATEWAY_ENV | {"GATEWAY_LISTEN": f"127.0.0.1:{port}"}
        status, lines = await run_to_exit("actions-gateway", env)
    assert_refused_in_one_line(status, lines, "actions-gateway", "GATEWAY_LISTEN")


@contextlib.asynccontextmanager
async def running_gateway(env: dict[str, str], port: int = 0) -> AsyncIterator[int]:
    """The gateway program on `port` (default: a free one), until the block ends; yields the
    port."""
    port = port or free_port()
    process = await asyncio.create_subprocess_exec(
        PROGRAMS / "actions-gateway",
        env=os.environ | GATEWAY_ENV | env | {"GATEWAY_LISTEN": f"127.0.0.1:{port}"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_until_healthy(f"http://127.0.0.1:{port}", "the gateway did not start")
        yield port
    finally:
        process.kill()
        await process.wait()


async def test_a_second_gateway_on_the_same_port_is_refused() -> None:
    """It started silently and took half the connections (with another signing key, half of
    Gladly's requests would be refused)."""
    async with running_gateway({}) as port:
        env = GATEWAY_ENV | {"GATEWAY_LISTEN": f"127.0.0.1:{port}"}
        status, lines = await run_to_exit("actions-gateway", env)
    assert_refused_in_one_line(status, lines, "actions-gateway", "GATEWAY_LISTEN")


async def test_gateways_share_a_port_when_asked_for() -> None:
    shared = {"GATEWAY_REUSE_PORT": "true"}
    async with running_gateway(shared) as port, running_gateway(shared, port=port):
        pass  # both serve: each answered /healthz on the port


KIB = 1024
# Around the two limits: the head's (32 KiB, headers only) and the body's (64 KiB).
BODY_SIZES = [KIB, 32 * KIB + 1, 63 * KIB, 64 * KIB + 1]


def signed_lookup(size: int) -> bytes:
    """A BASIC lookup of the demo customer as Gladly sends it, signed with the gateway's key:
    its body `size` bytes long, padded by a custom attribute (Gladly sends them as more query
    keys). The bytes on the wire, head and body."""
    start = b'{"lookupLevel":"BASIC","query":{"externalCustomerId":"%s","notes":"'
    start %= DEMO_CUSTOMER_ID.encode()
    body = start + b"x" * (size - len(start) - 3) + b'"}}'
    request = httpx.Request(
        "POST",
        "http://gateway/gladly/lookup",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    signed = next(GladlySignature(GATEWAY_ENV["GLADLY_SIGNING_KEYS"]).auth_flow(request))
    lines = [b"POST /gladly/lookup HTTP/1.1", *(b"%s: %s" % pair for pair in signed.headers.raw)]
    assert len(body) == size
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def answer_status(port: int, sent: bytes, write_size: int) -> int:
    """Send `sent` in writes of `write_size` bytes; the status of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        with contextlib.suppress(ConnectionError):  # answered (413) before the body was read
            for start in range(0, len(sent), write_size):
                writer.write(sent[start : start + write_size])
                await writer.drain()
                await asyncio.sleep(0.001)  # a read of its own, as far as the network goes
        async with asyncio.timeout(PATIENCE_SECONDS):
            status_line = await reader.readline()
    finally:
        writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize("write_size", [1 << 20, 1000], ids=["one write", "many writes"])
async def test_the_body_is_limited_to_64_kib_and_never_counted_as_head(
    service: ServiceHandle, write_size: int
) -> None:
    """The body read with the head was counted as head: valid lookups of 32 to 64 KiB were
    refused at random as 431, and a body over 64 KiB was 431 instead of 413."""
    env = {"ACTIONS_GRPC_TARGET": service.target}
    async with running_gateway(env) as port:
        statuses = [
            await answer_status(port, signed_lookup(size), write_size) for size in BODY_SIZES
        ]
    assert statuses == [200, 200, 200, 413]


READ_BOUND_SECONDS = 1.0
# How long a test waits for a close before calling the connection held open.
PATIENCE_SECONDS = 5.0


async def seconds_until_closed(port: int, sent: bytes) -> float:
    """Send `sent` and nothing more; how long until the gateway closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        writer.write(sent)
        await writer.drain()
        async with asyncio.timeout(PATIENCE_SECONDS):
            while await reader.read(4096):
                pass  # an answer (if any) before the close
    except TimeoutError:
        pytest.fail(f"held open for {PATIENCE_SECONDS} s after {sent[:40]!r}")
    finally:
        writer.close()
    return loop.time() - started


async def test_slow_clients_are_cut_off() -> None:
    """Slow loris: headers or a body that never finish held a connection for ever."""
    env = {"GATEWAY_REQUEST_READ_SECONDS": str(READ_BOUND_SECONDS)}
    async with running_gateway(env) as port:
        cases = [
            b"",  # connected, sends nothing
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n",  # headers never end
            b"POST /gladly/lookup HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
            # one whole request, then the next one's headers never end
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n",
        ]
        waited = await asyncio.gather(*(seconds_until_closed(port, sent) for sent in cases))
    for seconds in waited:
        assert READ_BOUND_SECONDS - 0.1 <= seconds < READ_BOUND_SECONDS + 1.5


async def test_a_huge_request_head_is_refused() -> None:
    """Header lines within the read bound but without end: the connection is closed (with a
    431 when the client still reads it), not kept growing in memory."""
    filler = b"X-Filler: " + b"y" * 1000 + b"\r\n"
    async with running_gateway({}) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answer = b""
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            writer.write(filler * (MAX_HEAD_BYTES // len(filler) + 1))
            await writer.drain()
            async with asyncio.timeout(PATIENCE_SECONDS):
                answer = await reader.read()
        except ConnectionError:
            pass  # closed with our bytes unread: the kernel answers with a reset
        finally:
            writer.close()
    # Held open, the read would have timed out (TimeoutError) instead.
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:80]


async def test_a_slow_answer_is_not_cut_off() -> None:
    """The bound is on reading the request: the app's answer may take longer (an action has
    its whole deadline), and a kept-alive connection serves the next request."""

    async def slow(request: Request) -> Response:
        await asyncio.sleep(READ_BOUND_SECONDS * 1.5)
        return PlainTextResponse("done")

    app = Starlette(routes=[Route("/slow", slow)])
    config = uvicorn_config(app, GatewaySettings(request_read_seconds=READ_BOUND_SECONDS))
    server = uvicorn.Server(config)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if serving.done():
                    serving.result()  # it failed to start: say why
                await asyncio.sleep(0.01)
            base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            async with httpx.AsyncClient(base_url=base_url) as client:
                first = await client.get("/slow")
                await asyncio.sleep(READ_BOUND_SECONDS / 2)
                second = await client.get("/slow")
        finally:
            server.should_exit = True
            await serving
    assert (first.text, second.text) == ("done", "done")


# --- the sandboxes --------------------------------------------------------------------------------


async def test_a_taken_port_stops_the_sandboxes_in_one_line() -> None:
    with taken_port() as port:
        address = f"127.0.0.1:{port}"
        ordergroove = await run_to_exit(
            "ordergroove-sandbox", {"ORDERGROOVE_SANDBOX_LISTEN": address}
        )
        gladly = await run_to_exit("gladly-sandbox", {"GLADLY_SANDBOX_LISTEN": address}, "serve")
    assert_refused_in_one_line(*ordergroove, "ordergroove-sandbox", "ORDERGROOVE_SANDBOX_LISTEN")
    assert_refused_in_one_line(*gladly, "gladly-sandbox", "GLADLY_SANDBOX_LISTEN")


async def test_bad_values_stop_the_sandboxes_in_one_line() -> None:
    ordergroove = await run_to_exit("ordergroove-sandbox", {"ORDERGROOVE_API_KEY": ""})
    gladly = await run_to_exit("gladly-sandbox", {"GLADLY_SANDBOX_RATE_LIMIT": "²"}, "serve")
    assert_refused_in_one_line(*ordergroove, "ordergroove-sandbox", "ORDERGROOVE_API_KEY")
    assert_refused_in_one_line(*gladly, "gladly-sandbox", "GLADLY_SANDBOX_RATE_LIMIT")


async def test_the_gladly_cli_talks_to_the_gateway_where_it_listens() -> None:
    """`make run` on another port sets GATEWAY_LISTEN; the CLI must follow it."""
    async with running_gateway({}) as port:
        env = {"GATEWAY_LISTEN": f"127.0.0.1:{port}", "GLADLY_SIGNING_KEYS": "k"}
        status, lines = await run_to_exit("gladly-sandbox", env, "lookup")
    # The gateway answered (its actions service is not there): not "cannot reach the gateway".
    assert not any("cannot reach the gateway" in line for line in lines), lines
    assert status != EXIT_BAD_CONFIG, lines


async def test_a_client_that_goes_away_is_no_error_of_the_sandbox(
    ordergroove_url: str, ordergroove: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Every client timeout logged a ClientDisconnect traceback."""
    await add_fault(ordergroove, path="/subscriptions/", latency_ms=300)
    server_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not propagate
    server_log.addHandler(caplog.handler)
    try:
        async with httpx.AsyncClient(
            base_url=ordergroove_url, headers=ordergroove.headers, timeout=0.05
        ) as impatient:
            with pytest.raises(httpx.TimeoutException):
                await impatient.get("/subscriptions/", params={"customer": DEMO_CUSTOMER_ID})
        await asyncio.sleep(0.5)  # the sandbox reads the request after its latency
    finally:
        server_log.removeHandler(caplog.handler)
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_the_banner_of_make_run_names_the_gateway_it_started() -> None:
    moved = StackSettings(gateway_listen=Address("127.0.0.1", 9090))
    assert "GATEWAY_LISTEN=127.0.0.1:9090 .venv/bin/gladly-sandbox card" in banner(moved)
    assert "\n  .venv/bin/gladly-sandbox card" in banner(StackSettings())
