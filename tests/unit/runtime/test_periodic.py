"""The periodic task: runs at once, again on time or when woken, survives a bad run, and a
long job stops between two of its steps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from allwan_runtime.periodic import PeriodicTask

from tests.waiting import eventually


def ran(runs: list[int], times: int) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return len(runs) >= times

    return probe


async def test_a_woken_task_runs_again_long_before_its_interval() -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))

    task = PeriodicTask("probe", job, interval_s=3600)
    await task.start()
    try:
        await eventually(ran(runs, 1), timeout=5)
        task.wake()
        await eventually(ran(runs, 2), timeout=5)
    finally:
        await task.stop()
    assert task.runs == 2


async def test_a_failing_run_does_not_end_the_task() -> None:
    calls: list[int] = []

    async def flaky() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("one bad run")

    task = PeriodicTask("probe", flaky, interval_s=0.01)
    await task.start()
    try:
        await eventually(ran(calls, 3), timeout=5)
    finally:
        await task.stop()


async def test_stop_ends_a_long_job_between_two_steps() -> None:
    steps = 0
    started = asyncio.Event()

    async def long_job() -> None:
        nonlocal steps
        started.set()
        while not task.stopping.is_set():
            steps += 1
            await asyncio.sleep(0.001)

    task = PeriodicTask("probe", long_job, interval_s=3600)
    await task.start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(task.stop(), 5)
    done = steps
    await asyncio.sleep(0.01)
    assert steps == done
    assert task.runs == 1
