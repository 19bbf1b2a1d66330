"""Waiting, within a bound, for the decision about an order to reach the read model.

The projection signals each order it updated; a request waiting on that order wakes at once
and reads it. Whether this process's projection will see the decision at all is known from
the partitions it holds (``projected_here``, ``allwan_runtime.holdings``): when it will, the
waiter reads nothing until it is woken. When another replica holds the order's partition,
the waiter re-reads now and then, at growing intervals (``poll_s``, doubling up to
``max_poll_s``), and it asks again before each re-read, since a rebalance can move the
partition either way. Either way it answers within the bound, and a wait of 2 s costs a
handful of reads at most, not one per 100 ms.

A decision projected before its waiter came (a very quick one) is remembered for a while
(the ``recent`` newest order ids), so that waiter reads it at once instead of waiting for a
wake-up that came already.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from allwan_runtime.mongo import Document

UNDECIDED = frozenset({"pending"})
RECENT = 10_000


def _nowhere(_: str) -> bool:
    return False


class Decisions:
    def __init__(
        self,
        poll_s: float = 0.1,
        max_poll_s: float = 0.4,
        *,
        projected_here: Callable[[str], bool] = _nowhere,
        recent: int = RECENT,
    ) -> None:
        self._poll_s = poll_s
        self._max_poll_s = max_poll_s
        self.projected_here = projected_here
        """Whether this process's projection will see the order's next decision (set once
        its consumer is registered; until then, never: the waiter polls)."""
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._notified: OrderedDict[str, None] = OrderedDict()
        self._recent = recent

    @property
    def notified(self) -> list[str]:
        """The order ids whose decision was projected most recently, oldest first."""
        return list(self._notified)

    def notify(self, order_id: str) -> None:
        self._notified[order_id] = None
        self._notified.move_to_end(order_id)
        if len(self._notified) > self._recent:
            self._notified.popitem(last=False)
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
        read before the first wake-up or poll (unless its decision was projected already)."""
        deadline = time.monotonic() + within_s
        woken = asyncio.Event()
        self._waiting.setdefault(order_id, set()).add(woken)
        pause = self._poll_s
        try:
            early = surely_pending and order_id not in self._notified
            order = None if early else await read(order_id)
            while not _decided(order):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), min(left, pause))
                pause = min(pause * 2, self._max_poll_s)
                last = time.monotonic() >= deadline
                if woken.is_set() or last or not self.projected_here(order_id):
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
