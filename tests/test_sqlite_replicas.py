"""Processes that start at the same moment on one SQLite file wait for each other's migration."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.stack import ServiceProcess

REPLICAS = 4


async def test_four_services_starting_together_on_one_sqlite_file_all_serve(
    tmp_path: Path,
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "STORE_URL": f"sqlite:///{tmp_path}/shared.db",
        "ACTIONS_GRPC_LISTEN": "127.0.0.1:0",
        "OTEL_TRACES_EXPORTER": "none",
        "GLADLY_API_DISABLED": "true",  # no Gladly here: the store is what is tested
    }
    replicas = [ServiceProcess(env, tmp_path / f"service-{n}.log") for n in range(REPLICAS)]
    try:
        # Each start waits until its process logs that it listens, and fails (with the log's
        # tail) if the process exits first or does not listen within 20 s.
        targets = await asyncio.gather(*(replica.start() for replica in replicas))
    finally:
        for replica in replicas:
            await replica.stop()
    assert len(set(targets)) == REPLICAS
