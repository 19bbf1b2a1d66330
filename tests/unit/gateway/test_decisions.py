"""Waiting for an order's decision: woken at once by this process's projection, polling the
read model rarely for a decision another replica projected, never reading a new order before
there can be anything to read."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from allwan_gateway.adapters.decisions import Decisions


class ReadModel:
    def __init__(self) -> None:
        self.status = "pending"
        self.reads = 0

    async def read(self, order_id: str) -> dict[str, Any] | None:
        self.reads += 1
        return {"order_id": order_id, "status": self.status}


async def test_a_new_order_with_no_time_to_wait_is_not_read() -> None:
    model = ReadModel()
    found = await Decisions().wait("o-1", model.read, 0.0, surely_pending=True)
    assert found is None
    assert model.reads == 0


async def test_a_retried_order_already_decided_is_answered_from_one_read() -> None:
    model = ReadModel()
    model.status = "placed"
    found = await Decisions().wait("o-1", model.read, 2.0)
    assert found is not None
    assert found["status"] == "placed"
    assert model.reads == 1


async def test_an_undecided_order_is_polled_at_growing_intervals() -> None:
    model = ReadModel()
    started = time.monotonic()
    found = await Decisions(poll_s=0.05, max_poll_s=0.2).wait(
        "o-1", model.read, 0.8, surely_pending=True
    )
    assert time.monotonic() - started >= 0.8
    assert found is not None
    assert found["status"] == "pending"  # as it stands at the end of the bound
    # 0.05, 0.15, 0.35, 0.55, 0.75, 0.8: six reads, where a fixed 50 ms poll made sixteen.
    assert model.reads <= 6


async def test_the_projection_wakes_the_waiter_at_once() -> None:
    model = ReadModel()
    decisions = Decisions(poll_s=10.0, max_poll_s=10.0)  # only a wake-up can end it early

    async def decide() -> None:
        await asyncio.sleep(0.05)
        model.status = "placed"
        decisions.notify("o-1")

    started = time.monotonic()
    found, _ = await asyncio.gather(
        decisions.wait("o-1", model.read, 5.0, surely_pending=True), decide()
    )
    assert found is not None
    assert found["status"] == "placed"
    assert time.monotonic() - started < 1.0
    assert model.reads == 1
