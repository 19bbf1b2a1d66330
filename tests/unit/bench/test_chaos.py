"""The chaos bench's reading of a Kafka cluster between faults."""

from __future__ import annotations

from typing import Any

from bench.chaos import unsynced


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
