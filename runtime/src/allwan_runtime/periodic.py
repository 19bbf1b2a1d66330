"""A background job that runs every few seconds until the service stops.

A failing run is logged and the next one happens on time: a periodic job (expire due
subscriptions, retry deliveries) must never die silently on one bad run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class PeriodicTask:
    """Call ``job`` every ``interval_s`` seconds between ``start`` and ``stop``."""

    def __init__(self, name: str, job: Callable[[], Awaitable[object]], interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError("a periodic task needs a positive interval")
        self.name = name
        self.runs = 0
        self._job = job
        self._interval_s = interval_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop in the background; the first run happens at once."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Stop after the current run."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self._job()
            except Exception as error:  # one bad run must not end the job
                log.warning("periodic.failed", task=self.name, error=type(error).__name__)
            self.runs += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval_s)
