from __future__ import annotations

from typing import ClassVar

import pytest
from allwan_contracts import (
    ALL_TOPICS,
    POLICIES,
    REGISTRY,
    Event,
    dead_letter_spec,
    dead_letter_topic,
    topic_spec,
)
from allwan_contracts.fields import OrderId


def test_topic_names_are_unique() -> None:
    names = [spec.name for spec in ALL_TOPICS]
    assert len(names) == len(set(names))


def test_pc1_policies_topic_has_one_partition_for_global_order() -> None:
    assert POLICIES.partitions == 1


@pytest.mark.parametrize("model", REGISTRY.event_classes, ids=lambda model: model.event_type)
def test_every_event_goes_to_a_known_topic_keyed_by_its_aggregate_id(model: type[Event]) -> None:
    assert model.topic in {spec.name for spec in ALL_TOPICS}
    assert topic_spec(model.topic).key == model.aggregate_id_field


def test_dead_letter_topic_is_per_consumer_group() -> None:
    assert dead_letter_topic("notifier") == "allwan.dlq.notifier"
    assert dead_letter_spec("orders.projector").name == "allwan.dlq.orders.projector"


@pytest.mark.parametrize("group", ["", "has space", "slash/y", "x" * 240])
def test_dead_letter_topic_refuses_a_group_kafka_cannot_name(group: str) -> None:
    with pytest.raises(ValueError, match="consumer group"):
        dead_letter_topic(group)


def test_an_event_on_an_unknown_topic_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="topic"):

        class Stray(Event):
            event_type: ClassVar[str] = "Stray"
            schema_version: ClassVar[int] = 1
            aggregate_type: ClassVar[str] = "order"
            aggregate_id_field: ClassVar[str] = "order_id"
            topic: ClassVar[str] = "allwan.elsewhere"

            order_id: OrderId


def test_an_event_keyed_unlike_its_topic_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="keyed by"):

        class Misrouted(Event):
            event_type: ClassVar[str] = "Misrouted"
            schema_version: ClassVar[int] = 1
            aggregate_type: ClassVar[str] = "order"
            aggregate_id_field: ClassVar[str] = "order_id"
            topic: ClassVar[str] = "allwan.consent"

            order_id: OrderId
