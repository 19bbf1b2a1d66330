"""How many requests the gateway works on at once, and what the others get.

Without a bound, an offered load above what the gateway and its store can serve does not
just queue: every request waits for MongoDB with every other, most of them miss their
deadline after doing part of their work, and the store spends itself on answers nobody gets.
Measured with the load of ``./dev bench gateway`` (2 cores, place-order intake, ~110-130
req/s at its maximum): at 200 req/s offered, 10 req/s were served and 94 % of the answers
were 503 after 2.4 s. With the bound below, 107-112 req/s were served and the rest refused at
once.

So at most ``slots`` requests are worked on at once. One arriving when every slot is taken
waits its turn (first come, first served) up to ``max_wait_s``; past that it is answered at
once with a 503 ``overloaded`` problem and ``Retry-After``, having cost the store nothing,
and the requests admitted keep their latency. Health probes are never held back: a busy
gateway is still alive and ready.

A route that waits for something other than work of its own (``POST /v1/orders`` waiting for
orders' decision) gives its slot back first (``release_slot``), so that waiting never keeps
a request that has work to do out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from allwan_gateway.domain.card_data import without_card_data
from allwan_gateway.entrypoints.errors import problem_response
from allwan_gateway.entrypoints.limits import HEALTH
from allwan_gateway.entrypoints.middleware import ASGIApp, Receive, Scope, Send
from allwan_gateway.entrypoints.schemas import problems

_RELEASE = "allwan.release_slot"


class Admission:
    def __init__(self, app: ASGIApp, *, slots: int, max_wait_s: float) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.app = app
        self.max_wait_s = max_wait_s
        self._slots = asyncio.Semaphore(slots)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(HEALTH):
            await self.app(scope, receive, send)
            return
        if not await self._enter():
            problem = problems.overloaded()
            await problem_response(problem, without_card_data(scope["path"]))(scope, receive, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._slots.release()

        scope[_RELEASE] = release
        try:
            await self.app(scope, receive, send)
        finally:
            release()

    async def _enter(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken without yielding
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._slots.acquire(), self.max_wait_s)
            return True
        return False


def release_slot(scope: Scope) -> None:
    """Give the request's slot back before a wait that is not work (no-op outside
    ``Admission``, and after the first call)."""
    release: Callable[[], None] | None = scope.get(_RELEASE)
    if release is not None:
        release()
