"""FastStream subscribers with at-least-once delivery, one offset commit per batch, and a
dead-letter topic.

A consumer takes up to ``Batching.max_records`` records from Kafka at once and hands them to
the dispatcher one at a time, each partition's in order. The batch is committed once, when
it is done: Kafka 4.1 holds each offset commit for ``group.coordinator.append.linger.ms``
(5 ms), so a commit per record capped a consumer near 150 records/s.

What is committed is what was handled, ignored or dead-lettered, and nothing past it:
- a record whose transient failure outlasts its retries (``StillFailing``) stops its
  partition for the rest of the batch, and the partition is rewound to it, so it is
  delivered again; the other partitions go on;
- at shutdown, or once a batch has run ``Batching.max_s``, the record in hand is finished and
  every partition is rewound to its first record not handled;
- the commit covers the batch's own partitions, each at its first record not done or past
  its last (``_commit``, which stands for FastStream's acknowledgement; auto-commit off). An
  error escaping the batch makes FastStream rewind every partition to the batch's start.
A crash before the commit delivers the whole batch again, so handlers must be idempotent
(see ``projection``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any, cast

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError
from allwan_contracts.topics import dead_letter_topic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.message import AckStatus, StreamMessage
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from allwan_runtime.batches import consume_batch
from allwan_runtime.dispatch import DeadLetter, Dispatcher
from allwan_runtime.wire import headers_to_text

log = structlog.get_logger(__name__)
_tracer = trace.get_tracer(__name__)
_POLL_MS = 500
"""How long an idle consumer waits for records in one poll; it answers as soon as one comes."""
LOOP_RESTART_PAUSE_S = 1.0
"""How long a consume loop that failed waits before FastStream may restart it."""


@dataclass(frozen=True)
class Membership:
    """How a consumer takes part in its group (aiokafka's own defaults unless set).

    ``instance_id`` makes it a static member (KIP-345): a process restarted under the same
    id gets its partitions back at once, without a rebalance, where a new member would wait
    for the dead one's session to expire. A static member does not leave its group when it
    stops, so its partitions wait ``session_timeout_s`` for it to come back.
    """

    instance_id: str | None = None
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 3.0


@dataclass(frozen=True)
class Batching:
    """How many records a consumer takes at once, and how long it works on them.

    One offset commit covers a batch. ``max_s`` bounds a batch of slow records: past it no
    further record is started, what was handled is committed and the rest is read again, so
    the consumer's progress stays visible (``health.LagProbe``) and a crash re-delivers little.
    """

    max_records: int = 500
    max_s: float = 5.0
    partitions_at_once: int = 1
    """Partitions of a batch worked on at once, each in order (``batches.consume_batch``)."""


async def _commit(message: KafkaMessage, offsets: dict[TopicPartition, int]) -> None:
    """Commit the batch's own partitions, instead of FastStream's commit of every partition
    assigned: each partition committed is a record in ``__consumer_offsets`` (12 per commit
    for ``allwan.orders``, most of them unchanged), which a restarted broker reads back
    before any group can join. A partition revoked meanwhile is its new owner's."""
    consumer = message.consumer
    if isinstance(consumer, AIOKafkaConsumer):  # FastStream's test broker has no offsets
        assigned = consumer.assignment()
        mine = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if mine:
            await consumer.commit(mine)
    message.committed = AckStatus.ACKED  # FastStream's acknowledgement commits nothing more


@contextlib.contextmanager
def _record_span(record: ConsumerRecord) -> Iterator[trace.Span]:
    """A consumer span for one record of a batch, in the trace its producer started.

    FastStream traces a batch as a whole, in a trace of its own linked to its records'; this
    span puts the record's handling, and the MongoDB writes it makes, back in the trace that
    the record's W3C ``traceparent`` header carries. It links to the batch span.
    """
    batch = trace.get_current_span().get_span_context()
    parent = propagate.extract(headers_to_text(record.headers), context=otel_context.get_current())
    with _tracer.start_as_current_span(
        f"{record.topic} process",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        links=[trace.Link(batch)] if batch.is_valid else None,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation": "process",
            "messaging.destination.name": record.topic,
            "messaging.kafka.destination.partition": record.partition,
            "messaging.kafka.message.offset": record.offset,
        },
    ) as span:
        yield span


