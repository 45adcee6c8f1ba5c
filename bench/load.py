"""Load shapes and the statistics the benchmark reports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Call = Callable[[], Awaitable[None]]
WARMUP = 5  # untimed calls before a sequential measurement


@dataclass(frozen=True)
class Latencies:
    """Latencies in milliseconds of the calls of one measurement."""

    samples: tuple[float, ...]
    seconds: float = 0.0  # wall time of the whole measurement
    errors: int = 0
    first_error: str = ""  # what the first failed call raised, so that no failure goes unread

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def max(self) -> float:
        return max(self.samples, default=float("nan"))

    @property
    def rate(self) -> float:
        """Completed calls per second."""
        return len(self.samples) / self.seconds if self.seconds else float("nan")


async def _timed(call: Call) -> float | str:
    """Milliseconds, or what went wrong."""
    started = time.perf_counter()
    try:
        await call()
    except Exception as error:  # any failure is counted and reported
        return f"{type(error).__name__}: {error}"
    return (time.perf_counter() - started) * 1000


async def sequential(
    call: Call, count: int, prepare: Call | None = None, *, warmup: int = WARMUP
) -> Latencies:
    """One call at a time: latency without queueing. `prepare`, when given, runs before each
    call (warm-up calls included) and is not timed; its failure counts as the call's. A caller
    measuring CPU per call warms up first and passes `warmup=0`, so that the warm-up calls'
    CPU is not counted against the measured ones."""

    async def once() -> float | str:
        if prepare is not None:
            try:
                await prepare()
            except Exception as error:  # counted and reported as the call's failure
                return f"{type(error).__name__}: {error}"
        return await _timed(call)

    for _ in range(warmup):
        await once()
    results = [await once() for _ in range(count)]
    return _collect(results, 0.0)


async def paced(call: Call, per_second: float, seconds: float) -> Latencies:
    """Open loop: start calls at a fixed rate whatever the answers do, as Gladly's agents would."""
    interval = 1 / per_second
    started = time.perf_counter()
    tasks = []
    for n in range(int(per_second * seconds)):
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_timed(call)))
    results = await asyncio.gather(*tasks)
    return _collect(results, time.perf_counter() - started)


async def closed_loop(call: Call, concurrency: int, seconds: float) -> Latencies:
    """`concurrency` callers, each calling again as soon as it has an answer."""
    stop_at = time.perf_counter() + seconds
    results: list[float | str] = []

    async def caller() -> None:
        while time.perf_counter() < stop_at:
            results.append(await _timed(call))

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return _collect(results, time.perf_counter() - started)


def _collect(results: list[float | str], seconds: float) -> Latencies:
    samples = tuple(r for r in results if isinstance(r, float))
    errors = [r for r in results if isinstance(r, str)]
    return Latencies(samples, seconds, len(errors), errors[0] if errors else "")
