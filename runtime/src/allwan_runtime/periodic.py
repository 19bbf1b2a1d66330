"""A background job that runs every few seconds, or at once when woken, until the service stops.

A failing run is logged and the next one happens on time: a periodic job (expire due
subscriptions, run a fan-out) must never die silently on one bad run. A long job reads
``stopping`` between two steps, so a fan-out of 100,000 messages stops between two messages
at shutdown instead of holding it up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class PeriodicTask:
    """Call ``job`` every ``interval_s`` seconds (or on ``wake``) between ``start`` and ``stop``."""

    def __init__(self, name: str, job: Callable[[], Awaitable[object]], interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError("a periodic task needs a positive interval")
        self.name = name
        self.runs = 0
        self._job = job
        self._interval_s = interval_s
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> asyncio.Event:
        """Set once ``stop`` was called: a long job stops between two of its steps."""
        return self._stop

    async def start(self) -> None:
        """Start the loop in the background; the first run happens at once."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._loop(), name=self.name)

    def wake(self) -> None:
        """Run again now rather than at the end of the interval (new work arrived)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop after the current run (or the current step of a job that reads ``stopping``)."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self._job()
            except Exception as error:  # one bad run must not end the job
                log.warning("periodic.failed", task=self.name, error=type(error).__name__)
            self.runs += 1
            await self._wait()

    async def _wait(self) -> None:
        woken = asyncio.ensure_future(self._wake.wait())
        stopped = asyncio.ensure_future(self._stop.wait())
        _, pending = await asyncio.wait(
            {woken, stopped}, timeout=self._interval_s, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in pending:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
