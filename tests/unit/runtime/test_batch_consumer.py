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
