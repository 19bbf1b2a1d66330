"""Poison on every topic the services consume, against the running system.

For each (topic, consumer group) pair the services register (read from their own bootstrap
code by ``tests.e2e.consumers``, so a new consumer is covered without a change here), poison
records go onto the topic under a key of this test's own: bytes that are not JSON, JSON that
is not an envelope, an event type no contract defines, and, for event types the groups on
the topic handle, a schema version newer than the contracts know and a payload that breaks
its contract. Then a valid record follows on the same key (same partition).

Each group must set each poison record it is owed aside in its own dead-letter topic exactly
once, with the reason the contracts give, and go on: its committed offset passes the valid
record. Which records a group owes follows ``Dispatcher``'s rules: malformed records and
unknown types are poison for every group; a known type is read (and found too new or
invalid) only by a group with a handler for it, the others skip it. The valid record is of
a type no group on its topic handles, so the poison changes no state of the running system
and leaves other tests on it undisturbed.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import RecordMetadata
from allwan_contracts import REGISTRY, encode, event_class, new_envelope
from allwan_contracts.envelope import Envelope
from allwan_contracts.topics import dead_letter_topic
from allwan_devstack.system import SERVICES
from pydantic import ValidationError

from tests.e2e.conftest import RunningSystem
from tests.integration.conftest import read_to_end
from tests.unit.contracts.factories import SAMPLES
from tests.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Consumer:
    """One consumer group: its id, the topics it reads (contract names), what it handles."""

    group: str
    topics: tuple[str, ...]
    handles: frozenset[str]


@dataclass(frozen=True)
class Poison:
    """A record that ``owed_by`` must dead-letter with ``reason``."""

    reason: str
    value: bytes
    owed_by: frozenset[str]


def registered_consumers(system: RunningSystem) -> list[Consumer]:
    """The consumer groups of the running system, as its services' code registers them."""
    environments = {
        service: system.runner.environment(service, 0, system.extra_env)
        | {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}
        for service in SERVICES
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.consumers"],
        input=json.dumps(environments),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [
        Consumer(found["group"], tuple(found["topics"]), frozenset(found["handles"]))
        for found in json.loads(done.stdout)
    ]


def _envelope(
    event_type: str, version: int, aggregate_type: str, key: str, payload: Mapping[str, object]
) -> bytes:
    return encode(
        Envelope(
            event_type=event_type,
            schema_version=version,
            aggregate_type=aggregate_type,
            aggregate_id=key,
            aggregate_version=1,
            producer="poison-test",
            correlation_id=uuid.uuid4(),
            payload=dict(payload),
        )
    )


def covering_types(topic: str, groups: Sequence[Consumer]) -> list[str]:
    """Few event types that, between them, every group on ``topic`` handles; the topic's own
    types first."""
    candidates = sorted(
        set().union(*(group.handles for group in groups)),
        key=lambda event_type: (event_class(event_type).topic != topic, event_type),
    )
    uncovered = {group.group for group in groups if group.handles}
    chosen: list[str] = []
    while uncovered:
        reach = {
            event_type: len({g.group for g in groups if event_type in g.handles} & uncovered)
            for event_type in candidates
        }
        best = max(candidates, key=reach.__getitem__)
        chosen.append(best)
        uncovered -= {group.group for group in groups if best in group.handles}
    return chosen


def poison_for(topic: str, key: str, groups: Sequence[Consumer]) -> list[Poison]:
    everyone = frozenset(group.group for group in groups)
    records = [
        Poison("not_json", b"\xff\xfe\x00 poison", everyone),
        Poison("invalid_envelope", json.dumps({"event_type": "OrderPlaced"}).encode(), everyone),
        Poison("unknown_event_type", _envelope("NoSuchEvent", 1, "order", key, {}), everyone),
    ]
    for event_type in covering_types(topic, groups):
        model = event_class(event_type)
        owed = frozenset(group.group for group in groups if event_type in group.handles)
        newer = _envelope(event_type, model.schema_version + 1, model.aggregate_type, key, {})
        # The id field as a list: no model accepts it, whatever defaults its other fields have.
        broken = {model.aggregate_id_field: ["poison"]}
        invalid = _envelope(event_type, model.schema_version, model.aggregate_type, key, broken)
        records += [
            Poison("schema_version_too_new", newer, owed),
            Poison("invalid_payload", invalid, owed),
        ]
    return records


def valid_unhandled(topic: str, key: str, groups: Sequence[Consumer]) -> bytes:
    """A valid event keyed ``key`` of a type no group on ``topic`` handles."""
    handled = set().union(*(group.handles for group in groups))
    for model in REGISTRY.event_classes:
        if model.event_type in handled:
            continue
        sample = SAMPLES[model]
        try:
            event = model.model_validate(sample.model_dump() | {model.aggregate_id_field: key})
        except ValidationError:
            continue  # an id field this key does not fit
        envelope = new_envelope(
            event, aggregate_version=1, producer="poison-test", correlation_id=uuid.uuid4()
        )
        return encode(envelope)
    pytest.fail(f"every event type is handled on {topic}: no record can pass by unnoticed")


Place = tuple[str, int, int]
"""(topic, partition, offset) of a record."""


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    return next((value.decode() for key, value in record.headers if key == name), "")


async def test_each_group_dead_letters_every_poison_record_once_with_its_reason_and_goes_on(
    system: RunningSystem,
) -> None:
    began = time.monotonic()
    consumers = registered_consumers(system)
    assert consumers, "no consumer group found in the services' code"
    by_topic: dict[str, list[Consumer]] = {}
    for consumer in consumers:
        for topic in consumer.topics:
            by_topic.setdefault(topic, []).append(consumer)
    prefix = system.extra_env["ALLWAN_KAFKA_TOPIC_PREFIX"]
    bootstrap = system.servers.kafka_bootstrap
    run = f"poison{uuid.uuid4().hex[:8]}"
    owed: dict[str, dict[Place, str]] = {consumer.group: {} for consumer in consumers}
    later: dict[str, RecordMetadata] = {}
    sent = 0
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for n, (topic, groups) in enumerate(sorted(by_topic.items())):
            key = f"{run}-{n}"
            for poison in poison_for(topic, key, groups):
                meta = await producer.send_and_wait(prefix + topic, poison.value, key=key.encode())
                sent += 1
                for group in poison.owed_by:
                    owed[group][(meta.topic, meta.partition, meta.offset)] = poison.reason
            later[topic] = await producer.send_and_wait(
                prefix + topic, valid_unhandled(topic, key, groups), key=key.encode()
            )
    finally:
        await producer.stop()

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def all_went_on() -> bool:
            for consumer in consumers:
                places = [
                    TopicPartition(later[t].topic, later[t].partition) for t in consumer.topics
                ]
                committed = await admin.list_consumer_group_offsets(
                    consumer.group, partitions=places
                )
                for topic in consumer.topics:
                    mark = committed.get(TopicPartition(later[topic].topic, later[topic].partition))
                    if mark is None or mark.offset <= later[topic].offset:
                        return False
            return True

        await eventually(all_went_on, timeout=30, what="every group past the valid record")
    finally:
        await admin.close()

    keys = {f"{run}-{n}".encode() for n in range(len(by_topic))}
    letters = await asyncio.gather(
        *(read_to_end(bootstrap, prefix + dead_letter_topic(c.group)) for c in consumers)
    )
    for consumer, records in zip(consumers, letters, strict=True):
        mine = [record for record in records if record.key in keys]
        found = Counter(
            (
                (
                    _header(record, "x-original-topic"),
                    int(_header(record, "x-original-partition")),
                    int(_header(record, "x-original-offset")),
                ),
                _header(record, "x-dead-letter-reason"),
            )
            for record in mine
        )
        assert found == Counter(owed[consumer.group].items()), consumer.group
    pairs = sum(len(groups) for groups in by_topic.values())
    dead = sum(len(places) for places in owed.values())
    print(
        f"\npoison: {sent} records on {len(by_topic)} topics, {pairs} (topic, group) pairs, "
        f"{dead} dead letters, each once with its reason; every group went on "
        f"({time.monotonic() - began:.1f}s)"
    )
