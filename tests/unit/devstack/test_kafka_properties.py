"""The broker configuration of a one-node stack and of a three-node cluster, and the features
their storage is formatted with."""

from __future__ import annotations

from pathlib import Path

from allwan_devstack.kafka import server_properties, storage_features


def parsed(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_a_node_alone_keeps_one_copy_of_every_topic() -> None:
    alone = parsed(server_properties(data_dir=Path("/d"), port=9092, controller_port=9093))

    assert alone["node.id"] == "1"
    assert alone["controller.quorum.voters"] == "1@127.0.0.1:9093"
    replication = [key for key in alone if "replication.factor" in key]
    assert {alone[key] for key in replication} == {"1"}
    assert {alone[key] for key in alone if key.endswith(("min.insync.replicas", "min.isr"))} == {
        "1"
    }


def test_three_nodes_keep_three_copies_and_take_a_write_once_two_hold_it() -> None:
    voters = {1: 9093, 2: 9095, 3: 9097}
    second = parsed(
        server_properties(
            data_dir=Path("/d2"), port=9094, controller_port=9095, node_id=2, voters=voters
        )
    )

    assert second["node.id"] == "2"
    assert second["controller.quorum.voters"] == (
        "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"
    )
    assert second["listeners"] == "PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095"
    # Every topic, the internal ones too: a group's offsets survive a node down.
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "share.coordinator.state.topic.replication.factor",
    ):
        assert second[key] == "3", key
    for key in (
        "min.insync.replicas",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.min.isr",
    ):
        assert second[key] == "2", key


def test_a_dead_brokers_registration_lapses_within_a_second_on_four_heartbeats() -> None:
    alone = parsed(server_properties(data_dir=Path("/d"), port=9092, controller_port=9093))

    session = int(alone["broker.session.timeout.ms"])
    assert session <= 1000
    assert session // int(alone["broker.heartbeat.interval.ms"]) >= 4


def test_eligible_leader_replicas_are_off_for_one_node_and_left_on_for_three() -> None:
    # One node: its replica is the only one, so ELR could only delay its election.
    assert storage_features(1) == ("eligible.leader.replicas.version=0",)
    assert storage_features(3) == ()
