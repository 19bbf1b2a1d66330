"""The dev stack with a Kafka cluster of three nodes: one node down stops no write.

Production runs three KRaft nodes with every topic replicated to three and a write taken
once two hold it (``deploy/k8s/overlays/prod/kafka-patch.yaml``); ``DevStack(kafka_nodes=3)``
and ``devstack up --kafka-nodes 3`` run the same shape locally, which the chaos bench uses.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from allwan_devstack import DevStack, DevStackError, cli, provision
from allwan_devstack.stack import kafka_node_names

from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    provision()
    with DevStack(tmp_path_factory.mktemp("cluster"), kafka_nodes=3) as started:
        yield started
    assert not any(started.status().values()), "servers still running after stop()"


async def brokers(bootstrap: str) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    return {broker["node_id"] for broker in cluster["brokers"]}


async def test_the_stack_runs_three_nodes_and_another_process_finds_them(
    cluster: DevStack,
) -> None:
    endpoints = cluster.endpoints

    assert len(endpoints.kafka_bootstrap.split(",")) == 3
    assert endpoints.kafka_replication_factor == 3
    assert endpoints.as_env()["ALLWAN_KAFKA_REPLICATION_FACTOR"] == "3"
    assert await brokers(endpoints.kafka_bootstrap) == {1, 2, 3}
    # `devstack status` / `down` in another process see the same servers.
    assert (
        DevStack(cluster.state_dir).servers
        == cluster.servers
        == (
            "kafka",
            "kafka-2",
            "kafka-3",
            "mongo",
            "smtp",
        )
    )
    assert all(cluster.status().values())
    # Asking the running cluster for another count is refused, not half-applied.
    with pytest.raises(DevStackError, match=r"runs 3 Kafka node\(s\), not 1"):
        DevStack(cluster.state_dir, kafka_nodes=1).restart_stopped()


async def test_a_node_killed_stops_no_write_and_up_restarts_that_node_alone(
    cluster: DevStack,
) -> None:
    bootstrap = cluster.endpoints.kafka_bootstrap
    topic = f"cluster-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=3)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"before", partition=0)
        leader = producer.client.cluster.leader_for_partition(TopicPartition(topic, 0))
        assert leader in {1, 2, 3}
        victim = kafka_node_names(3)[leader - 1]
        before = cluster.status()
        victim_pid = before[victim]
        assert victim_pid is not None
        os.kill(victim_pid, signal.SIGKILL)

        # The leader of partition 0 is gone: its writes move to another replica.
        for partition in range(3):
            await asyncio.wait_for(
                producer.send_and_wait(topic, b"after", partition=partition), timeout=60
            )
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        values: list[bytes] = []
        async with asyncio.timeout(60):
            while len(values) < 4:
                batches = await consumer.getmany(timeout_ms=1000)
                values += [record.value or b"" for batch in batches.values() for record in batch]
    finally:
        await consumer.stop()
    assert sorted(values) == [b"after"] * 3 + [b"before"]

    async def dead() -> bool:
        return cluster.status()[victim] is None

    await eventually(dead, what=f"{victim} gone after SIGKILL")
    code = await asyncio.to_thread(cli.main, ["--state-dir", str(cluster.state_dir), "up"])

    after = cluster.status()
    assert code == 0
    assert after[victim] not in (None, victim_pid)
    assert {name: pid for name, pid in after.items() if name != victim} == {
        name: pid for name, pid in before.items() if name != victim
    }

    async def rejoined() -> bool:
        return await brokers(bootstrap) == {1, 2, 3}

    await eventually(rejoined, what="the restarted node back in the cluster")


def test_a_state_dir_of_one_node_is_not_started_as_three(tmp_path: Path) -> None:
    """The nodes' data belong to one cluster: a node of another would never join it."""
    formatted = tmp_path / "kafka" / "data" / "meta.properties"
    formatted.parent.mkdir(parents=True)
    formatted.write_text("node.id=1\n")
    stack = DevStack(tmp_path, kafka_nodes=3)

    with pytest.raises(DevStackError, match=r"that of 1 node\(s\), not 3.*--purge"):
        stack.start(timeout=30)

    assert not any(stack.status().values())


async def test_a_server_killed_while_a_kafka_node_restarts_does_not_wait_for_that_node(
    cluster: DevStack,
) -> None:
    """Two servers down at once are restarted side by side: FerretDB is back in a second
    while a Kafka node still recovers its logs (seconds), as the chaos bench needs."""
    node = cluster.status()["kafka-3"]
    assert node is not None
    os.kill(node, signal.SIGKILL)

    async def node_respawned() -> bool:
        return cluster.status()["kafka-3"] not in (None, node)

    async def node_dead() -> bool:
        return cluster.status()["kafka-3"] is None

    await eventually(node_dead, what="kafka-3 gone after SIGKILL")
    node_back = asyncio.create_task(asyncio.to_thread(cluster.restart_stopped))
    await eventually(node_respawned, what="kafka-3 spawned again")
    mongo = cluster.status()["mongo"]
    assert mongo is not None
    os.kill(mongo, signal.SIGKILL)

    async def mongo_dead() -> bool:
        return cluster.status()["mongo"] is None

    await eventually(mongo_dead, what="FerretDB gone after SIGKILL")
    assert await asyncio.to_thread(cluster.restart_stopped) == ["mongo"]
    assert not node_back.done(), "FerretDB's restart waited for the Kafka node's"
    assert await node_back == ["kafka-3"]
