"""Writes grouped from concurrent callers (``allwan_runtime.grouped``), without servers: who
gets which error, what is written together, and the callers' deadlines (``pymongo.timeout``):
the writer serves every caller, so it must not run under the deadline of the request that
started it, and each caller still stops waiting at its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import pymongo
import pytest
from allwan_runtime import grouped
from allwan_runtime.dispatch import is_transient
from allwan_runtime.grouped import WriteGroups
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pymongo import _csot
from pymongo.errors import DuplicateKeyError, PyMongoError

Write = Callable[[Sequence[int]], Awaitable[None]]


def groups_whose_writes(write: Write, max_group: int = 500) -> WriteGroups[int]:
    """Groups written by ``write``; every item of a group it returns from is written."""

    async def write_group(group: Sequence[int]) -> list[Exception | None]:
        await write(group)
        return [None] * len(group)

    return WriteGroups(write_group, name="test-writer", max_group=max_group)


async def test_items_that_arrive_while_a_group_is_written_are_written_together() -> None:
    sizes: list[int] = []

    async def write(group: Sequence[int]) -> None:
        sizes.append(len(group))
        await asyncio.sleep(0.02)

    groups = groups_whose_writes(write, max_group=8)
    alone = asyncio.create_task(groups.write(-1))
    await asyncio.sleep(0.005)  # its write under way
    await asyncio.gather(alone, *(groups.write(n) for n in range(20)))
    # The first caller's item went at once, alone; the 20 that came meanwhile, 8 at a time.
    assert sizes == [1, 8, 8, 4]


async def test_each_caller_gets_its_own_items_error_and_a_failed_command_is_everyones() -> None:
    async def write_group(group: Sequence[int]) -> list[Exception | None]:
        if 0 in group:
            raise pymongo.errors.AutoReconnect("connection lost")
        return [DuplicateKeyError("taken") if n % 2 else None for n in group]

    groups = WriteGroups(write_group, name="test-writer")
    await groups.write(2)
    with pytest.raises(DuplicateKeyError):
        await groups.write(3)
    with pytest.raises(pymongo.errors.AutoReconnect):
        await groups.write(0)
    results = await asyncio.gather(*(groups.write(n) for n in range(1, 5)), return_exceptions=True)
    assert [type(result).__name__ for result in results] == [
        "DuplicateKeyError",
        "NoneType",
        "DuplicateKeyError",
        "NoneType",
    ]


async def test_the_writer_does_not_inherit_the_deadline_of_the_request_that_started_it() -> None:
    budgets: list[float | None] = []

    async def write(group: Sequence[int]) -> None:
        budgets.append(_csot.remaining())

    groups = groups_whose_writes(write)
    with pymongo.timeout(0.3):  # a request's budget
        await groups.write(1)
    assert budgets
    budget = budgets[0]
    assert budget is not None
    assert budget > 0.3
    assert budget <= grouped.GROUP_WRITE_TIMEOUT_S


async def test_a_writer_kept_busy_past_a_request_deadline_still_writes() -> None:
    # Under steady load the writer never drains; groups after the starting request's
    # deadline used to fail with a timeout.
    written: list[int] = []

    async def write(group: Sequence[int]) -> None:
        if _csot.remaining() is not None and _csot.remaining() <= 0:  # type: ignore[operator]
            raise pymongo.errors.ExecutionTimeout("deadline passed", 50)
        await asyncio.sleep(0.05)
        written.append(len(group))

    groups = groups_whose_writes(write)

    async def steady(n: int) -> None:
        for k in range(6):  # 6 groups of 50 ms at least: well past the request's deadline
            await groups.write(n * 10 + k)

    with pymongo.timeout(0.1):  # this request starts the writer, alone in its first group
        first = asyncio.create_task(groups.write(-1))
        await asyncio.sleep(0)
    await asyncio.gather(first, *(steady(n) for n in range(4)))
    assert sum(written) == 1 + 4 * 6


async def test_a_caller_stops_waiting_at_its_own_deadline() -> None:
    release = asyncio.Event()

    async def write(group: Sequence[int]) -> None:
        await release.wait()

    groups = groups_whose_writes(write)
    started = time.monotonic()
    with pytest.raises(PyMongoError) as raised, pymongo.timeout(0.1):
        await groups.write(1)
    assert time.monotonic() - started < 1.0
    assert is_transient(raised.value)  # the gateway answers 503, a consumer retries
    release.set()


async def test_each_group_is_written_in_the_trace_of_its_first_caller() -> None:
    """Not in that of whichever caller started the writer, which outlives its request."""
    tracer = TracerProvider().get_tracer("unit")
    spans: list[int] = []
    release = asyncio.Event()

    async def write(group: Sequence[int]) -> None:
        spans.append(trace.get_current_span().get_span_context().span_id)
        if len(spans) == 1:
            await release.wait()

    groups = groups_whose_writes(write)
    with tracer.start_as_current_span("first request") as first_span:
        first = asyncio.create_task(groups.write(1))
    await asyncio.sleep(0.01)  # its group under way
    with tracer.start_as_current_span("second request") as second_span:
        second = asyncio.create_task(groups.write(2))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(first, second)

    assert spans == [
        first_span.get_span_context().span_id,
        second_span.get_span_context().span_id,
    ]