class _PromptBatchSubscriber(BatchSubscriber):
    """FastStream's batch subscriber without its pause after an empty poll.

    ``getmany`` already waits up to ``batch_timeout_ms`` and answers as soon as a record
    comes; FastStream's loop then sleeps as long again, so on an idle consumer a record that
    arrived in that pause waited up to the whole pause, on every hop of a request's path.
    """

    __slots__ = ()

    async def _run_consume_loop(self, consumer: AIOKafkaConsumer) -> None:
        """FastStream's consume loop, ended no sooner than ``LOOP_RESTART_PAUSE_S`` after it
        failed.

        FastStream restarts a failed loop at once, with the same client, and keeps every task
        it started: a loop failing at each start (a client broken for good) spun the event
        loop, and every MongoDB call of the process then missed its deadline. Paced, it is
        restarted once a second at most; ``supervisor.ConsumerSupervisor`` sees the ended task
        and restarts the subscriber with a new client (and an empty task list).
        """
        try:
            await super()._run_consume_loop(consumer)
        except Exception:
            await asyncio.sleep(LOOP_RESTART_PAUSE_S)
            raise

    async def get_msg(self, consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord, ...]:
        batches = await consumer.getmany(
            timeout_ms=self.batch_timeout_ms, max_records=self.max_records
        )
        return tuple(chain.from_iterable(batches.values()))


async def _parse_batch(
    records: Sequence[ConsumerRecord],
    parse: Callable[[tuple[ConsumerRecord, ...]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    # FastStream decodes every header as strict UTF-8; one record with a header that is not
    # would fail the whole batch before any handler saw it, and nothing would rewind it.
    return await parse(tuple(_with_text_headers(record) for record in records))


def _with_text_headers(record: ConsumerRecord) -> ConsumerRecord:
    try:
        for _, value in record.headers:
            value.decode()
    except (UnicodeDecodeError, AttributeError):
        text = headers_to_text([(name, value or b"") for name, value in record.headers])
        return dataclasses.replace(record, headers=[(n, v.encode()) for n, v in text.items()])
    return record


async def _raw_bodies(message: StreamMessage[Any]) -> Any:
    # Decoding is ours (allwan_contracts.decode), so poison bytes reach the dispatcher.
    return message.body


def subscribe(
    broker: KafkaBroker,
    *,
    group: str,
    topics: Sequence[str],
    dispatcher: Dispatcher,
    description: str = "",
    dead_letters: str | None = None,
    membership: Membership | None = None,
    batching: Batching | None = None,
) -> None:
    """Register a consumer group on ``topics`` that feeds ``dispatcher``, batch by batch.

    Poison records go to ``dead_letters`` (by default ``allwan.dlq.<group>``). ``membership``
    sets how the group notices a member that died and one that comes back; ``batching`` how
    many records one offset commit covers.
    """
    dlq = dead_letters or dead_letter_topic(group)
    membership = membership or Membership()
    batching = batching or Batching()

    subscriber = broker.subscriber(
        *topics,
        batch=True,
        max_records=batching.max_records,
        batch_timeout_ms=_POLL_MS,
        group_id=group,
        group_instance_id=membership.instance_id,
        session_timeout_ms=round(membership.session_timeout_s * 1000),
        heartbeat_interval_ms=round(membership.heartbeat_interval_s * 1000),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        parser=_parse_batch,
        decoder=_raw_bodies,
        title=f"{group}:consume",
        description=description or f"Events consumed by the {group} consumer group",
    )
    # FastStream builds and runs the subscriber; only its poll is ours.
    subscriber.__class__ = _PromptBatchSubscriber

    async def handle(record: ConsumerRecord) -> None:
        value = record.value or b""

        async def dead_letter(letter: DeadLetter) -> None:
            headers = headers_to_text(record.headers)
            headers.update(
                {
                    "x-dead-letter-reason": letter.reason,
                    "x-dead-letter-detail": letter.detail,
                    "x-dead-letter-group": group,
                    "x-original-topic": record.topic,
                    "x-original-partition": str(record.partition),
                    "x-original-offset": str(record.offset),
                    "x-dead-lettered-at": datetime.now(UTC).isoformat(),
                }
            )
            await broker.publish(value, topic=dlq, key=record.key, headers=headers)
            log.warning("consumer.dead_lettered", group=group, reason=letter.reason)

        with _record_span(record):
            await dispatcher.dispatch(value, dead_letter)

    @subscriber
    async def on_batch(message: KafkaMessage) -> None:
        records = cast("tuple[ConsumerRecord, ...]", message.raw_message)
        deadline = time.monotonic() + batching.max_s

        def keep_going() -> bool:
            return subscriber.running and time.monotonic() < deadline

        progress = await consume_batch(
            records,
            handle,
            keep_going=keep_going,
            partitions_at_once=batching.partitions_at_once,
        )
        for tp, offset in progress.rewinds().items():
            # Revoked meanwhile: its new owner reads on from the last commit.
            with contextlib.suppress(IllegalStateError):
                message.consumer.seek(tp, offset)
        await _commit(message, progress.commits())
        log.debug("consumer.batch", group=group, records=len(records), done=progress.done_count)
