"""Start the real programs as separate processes on free loopback ports, as `make run` does."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import tomllib
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.devstack import BIN, Program, stop_all, wait_until_ready
from services.gladly_sandbox.state import DEFAULT_LOOKUP_APP_ID

OG_API_KEY = "sandbox-api-key"
SIGNING_KEY = "bench-signing-key"
GLADLY_USER = "sandbox@example.com"
GLADLY_TOKEN = "sandbox-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    # The fields after the command name (which may hold spaces), from the 3rd: utime is 14th.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Stack:
    ordergroove_url: str
    gladly_url: str
    gateway_url: str
    processes: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def pids(self) -> dict[str, list[int]]:
        return {name: [p.pid for p in procs] for name, procs in self.processes.items()}

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each program (all its processes)."""
        return {name: sum(map(cpu_seconds, pids)) for name, pids in self.pids().items()}


# What each program logs once it serves; with several processes on one port (SO_REUSEPORT) a
# probe through the port cannot tell which process answered, so each one's log is read.
PAIR = ("actions-service", "actions-gateway")  # the programs a second pair runs, in start order
READY_MARKERS = {
    "actions-service": "actions-service listening",
    "actions-gateway": "Application startup complete",
}


def _spawn(
    program: str, env: Mapping[str, str], command: list[str] | None = None, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        command or [str(BIN / program)],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_log(process: subprocess.Popen[bytes], marker: str, seconds: float = 20) -> None:
    """Block until the process logs `marker`, then keep draining its log in the background.
    A process that does not get there within `seconds` fails the run with its last lines."""
    assert process.stderr is not None
    found = threading.Event()
    last_lines: deque[bytes] = deque(maxlen=10)

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if not found.is_set():
                last_lines.append(line)
            if marker.encode() in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(seconds):
        log = b"".join(last_lines).decode(errors="replace")
        raise RuntimeError(f"{process.args!r} did not log {marker!r} within {seconds} s:\n{log}")


@contextmanager
def running_stack(
    *,
    processes_per_program: int = 1,
    deadline_seconds: float = 15,
    env_overrides: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """Sandboxes once each; the Actions service and the gateway `processes_per_program` times on
    one port each (SO_REUSEPORT), so that the kernel spreads connections over them."""
    og_port, gladly_port, grpc_port, gateway_port = (free_port() for _ in range(4))
    store_dir = tempfile.mkdtemp(prefix="bench-store-")
    env = {
        "ORDERGROOVE_SANDBOX_LISTEN": f"127.0.0.1:{og_port}",
        "GLADLY_SANDBOX_LISTEN": f"127.0.0.1:{gladly_port}",
        "ORDERGROOVE_BASE_URL": f"http://127.0.0.1:{og_port}",
        "ORDERGROOVE_API_KEY": OG_API_KEY,
        "GLADLY_BASE_URL": f"http://127.0.0.1:{gladly_port}",
        "GLADLY_API_USER": GLADLY_USER,
        "GLADLY_API_TOKEN": GLADLY_TOKEN,
        "GLADLY_SIGNING_KEYS": SIGNING_KEY,
        "GLADLY_LOOKUP_APP_ID": DEFAULT_LOOKUP_APP_ID,  # the sandbox's: its profiles' link key
        "ACTIONS_GRPC_LISTEN": f"127.0.0.1:{grpc_port}",
        "ACTIONS_GRPC_TARGET": f"127.0.0.1:{grpc_port}",
        "GATEWAY_LISTEN": f"127.0.0.1:{gateway_port}",
        "ACTIONS_DEADLINE_SECONDS": str(deadline_seconds),
        "OTEL_TRACES_EXPORTER": "none",
        # Gladly allows 10 requests/s; the benchmark measures us, not that limit.
        "GLADLY_SANDBOX_RATE_LIMIT": "1000000",
        "GLADLY_REQUESTS_PER_SECOND": "10000",
        "STORE_URL": f"sqlite:///{store_dir}/bench.db",
        # Several processes of a program share its port only when told to.
        "ACTIONS_GRPC_REUSE_PORT": "true" if processes_per_program > 1 else "false",
        "GATEWAY_REUSE_PORT": "true" if processes_per_program > 1 else "false",
    } | dict(env_overrides or {})
    stack = Stack(
        ordergroove_url=f"http://127.0.0.1:{og_port}",
        gladly_url=f"http://127.0.0.1:{gladly_port}",
        gateway_url=f"http://127.0.0.1:{gateway_port}",
        env=env,
    )
    try:
        for name, url in (
            ("ordergroove-sandbox", f"{stack.ordergroove_url}/_sandbox/healthz"),
            ("gladly-sandbox", f"{stack.gladly_url}/_sandbox/healthz"),
        ):
            process = _spawn(name, env)
            stack.processes[name] = [process]
            wait_until_ready(Program(name, url), process)
        for name in ("actions-service", "actions-gateway"):
            stack.processes[name] = [_spawn(name, env) for _ in range(processes_per_program)]
            for process in stack.processes[name]:
                _wait_log(process, READY_MARKERS[name])
        yield stack
    finally:
        # In reverse start order: the gateways first, the sandboxes last.
        stop_all([p for procs in stack.processes.values() for p in procs])
        shutil.rmtree(store_dir, ignore_errors=True)


@contextmanager
def second_pair(
    stack: Stack, *, ref: str | None = None, env_overrides: Mapping[str, str] | None = None
) -> Iterator[tuple[str, dict[str, int]]]:
    """A second Actions service and gateway beside `stack`'s own, against the same sandboxes, on
    ports and a store of their own: those of git revision `ref` when given (else this tree's),
    with `env_overrides` on top of the stack's settings. Yields the second gateway's URL and
    both processes' ids, so that one run measures both pairs side by side on the same machine
    state."""
    with tempfile.TemporaryDirectory(prefix="bench-pair-") as scratch:
        grpc_port, gateway_port = free_port(), free_port()
        env = stack.env | {
            "ACTIONS_GRPC_LISTEN": f"127.0.0.1:{grpc_port}",
            "ACTIONS_GRPC_TARGET": f"127.0.0.1:{grpc_port}",
            "GATEWAY_LISTEN": f"127.0.0.1:{gateway_port}",
            "STORE_URL": f"sqlite:///{scratch}/bench.db",
        }
        commands: dict[str, list[str] | None] = dict.fromkeys(PAIR)
        tree: Path | None = None
        if ref is not None:
            tree = _unpacked(ref, Path(scratch) / "tree")
            python = _interpreter_for(tree)
            # The earlier tree's packages are found before this one's (installed as editable).
            env["PYTHONPATH"] = f"{tree}:{tree}/protos"
            commands = {name: _entry_point(python, tree, name) for name in PAIR}
        env |= dict(env_overrides or {})
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for name in PAIR:
                cwd = str(tree) if tree else None
                processes.append(_spawn(name, env, commands[name], cwd=cwd))
                _wait_log(processes[-1], READY_MARKERS[name])
            pids = {name: process.pid for name, process in zip(PAIR, processes, strict=True)}
            yield f"http://127.0.0.1:{gateway_port}", pids
        finally:
            stop_all(processes)


def _unpacked(ref: str, tree: Path) -> Path:
    """The files of git revision `ref`, written out under `tree`."""
    tree.mkdir()
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", ref],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)  # noqa: S603, S607
    return tree


def _interpreter_for(tree: Path) -> Path:
    """This environment's Python when the earlier tree locks the same packages; otherwise a
    virtual environment of its own made from its lock (an earlier tree may need a package this
    one no longer has), kept in the tree so that it goes with it."""
    lock = tree / "requirements.lock"
    if lock.read_bytes() == (Path(__file__).parent.parent / "requirements.lock").read_bytes():
        return BIN / "python"
    venv = tree / ".venv"
    uv = str(BIN / "uv")
    make = [uv, "venv", "--quiet", "--python", str(BIN / "python"), str(venv)]
    subprocess.run(make, check=True, capture_output=True)  # noqa: S603
    python = venv / "bin" / "python"
    sync = [uv, "pip", "sync", "--quiet", "--python", str(python), "--require-hashes", str(lock)]
    subprocess.run(sync, check=True, capture_output=True)  # noqa: S603
    return python


def _entry_point(python: Path, tree: Path, program: str) -> list[str]:
    """The command that runs `program` as the tree's own `[project.scripts]` declares it (run in
    the tree: `python -c` looks for modules in the working directory first)."""
    scripts = tomllib.loads((tree / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts[program].partition(":")
    return [
        str(python),
        "-c",
        f"import sys; from {module} import {function}; sys.exit({function}())",
    ]


def restart(stack: Stack, program: str, index: int) -> None:
    """Start a process of `program` in place of its `index`th (e.g. one killed), and wait until
    it serves."""
    process = _spawn(program, stack.env)
    stack.processes[program][index] = process
    _wait_log(process, READY_MARKERS[program])


async def seed_linked_customer(
    http: httpx.AsyncClient, stack: Stack, customer_id: str, seed: Mapping[str, Any]
) -> dict[str, Any]:
    """An Ordergroove sandbox customer made from `seed` (the sandbox's `/_sandbox/customers`
    body, beside the id and e-mail), linked to a Gladly customer `gladly-<customer_id>` with an
    open conversation; what the Ordergroove sandbox answered (its ids)."""
    created = await http.post(
        f"{stack.ordergroove_url}/_sandbox/customers",
        json={"merchant_user_id": customer_id, "email": f"{customer_id}@example.com", **seed},
    )
    created.raise_for_status()
    linked = await http.post(
        f"{stack.gladly_url}/_sandbox/customers",
        json={
            "id": f"gladly-{customer_id}",
            "externalCustomerId": customer_id,
            "conversation": "OPEN",
        },
    )
    linked.raise_for_status()
    answer: dict[str, Any] = created.json()
    return answer
