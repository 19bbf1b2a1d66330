"""A batch of records, handled one at a time: what is done, and where each partition is read
again when a record is not (``allwan_runtime.batches.consume_batch``)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from allwan_runtime.batches import consume_batch
from allwan_runtime.consumer import subscribe
from allwan_runtime.dispatch import Dispatcher, StillFailing
from faststream.kafka import KafkaBroker

TOPIC = "allwan.consent"


def record(partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord(
        topic=TOPIC,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"{}",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=2,
        headers=[],
    )


def tp(partition: int) -> TopicPartition:
    return TopicPartition(TOPIC, partition)


# As aiokafka's getmany hands them over: partition by partition, each in order.
BATCH = [record(0, 10), record(0, 11), record(0, 12), record(1, 40), record(1, 41)]


class Handler:
    def __init__(self, failing: set[tuple[int, int]] | None = None) -> None:
        self.failing = failing or set()
        self.handled: list[tuple[int, int]] = []

    async def __call__(self, message: ConsumerRecord) -> None:
        at = (message.partition, message.offset)
        if at in self.failing:
            raise StillFailing("ConsentGranted")
        self.handled.append(at)


def always() -> bool:
    return True


async def test_a_batch_handled_whole_is_read_again_nowhere() -> None:
    handler = Handler()

    progress = await consume_batch(BATCH, handler, keep_going=always)

    assert handler.handled == [(0, 10), (0, 11), (0, 12), (1, 40), (1, 41)]
    assert progress.rewinds() == {}
    assert progress.done_count == 5
    # Only the batch's own partitions are committed, each past its last record.
    assert progress.commits() == {tp(0): 13, tp(1): 42}


async def test_a_record_still_failing_halts_its_partition_there_and_the_others_go_on() -> None:
    handler = Handler(failing={(0, 11)})

    progress = await consume_batch(BATCH, handler, keep_going=always)

    # 12 comes after the record that failed: handling it first would break the partition's order.
    assert handler.handled == [(0, 10), (1, 40), (1, 41)]
    assert progress.rewinds() == {tp(0): 11}
    assert progress.commits() == {tp(0): 11, tp(1): 42}  # never past what was not done


async def test_a_failure_on_a_partitions_first_record_rewinds_it_to_the_start_of_the_batch() -> (
    None
):
    handler = Handler(failing={(1, 40)})

    progress = await consume_batch(BATCH, handler, keep_going=always)

    assert handler.handled == [(0, 10), (0, 11), (0, 12)]
    assert progress.rewinds() == {tp(1): 40}


async def test_any_error_from_a_record_leaves_it_to_be_read_again() -> None:
    async def dead_letter_topic_unreachable(message: ConsumerRecord) -> None:
        if message.partition == 1:
            raise ConnectionError("broker unreachable")

    progress = await consume_batch(BATCH, dead_letter_topic_unreachable, keep_going=always)

    assert progress.rewinds() == {tp(1): 40}


async def test_once_told_to_stop_no_record_starts_and_partitions_resume_after_their_last_done() -> (
    None
):
    handler = Handler()
    answers = iter([True, True])

    progress = await consume_batch(BATCH, handler, keep_going=lambda: next(answers, False))

    assert handler.handled == [(0, 10), (0, 11)]
    assert progress.rewinds() == {tp(0): 12, tp(1): 40}


async def test_offsets_with_gaps_resume_at_the_next_record_there_is() -> None:
    # Compacted topics and transaction markers leave holes in a partition's offsets.
    sparse = [record(2, 5), record(2, 9), record(2, 14)]
    handler = Handler(failing={(2, 9)})

    progress = await consume_batch(sparse, handler, keep_going=always)

    assert handler.handled == [(2, 5)]
    assert progress.rewinds() == {tp(2): 9}


class Polled:
    """Answers a poll with what it was given, at once."""

    def __init__(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        self.batches = batches

    async def getmany(
        self, timeout_ms: int, max_records: int | None
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        return self.batches


class Overlapping:
    """A handler that takes a while, and notes how many records were at work at once and in
    which order each partition's were started."""

    def __init__(self, failing: set[tuple[int, int]] | None = None) -> None:
        self.failing = failing or set()
        self.started: list[tuple[int, int]] = []
        self.at_once = 0
        self.most_at_once = 0

    async def __call__(self, message: ConsumerRecord) -> None:
        at = (message.partition, message.offset)
        self.started.append(at)
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            await asyncio.sleep(0.01)
            if at in self.failing:
                raise StillFailing("OrderRequested")
        finally:
            self.at_once -= 1

    def of(self, partition: int) -> list[int]:
        return [offset for p, offset in self.started if p == partition]


THREE = [*BATCH, record(2, 7), record(2, 8)]


async def test_partitions_at_once_work_on_that_many_partitions_each_in_order() -> None:
    handler = Overlapping()

    progress = await consume_batch(THREE, handler, keep_going=always, partitions_at_once=2)

    assert handler.most_at_once == 2  # never two records of one partition: at most 2 here
    assert (handler.of(0), handler.of(1), handler.of(2)) == ([10, 11, 12], [40, 41], [7, 8])
    assert progress.commits() == {tp(0): 13, tp(1): 42, tp(2): 9}


async def test_one_record_at_a_time_unless_asked() -> None:
    handler = Overlapping()

    await consume_batch(THREE, handler, keep_going=always)

    assert handler.most_at_once == 1
    assert handler.started == [(0, 10), (0, 11), (0, 12), (1, 40), (1, 41), (2, 7), (2, 8)]


async def test_at_once_a_failing_record_halts_only_its_own_partition() -> None:
    handler = Overlapping(failing={(0, 11)})

    progress = await consume_batch(THREE, handler, keep_going=always, partitions_at_once=8)

    assert handler.of(0) == [10, 11]  # 12 never started: it comes after the failure
    assert (handler.of(1), handler.of(2)) == ([40, 41], [7, 8])
    assert progress.commits() == {tp(0): 11, tp(1): 42, tp(2): 9}
    assert progress.done_count == 5


async def test_at_once_no_record_starts_once_told_to_stop() -> None:
    handler = Overlapping()
    stop = asyncio.Event()

    async def stopping(message: ConsumerRecord) -> None:
        await handler(message)
        stop.set()  # the first record done: shutdown

    progress = await consume_batch(
        THREE, stopping, keep_going=lambda: not stop.is_set(), partitions_at_once=8
    )

    # Each partition's first record had started together; none after them.
    assert sorted(handler.started) == [(0, 10), (1, 40), (2, 7)]
    assert progress.rewinds() == {tp(0): 11, tp(1): 41, tp(2): 8}


def batch_subscriber() -> Any:
    broker = KafkaBroker()
    subscribe(broker, group="g", topics=[TOPIC], dispatcher=Dispatcher({}))
    (subscriber,) = broker.subscribers
    return subscriber


async def test_an_empty_poll_is_answered_at_once_so_the_next_record_is_not_held_back() -> None:
    subscriber = batch_subscriber()

    # FastStream's own batch loop pauses as long as a poll may wait (0.5 s) after each empty
    # one: a record arriving in that pause waited for it.
    polled = await asyncio.wait_for(subscriber.get_msg(Polled({})), 0.25)

    assert polled == ()


async def test_a_poll_hands_over_each_partitions_records_in_order() -> None:
    subscriber = batch_subscriber()
    first, second = [record(0, 10), record(0, 11)], [record(1, 40)]

    polled = await subscriber.get_msg(Polled({tp(0): first, tp(1): second}))

    assert polled == (*first, *second)
