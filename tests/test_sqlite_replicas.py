"""Processes that start at the same moment on one SQLite file wait for each other's migration."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.servers import free_port
from tests.stack import SERVICE_PROGRAM

REPLICAS = 4


async def started(process: asyncio.subprocess.Process) -> bool:
    assert process.stderr is not None
    async for line in process.stderr:
        if b"actions-service listening" in line:
            return True
    return False


async def test_two_services_starting_together_on_one_sqlite_file_both_serve(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "STORE_URL": f"sqlite:///{tmp_path}/shared.db",
        "OTEL_TRACES_EXPORTER": "none",
    }
    processes = await asyncio.gather(
        *(
            asyncio.create_subprocess_exec(
                SERVICE_PROGRAM,
                env={**env, "ACTIONS_GRPC_LISTEN": f"127.0.0.1:{free_port()}"},
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(REPLICAS)
        )
    )
    try:
        results = await asyncio.wait_for(asyncio.gather(*map(started, processes)), 20)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
            await process.wait()
    assert results == [True] * REPLICAS
