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


async def test_a_decision_projected_here_is_not_polled_for() -> None:
    model = ReadModel()
    decisions = Decisions(poll_s=0.01, max_poll_s=0.02, projected_here=lambda _: True)

    async def decide() -> None:
        await asyncio.sleep(0.3)
        model.status = "placed"
        decisions.notify("o-1")

    found, _ = await asyncio.gather(
        decisions.wait("o-1", model.read, 5.0, surely_pending=True), decide()
    )
    assert found is not None
    assert found["status"] == "placed"
    assert model.reads == 1  # the wake-up's; at a 10-20 ms poll, 15 reads or more otherwise


async def test_a_decision_held_here_that_never_comes_is_read_once_at_the_end() -> None:
    model = ReadModel()
    decisions = Decisions(poll_s=0.01, max_poll_s=0.02, projected_here=lambda _: True)
    started = time.monotonic()
    found = await decisions.wait("o-1", model.read, 0.3, surely_pending=True)
    assert time.monotonic() - started >= 0.3
    assert found is not None
    assert found["status"] == "pending"
    assert model.reads == 1


async def test_a_partition_moved_away_mid_wait_is_polled_again() -> None:
    model = ReadModel()
    here = {"o-1": True}
    decisions = Decisions(poll_s=0.01, max_poll_s=0.02, projected_here=lambda o: here[o])

    async def rebalance_then_decide_elsewhere() -> None:
        await asyncio.sleep(0.1)
        here["o-1"] = False  # another replica projects it now: no wake-up will come
        await asyncio.sleep(0.1)
        model.status = "placed"

    started = time.monotonic()
    found, _ = await asyncio.gather(
        decisions.wait("o-1", model.read, 5.0, surely_pending=True),
        rebalance_then_decide_elsewhere(),
    )
    assert found is not None
    assert found["status"] == "placed"
    assert time.monotonic() - started < 1.0


async def test_a_decision_projected_before_its_waiter_came_is_read_at_once() -> None:
    model = ReadModel()
    decisions = Decisions(poll_s=10.0, max_poll_s=10.0, projected_here=lambda _: True)
    model.status = "placed"
    decisions.notify("o-1")  # quicker than the request that waits for it
    started = time.monotonic()
    found = await decisions.wait("o-1", model.read, 5.0, surely_pending=True)
    assert found is not None
    assert found["status"] == "placed"
    assert time.monotonic() - started < 1.0
    assert model.reads == 1


def test_only_the_newest_decisions_are_remembered() -> None:
    decisions = Decisions(recent=2)
    for order_id in ("o-1", "o-2", "o-3", "o-2"):
        decisions.notify(order_id)
    assert decisions.notified == ["o-3", "o-2"]
