"""Waiting, within a bound, for the decision about an order to reach the read model.

The projection signals each order it updated; a request waiting on that order wakes at once
and reads it. Another replica may consume the decision instead, so the waiter also re-reads
now and then, at growing intervals (``poll_s``, doubling up to ``max_poll_s``): either way it
answers within the bound, and a wait of 2 s costs a handful of reads, not one per 100 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from allwan_runtime.mongo import Document

UNDECIDED = frozenset({"pending"})


class Decisions:
    def __init__(self, poll_s: float = 0.1, max_poll_s: float = 0.4) -> None:
        self._poll_s = poll_s
        self._max_poll_s = max_poll_s
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def notify(self, order_id: str) -> None:
        for event in self._waiting.get(order_id, ()):
            event.set()

    async def wait(
        self,
        order_id: str,
        read: Callable[[str], Awaitable[Document | None]],
        within_s: float,
        *,
        surely_pending: bool = False,
    ) -> Document | None:
        """The order once decided, or as it stands after ``within_s`` seconds (None if it was
        never read). ``surely_pending``: the caller listed it as pending just now, so it is not
        read before the first wake-up or poll."""
        deadline = time.monotonic() + within_s
        woken = asyncio.Event()
        self._waiting.setdefault(order_id, set()).add(woken)
        pause = self._poll_s
        try:
            order = None if surely_pending else await read(order_id)
            while not _decided(order):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), min(left, pause))
                pause = min(pause * 2, self._max_poll_s)
                order = await read(order_id)
            return order
        finally:
            waiters = self._waiting.get(order_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiting[order_id]


def _decided(order: Document | None) -> bool:
    return order is not None and order.get("status") not in UNDECIDED
