"""One batch of records and what became of each: which records are done, where each
partition is read again from, and what to commit (``consume_batch``). No Kafka client here:
``allwan_runtime.consumer`` seeks and commits what this says."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiokafka import ConsumerRecord, TopicPartition

log = structlog.get_logger(__name__)


class BatchProgress:
    """Which records of one batch are done (handled, ignored or dead-lettered), by partition."""

    def __init__(self, records: Sequence[ConsumerRecord]) -> None:
        self._records = records
        self._next: dict[TopicPartition, int] = {}
        self._halted: set[TopicPartition] = set()
        self.done_count = 0

    def done(self, record: ConsumerRecord) -> None:
        """``record`` is done: its partition may be committed past it."""
        self._next[_partition(record)] = record.offset + 1
        self.done_count += 1

    def halt(self, record: ConsumerRecord) -> None:
        """``record`` was not done: neither it nor any later record of its partition is."""
        self._halted.add(_partition(record))

    def halted(self, record: ConsumerRecord) -> bool:
        """Whether an earlier record of this record's partition was not done."""
        return _partition(record) in self._halted

    def commits(self) -> dict[TopicPartition, int]:
        """Each partition of the batch and the offset to commit for it: its first record not
        done, or past its last record."""
        ends = {_partition(record): record.offset + 1 for record in self._records}
        return ends | self.rewinds()

    def rewinds(self) -> dict[TopicPartition, int]:
        """Each partition's first record in the batch that is not done: where to read again."""
        first: dict[TopicPartition, int] = {}
        for record in self._records:
            tp = _partition(record)
            if tp not in first and record.offset >= self._next.get(tp, record.offset):
                first[tp] = record.offset
        return first


def _partition(record: ConsumerRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


async def consume_batch(
    records: Sequence[ConsumerRecord],
    handle: Callable[[ConsumerRecord], Awaitable[None]],
    *,
    keep_going: Callable[[], bool],
    partitions_at_once: int = 1,
) -> BatchProgress:
    """Hand each record of a batch to ``handle``, each partition's in order.

    With ``partitions_at_once`` 1, one record at a time, in the batch's order. With more, that
    many partitions are worked on at once, each one record at a time: for handlers whose state
    is keyed by what the records are partitioned by (an aggregate's id), whose writers already
    race between replicas and settle it (``ConcurrencyConflict``, inserts against ``_id``).

    A record whose ``handle`` raises (the dispatcher's ``StillFailing``, or a dead-letter
    topic out of reach) halts its partition for this batch. ``keep_going`` is asked before
    each record: once it says no (shutdown, or the batch's time is up), no record is started.
    """
    progress = BatchProgress(records)

    async def run(queue: Sequence[ConsumerRecord]) -> None:
        for record in queue:
            if progress.halted(record):
                continue
            if not keep_going():
                return
            try:
                await handle(record)
            except Exception as error:  # any failure leaves the record to be read again
                progress.halt(record)
                log.warning(
                    "consumer.not_acknowledged",
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    error=type(error).__name__,
                )
            else:
                progress.done(record)

    if partitions_at_once <= 1:
        await run(records)
        return progress
    by_partition: dict[TopicPartition, list[ConsumerRecord]] = {}
    for record in records:
        by_partition.setdefault(_partition(record), []).append(record)
    slots = asyncio.Semaphore(partitions_at_once)

    async def bounded(queue: Sequence[ConsumerRecord]) -> None:
        async with slots:
            await run(queue)

    await asyncio.gather(*(bounded(queue) for queue in by_partition.values()))
    return progress
