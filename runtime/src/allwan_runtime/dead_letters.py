"""Dead letters for operators: ``python -m allwan_runtime.dead_letters list|replay <group>``.

A record a consumer group could not handle waits in ``allwan.dlq.<group>`` with its reason
(``consumer.subscribe``). Once the cause is fixed (a deploy, a catalogue entry back), the
operator replays it: each chosen dead letter is published again to the topic it came from,
with its key and original headers, and the group reads it as if for the first time.

- ``list <group>``: counts by reason, event type and original topic, and how many are not
  replayed yet. Never a payload or a key: records hold personal references.
- ``replay <group> [--reason R]... [--dry-run]``: publish the not-yet-replayed dead letters
  (those of the given reasons; others are passed over), then remember how far it got in the
  consumer group ``allwan-dlq-replay.<group>``, so a second run replays nothing twice.

A replayed record reaches every group on its topic, not only the one that failed: handlers
are idempotent (``projection``, the event store's versions, the notifier's ledger), so the
groups that handled it the first time change nothing. Configured like a service
(``ALLWAN_KAFKA_BOOTSTRAP``, ``ALLWAN_KAFKA_TOPIC_PREFIX``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from allwan_contracts.topics import dead_letter_topic

from allwan_runtime.settings import RuntimeSettings
from allwan_runtime.wire import EVENT_TYPE

REPLAYED_FROM = "x-replayed-from"
_DEAD_LETTER_ONLY = ("x-dead-letter-", "x-original-", REPLAYED_FROM)
REASON = "x-dead-letter-reason"
ORIGINAL_TOPIC = "x-original-topic"


@dataclass
class Summary:
    """Dead letters by reason, event type and original topic.

    Listed: ``total`` held, of which ``replayed`` (behind the replay position) and
    ``pending``. Replayed: ``total`` past the replay position, ``pending`` of them chosen
    (by reason), ``replayed`` published; the counters describe the chosen ones.
    """

    total: int = 0
    pending: int = 0
    replayed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    event_types: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "pending": self.pending,
            "replayed": self.replayed,
            "reasons": dict(self.reasons),
            "event_types": dict(self.event_types),
            "topics": dict(self.topics),
        }


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    for key, value in record.headers:
        if key == name:
            return bytes(value).decode("utf-8", "replace")
    return ""


def _event_type(record: ConsumerRecord[bytes, bytes]) -> str:
    """The record's event type: its header, else its envelope's field (poison may have none)."""
    named = _header(record, EVENT_TYPE)
    if named:
        return named
    try:
        value = json.loads(record.value or b"")
    except ValueError:
        return "unreadable"
    kind = value.get("event_type") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) and kind.isidentifier() else "unknown"


def replay_group(group: str) -> str:
    """The consumer group that remembers how far the replays of ``group`` got."""
    return f"allwan-dlq-replay.{group}"


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    # Asked of the broker: a consumer's cached metadata may not know a topic created lately.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if not described or described[0].get("error_code", 0) != 0:
        raise LookupError(f"no dead-letter topic {topic}")
    return [int(p["partition"]) for p in described[0]["partitions"]]


async def _read(
    settings: RuntimeSettings, group: str
) -> tuple[AIOKafkaConsumer, list[ConsumerRecord[bytes, bytes]], dict[TopicPartition, int]]:
    """Every dead letter of ``group`` up to now, and where the replays stopped."""
    topic = settings.kafka_topic_prefix + dead_letter_topic(group)
    partitions = await _partitions(settings.kafka_bootstrap, topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=replay_group(group),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    committed = {tp: (await consumer.committed(tp)) or 0 for tp in assigned}
    await consumer.seek_to_beginning(*assigned)
    ends = await consumer.end_offsets(assigned)
    records: list[ConsumerRecord[bytes, bytes]] = []
    while any([await consumer.position(tp) < end for tp, end in ends.items()]):
        batch = await consumer.getmany(*assigned, timeout_ms=500)
        for tp, part in batch.items():
            records.extend(r for r in part if r.offset < ends[tp])
    return consumer, records, committed


async def summarise(settings: RuntimeSettings, group: str) -> Summary:
    """Count ``group``'s dead letters; nothing is published or committed."""
    consumer, records, committed = await _read(settings, group)
    await consumer.stop()
    summary = Summary()
    for record in records:
        summary.total += 1
        done = record.offset < committed[TopicPartition(record.topic, record.partition)]
        summary.replayed += done
        summary.pending += not done
        summary.reasons[_header(record, REASON) or "unknown"] += 1
        summary.event_types[_event_type(record)] += 1
        summary.topics[_header(record, ORIGINAL_TOPIC) or "unknown"] += 1
    return summary


async def replay(
    settings: RuntimeSettings,
    group: str,
    reasons: Collection[str] = (),
    *,
    dry_run: bool = False,
) -> Summary:
    """Publish ``group``'s pending dead letters (of ``reasons``, or all) to their original
    topics, in their order per partition, and remember the position after each one."""
    consumer, records, committed = await _read(settings, group)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    summary = Summary()
    try:
        for record in sorted(records, key=lambda r: (r.partition, r.offset)):
            tp = TopicPartition(record.topic, record.partition)
            if record.offset < committed[tp]:
                continue
            reason, target = _header(record, REASON), _header(record, ORIGINAL_TOPIC)
            summary.total += 1
            if (reasons and reason not in reasons) or not target:
                continue
            summary.pending += 1
            summary.reasons[reason] += 1
            summary.event_types[_event_type(record)] += 1
            summary.topics[target] += 1
            if dry_run:
                continue
            headers = [
                (name, value)
                for name, value in record.headers
                if not name.startswith(_DEAD_LETTER_ONLY)
            ]
            origin = f"{record.topic}:{record.partition}:{record.offset}"
            headers.append((REPLAYED_FROM, origin.encode()))
            await producer.send_and_wait(
                target, value=record.value, key=record.key, headers=headers
            )
            # Published, then remembered: a crash in between replays it once more, which
            # idempotent handlers absorb; the other way round could lose it.
            await consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
            summary.replayed += 1
    finally:
        await producer.stop()
        await consumer.stop()
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m allwan_runtime.dead_letters", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="count a group's dead letters (no payloads)")
    listing.add_argument("group", help="the consumer group, e.g. orders.intake")
    again = commands.add_parser("replay", help="publish a group's dead letters again")
    again.add_argument("group", help="the consumer group, e.g. orders.intake")
    again.add_argument("--reason", action="append", default=[], help="only this reason")
    again.add_argument("--dry-run", action="store_true", help="count, publish nothing")
    args = parser.parse_args(argv)
    settings = RuntimeSettings()
    try:
        if args.command == "list":
            summary = asyncio.run(summarise(settings, args.group))
        else:
            summary = asyncio.run(replay(settings, args.group, args.reason, dry_run=args.dry_run))
    except (LookupError, ValueError) as error:
        print(f"dead_letters: {error!s}", file=sys.stderr)
        return 2
    print(json.dumps(summary.as_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
