"""Waiting, within a bound, for the decision about an order to reach the read model.

The projection signals each order it updated; a request waiting on that order wakes at once.
Another replica may consume the decision instead, so the waiter also re-reads every
``poll_s``: either way it answers within the bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from allwan_runtime.mongo import Document

UNDECIDED = frozenset({"pending"})


class Decisions:
    def __init__(self, poll_s: float = 0.1) -> None:
        self._poll_s = poll_s
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def notify(self, order_id: str) -> None:
        for event in self._waiting.get(order_id, ()):
            event.set()

    async def wait(
        self,
        order_id: str,
        read: Callable[[str], Awaitable[Document | None]],
        within_s: float,
    ) -> Document | None:
        """The order once decided, or as it stands after ``within_s`` seconds."""
        deadline = time.monotonic() + within_s
        woken = asyncio.Event()
        self._waiting.setdefault(order_id, set()).add(woken)
        try:
            while True:
                order = await read(order_id)
                left = deadline - time.monotonic()
                if (order is not None and order.get("status") not in UNDECIDED) or left <= 0:
                    return order
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), min(left, self._poll_s))
        finally:
            waiters = self._waiting.get(order_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiting[order_id]
