"""Concurrent fan-out with fail-fast semantics and plain exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")


async def gather(coroutines: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run concurrently and return the results in order. The first failure cancels the rest and
    is raised as itself (not wrapped in an ExceptionGroup), so callers map errors as usual."""
    async with task_group() as group:
        started = [group.create_task(coroutine) for coroutine in coroutines]
    return [task.result() for task in started]


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


@asynccontextmanager
async def task_group() -> AsyncIterator[asyncio.TaskGroup]:
    """`asyncio.TaskGroup` whose first failure is raised as itself, for typed fan-outs:
    `a = group.create_task(...)`, then `a.result()` after the block."""
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except BaseExceptionGroup as failures:
        raise _first_leaf(failures) from None
