"""The FastStream wiring of a consumer, on FastStream's in-memory Kafka broker."""

from __future__ import annotations

import uuid
from typing import Any

from allwan_contracts import ConsentGranted, encode, new_envelope
from allwan_contracts.consent import ConsentEvidence, ConsentPurpose
from allwan_contracts.envelope import Envelope
from allwan_contracts.fields import Channel
from allwan_runtime.consumer import subscribe
from allwan_runtime.dispatch import Dispatcher
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage


def granted(customer: str) -> bytes:
    event = ConsentGranted(
        customer_id=customer,
        purpose=ConsentPurpose.MARKETING,
        channel=Channel.EMAIL,
        policy_version=2,
        recorded_by="staff:7",
        evidence=ConsentEvidence(message_reference="mail-123"),
    )
    envelope = new_envelope(event, aggregate_version=1, producer="t", correlation_id=uuid.uuid4())
    return encode(envelope)


async def test_poison_is_published_to_the_groups_dead_letter_topic_with_reason() -> None:
    broker = KafkaBroker()
    handled: list[str] = []

    async def handler(envelope: Envelope, event: Any) -> None:
        handled.append(event.customer_id)

    subscribe(
        broker,
        group="g1",
        topics=["allwan.consent"],
        dispatcher=Dispatcher({ConsentGranted: handler}),
    )
    letters: list[tuple[bytes, dict[str, str]]] = []

    @broker.subscriber("allwan.dlq.g1")
    async def dlq(message: KafkaMessage) -> None:
        letters.append((message.body, dict(message.headers)))

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"garbage", "allwan.consent", key=b"c-9", headers={"origin": "x"})
        await test_broker.publish(granted("c-9"), "allwan.consent", key=b"c-9")

    assert handled == ["c-9"]
    assert [body for body, _ in letters] == [b"garbage"]
    headers = letters[0][1]
    assert headers["x-dead-letter-reason"] == "not_json"
    assert headers["x-dead-letter-group"] == "g1"
    assert headers["origin"] == "x"


async def test_within_one_batch_poison_is_set_aside_and_the_records_around_it_are_handled() -> None:
    broker = KafkaBroker()
    handled: list[str] = []

    async def handler(envelope: Envelope, event: Any) -> None:
        handled.append(event.customer_id)

    subscribe(
        broker,
        group="g2",
        topics=["allwan.consent"],
        dispatcher=Dispatcher({ConsentGranted: handler}),
    )
    letters: list[bytes] = []

    @broker.subscriber("allwan.dlq.g2")
    async def dlq(message: KafkaMessage) -> None:
        letters.append(message.body)

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(
            granted("c-1"), b"garbage", granted("c-2"), topic="allwan.consent"
        )

    assert handled == ["c-1", "c-2"]
    assert letters == [b"garbage"]
