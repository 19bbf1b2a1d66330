"""The chaos bench's reading of a Kafka cluster between faults, and of the load a fault cost."""

from __future__ import annotations

from typing import Any

import pytest

from bench.chaos import Fault, _losses, losses, per_second, unsynced


def partition(index: int, leader: int, replicas: list[int], isr: list[int]) -> dict[str, Any]:
    return {"partition": index, "leader": leader, "replicas": replicas, "isr": isr}


def test_a_partition_short_of_a_replica_or_a_leader_is_counted_until_all_are_back() -> None:
    catching_up = partition(1, 2, [2, 3, 1], [2, 1])  # node 3 restarted, catching up
    leaderless = partition(0, -1, [3, 1, 2], [])
    topics: list[dict[str, Any]] = [
        {
            "topic": "allwan.orders",
            "partitions": [partition(0, 1, [1, 2, 3], [3, 1, 2]), catching_up],
        },
        {"topic": "allwan.webhooks", "partitions": [leaderless]},
    ]

    assert unsynced(topics) == 2

    catching_up["isr"] = [2, 3, 1]
    leaderless.update(leader=3, isr=[1, 2, 3])
    assert unsynced(topics) == 0


def test_a_fault_costs_its_window_less_the_time_the_fault_free_rate_needs_for_its_orders() -> None:
    # Fault-free: 2 orders/s. A service killed at 10 s: 4 orders in its 8 s window (2 s of
    # load). Kafka killed at 18 s: none until 21 s, then 2/s until the last at 25.5 s.
    service, kafka = Fault("service", "orders", 10.0), Fault("kafka", "kafka", 18.0)
    activations = [1.0, 9.9, 11.0, 12.0, 16.0, 17.9, 21.0, 21.5, 22.0, 25.5]

    losses([kafka, service], activations, rate=2.0)

    assert service.loss_s == pytest.approx(8.0 - 4 / 2.0)
    assert kafka.loss_s == pytest.approx(7.5 - 4 / 2.0)
    by_kind = _losses([service, kafka])
    assert by_kind["service"] == {"count": 1, "mean_s": 6.0, "total_s": 6.0}
    assert by_kind["all"] == {"count": 2, "mean_s": 5.75, "total_s": 11.5}


def test_no_loss_is_reckoned_without_a_fault_free_rate() -> None:
    fault = Fault("mongo", "mongo", 3.0)

    losses([fault], [1.0, 4.0], rate=0.0)

    assert fault.loss_s is None
    assert _losses([fault])["all"] == {"count": 0, "mean_s": None, "total_s": 0}


def test_activations_are_counted_per_second_of_the_load() -> None:
    assert per_second([0.2, 0.9, 3.5, 1.0]) == [2, 1, 0, 1]
    assert per_second([]) == []
