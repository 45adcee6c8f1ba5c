"""Both programs, as real processes configured only by the standard OTEL_* variables, export
their spans over OTLP/HTTP to a plain receiver, flush them when stopped with SIGTERM, and log
JSON lines that name the same trace."""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.gladly_auth import GladlySignature
from tests.servers import free_port, serve_asgi
from tests.stack import ServiceProcess, service_environment, skip_url

GATEWAY_PROGRAM = Path(sys.executable).with_name("actions-gateway")
SIGNING_KEY = "export-test-signing-key"


class Receiver:
    """An OTLP/HTTP trace receiver: `POST /v1/traces` with an `ExportTraceServiceRequest`."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, str]] = []  # (service.name, trace id, span name)
        self.app = Starlette(routes=[Route("/v1/traces", self.export, methods=["POST"])])

    async def export(self, request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        exported = ExportTraceServiceRequest.FromString(body)
        for resource_spans in exported.resource_spans:
            service = next(
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                self.spans += [(service, s.trace_id.hex(), s.name) for s in scope_spans.spans]
        answer = ExportTraceServiceResponse().SerializeToString()
        return Response(answer, media_type="application/x-protobuf")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    async with serve_asgi(receiver.app) as url:
        yield receiver, url


async def test_both_programs_export_one_trace_over_otlp_http(
    ordergroove_url: str,
    gladly_url: str,
    receiver: tuple[Receiver, str],
    tmp_path: Path,
) -> None:
    spans, endpoint = receiver
    otel = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
    }
    service_log = tmp_path / "service.log"
    service = ServiceProcess(
        service_environment(ordergroove_url, gladly_url, f"sqlite:///{tmp_path}/actions.db") | otel,
        service_log,
    )
    target = await service.start()
    port = free_port()
    gateway = await asyncio.create_subprocess_exec(
        GATEWAY_PROGRAM,
        env=otel
        | {
            "PATH": "",
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "ACTIONS_GRPC_TARGET": target,
            "GLADLY_SIGNING_KEYS": SIGNING_KEY,
        },
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", auth=GladlySignature(SIGNING_KEY), timeout=10
        ) as caller:
            await _until_ready(caller)
            skip = await skip_url(caller)
            response = await caller.post(skip, json={"agentId": "agent-7"})
        assert response.status_code == 200, response.text
        trace_id = response.headers["X-Trace-Id"]
        # SIGTERM: each program stops gracefully and flushes its batched spans.
        gateway.send_signal(signal.SIGTERM)
        _, gateway_stderr = await asyncio.wait_for(gateway.communicate(), 20)
    finally:
        if gateway.returncode is None:
            gateway.kill()
            await gateway.wait()
        await service.stop()

    services_in_trace = {service for service, trace, _ in spans.spans if trace == trace_id}
    assert services_in_trace == {"actions-gateway", "actions-service"}
    names = {(service, name) for service, trace, name in spans.spans if trace == trace_id}
    rpc = "/actions.v1.ActionsService/SkipNextOrder"
    assert {("actions-gateway", rpc), ("actions-service", rpc), ("actions-service", "PATCH")} <= (
        names
    )

    gateway_lines = _json_lines(gateway_stderr.decode())
    [access] = [line for line in gateway_lines if line.get("url.path") == skip]
    assert (access["trace_id"], access["http.response.status_code"]) == (trace_id, 200)
    assert access["service"] == "actions-gateway"
    service_lines = _json_lines(service_log.read_text())
    [served] = [line for line in service_lines if line.get("rpc.method") == "SkipNextOrder"]
    assert (served["trace_id"], served["actions.outcome"]) == (trace_id, "ok")
    assert served["duration_ms"] > 0


async def _until_ready(caller: httpx.AsyncClient) -> None:
    for _ in range(200):
        try:
            if (await caller.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not become ready")


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Every line is one JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
