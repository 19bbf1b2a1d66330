"""Readiness rules, without servers: lag that does not move, failing checks, timeouts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from allwan_runtime.health import Health, LagProbe

TP = TopicPartition("allwan.orders", 0)


@dataclass
class FakeConsumer:
    """Just what LagProbe reads of an AIOKafkaConsumer."""

    positions: dict[TopicPartition, int] = field(default_factory=lambda: {TP: 10})
    highwaters: dict[TopicPartition, int] = field(default_factory=lambda: {TP: 10})

    def assignment(self) -> set[TopicPartition]:
        return set(self.positions)

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters[tp]


async def test_a_consumer_with_lag_that_does_not_move_becomes_not_ready() -> None:
    consumer = FakeConsumer()
    probe = LagProbe(lambda: consumer, stuck_after_s=0.05)
    await probe()
    consumer.highwaters[TP] = 15  # new records arrive...
    await probe()
    await asyncio.sleep(0.1)  # ...and the position stays where it was
    with pytest.raises(RuntimeError, match="no progress"):
        await probe()
    consumer.positions[TP] = 12  # it moves again
    await probe()


async def test_a_consumer_working_through_a_backlog_one_partition_at_a_time_stays_ready() -> None:
    later = TopicPartition("allwan.orders", 1)
    consumer = FakeConsumer(positions={TP: 10, later: 10}, highwaters={TP: 50, later: 50})
    probe = LagProbe(lambda: consumer, stuck_after_s=0.05)
    await probe()
    for _ in range(4):  # the first partition is read; the other one waits its turn
        await asyncio.sleep(0.03)
        consumer.positions[TP] += 10
        await probe()


async def test_a_consumer_that_lagged_while_kafka_was_down_is_ready_at_its_first_record() -> None:
    consumer = FakeConsumer(highwaters={TP: 15})
    probe = LagProbe(lambda: consumer, stuck_after_s=0.05)
    await probe()
    await asyncio.sleep(0.1)  # the broker is away: nothing moves
    with pytest.raises(RuntimeError, match="no progress"):
        await probe()
    consumer.positions[TP] = 11  # back: one record read, four still to go
    await probe()


async def test_an_idle_consumer_without_lag_stays_ready() -> None:
    consumer = FakeConsumer()
    probe = LagProbe(lambda: consumer, stuck_after_s=0.01)
    await probe()
    await asyncio.sleep(0.05)
    await probe()


async def test_a_stopped_consumer_is_not_ready() -> None:
    probe = LagProbe(lambda: None, stuck_after_s=1)
    with pytest.raises(RuntimeError, match="not running"):
        await probe()


async def test_readiness_reports_each_check_and_bounds_slow_ones() -> None:
    health = Health(timeout_s=0.05)

    async def fine() -> None:
        return None

    async def broken() -> None:
        raise ConnectionError("refused")

    async def hanging() -> None:
        await asyncio.sleep(10)

    health.add("mongodb", fine)
    health.add("kafka", broken)
    health.add("consumer", hanging)
    assert await health.readiness() == {
        "mongodb": "ok",
        "kafka": "ConnectionError: refused",
        "consumer": "timeout",
    }


async def test_the_ready_route_answers_503_when_a_check_fails() -> None:
    health = Health()

    async def broken() -> None:
        raise RuntimeError("no metadata")

    health.add("kafka", broken)
    routes = dict(health.asgi_routes())
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    await routes["/health/ready"]({"type": "http"}, receive, send)
    assert sent[0]["status"] == 503
    await routes["/health/live"]({"type": "http"}, receive, send)
    assert sent[2]["status"] == 200


@dataclass
class FlickeringConsumer(FakeConsumer):
    """A partition whose offset is being looked up again and again (a broker that just came
    back) has a position on some probes and none on others."""

    calls: int = 0

    async def position(self, tp: TopicPartition) -> int:
        if tp == OTHER:
            self.calls += 1
            if self.calls % 2:
                await asyncio.sleep(3600)  # no position yet: the probe gives up on it
        return self.positions[tp]


OTHER = TopicPartition("allwan.orders", 1)


async def test_a_partition_that_has_a_position_only_now_and_then_is_not_taken_for_progress() -> (
    None
):
    consumer = FlickeringConsumer(positions={TP: 10, OTHER: 0}, highwaters={TP: 10, OTHER: 0})
    probe = LagProbe(lambda: consumer, stuck_after_s=1.0)
    await probe()
    consumer.highwaters[TP] = 15  # records wait on one partition; the other flickers
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    reason = ""
    while not reason and loop.time() < deadline:
        try:
            await probe()
        except RuntimeError as stuck:
            reason = str(stuck)
    assert "no progress on 1 lagging" in reason, "a flickering partition hid a stuck consumer"
