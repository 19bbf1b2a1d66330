"""The event store's group writer and the callers' deadlines (``pymongo.timeout``), without
servers: the writer serves every appender, so it must not run under the deadline of the
request that started it, and each appender still stops waiting at its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pymongo
import pytest
from allwan_runtime import eventstore
from allwan_runtime.dispatch import is_transient
from allwan_runtime.eventstore import EventStore
from pymongo import _csot
from pymongo.errors import PyMongoError

from tests.builders import probe_envelopes


class Collections:
    """No database: the group write itself is replaced in each test."""

    def __getitem__(self, name: str) -> Any:
        return object()


def store_whose_writes(write: Any) -> EventStore:
    """A store whose group write is ``write``, each append of the group then written."""
    store = EventStore(Collections())  # type: ignore[arg-type]

    async def write_group(group: Sequence[Any]) -> None:
        await write(group)
        for each in group:
            eventstore._settle(each.written, None)

    store._write_group = write_group  # type: ignore[method-assign]
    return store


async def test_the_writer_does_not_inherit_the_deadline_of_the_request_that_started_it() -> None:
    budgets: list[float | None] = []

    async def write(group: Sequence[Any]) -> None:
        budgets.append(_csot.remaining())

    store = store_whose_writes(write)
    with pymongo.timeout(0.3):  # a request's budget
        await store.append(probe_envelopes("c-1", 1, 1), expected_version=0)
    assert budgets
    budget = budgets[0]
    assert budget is not None
    assert budget > 0.3
    assert budget <= eventstore.GROUP_WRITE_TIMEOUT_S


async def test_a_writer_kept_busy_past_a_request_deadline_still_writes() -> None:
    # Under steady load the writer never drains; groups after the starting request's
    # deadline used to fail with a timeout.
    written: list[int] = []

    async def write(group: Sequence[Any]) -> None:
        if _csot.remaining() is not None and _csot.remaining() <= 0:  # type: ignore[operator]
            raise pymongo.errors.ExecutionTimeout("deadline passed", 50)
        await asyncio.sleep(0.05)
        written.append(len(group))

    store = store_whose_writes(write)

    async def steady(n: int) -> None:
        for k in range(6):  # 6 groups of 50 ms at least: well past the request's deadline
            await store.append(probe_envelopes(f"c-{n}-{k}", 1, 1), expected_version=0)

    with pymongo.timeout(0.1):  # this request starts the writer, alone in its first group
        first = asyncio.create_task(
            store.append(probe_envelopes("c-first", 1, 1), expected_version=0)
        )
        await asyncio.sleep(0)
    await asyncio.gather(first, *(steady(n) for n in range(4)))
    assert sum(written) == 1 + 4 * 6


async def test_an_appender_stops_waiting_at_its_own_deadline() -> None:
    release = asyncio.Event()

    async def write(group: Sequence[Any]) -> None:
        await release.wait()

    store = store_whose_writes(write)
    started = time.monotonic()
    with pytest.raises(PyMongoError) as raised, pymongo.timeout(0.1):
        await store.append(probe_envelopes("c-1", 1, 1), expected_version=0)
    assert time.monotonic() - started < 1.0
    assert is_transient(raised.value)  # the gateway answers 503, a consumer retries
    release.set()
