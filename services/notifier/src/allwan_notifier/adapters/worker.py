"""A background loop for the fan-out worker: runs its job at once, then again every
``interval_s`` seconds or as soon as it is woken, until stopped. Unlike
``allwan_runtime.periodic.PeriodicTask`` the job gets the stop signal, so a fan-out of
100,000 messages stops between two messages at shutdown instead of holding it up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class Worker:
    def __init__(
        self, name: str, job: Callable[[asyncio.Event], Awaitable[object]], interval_s: float
    ) -> None:
        self.name = name
        self.runs = 0
        self._job = job
        self._interval_s = interval_s
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._loop(), name=self.name)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self._job(self._stop)
            except Exception as error:  # one bad run must not end the worker
                log.warning("worker.failed", worker=self.name, error=type(error).__name__)
            self.runs += 1
            woken = asyncio.ensure_future(self._wake.wait())
            stopped = asyncio.ensure_future(self._stop.wait())
            _, pending = await asyncio.wait(
                {woken, stopped}, timeout=self._interval_s, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
