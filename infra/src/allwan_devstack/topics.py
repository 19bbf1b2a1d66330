"""Reading a run's topics back, for tests and benchmarks that check what was published."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, ConsumerRecord


@contextlib.asynccontextmanager
async def topic_reader(bootstrap: str, topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer of ``topic`` in no group, starting at its first record."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def read_more(
    consumer: AIOKafkaConsumer, records: list[ConsumerRecord[bytes, bytes]]
) -> None:
    """Append whatever ``consumer`` reads within 200 ms to ``records``."""
    batch = await consumer.getmany(timeout_ms=200)
    for part in batch.values():
        records.extend(part)


async def read_to_end(
    bootstrap: str,
    topic: str,
    limit_s: float = 30.0,
    records: list[ConsumerRecord[bytes, bytes]] | None = None,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record ``topic`` holds when this is called, read from the beginning.

    For checks that something is on the topic only once (or not at all): reading until the
    first match may stop before a second copy further on. Raises ``TimeoutError`` after
    ``limit_s``; what was read by then is in ``records`` when the caller passes that list.
    """
    records = [] if records is None else records
    async with topic_reader(bootstrap, topic) as consumer, asyncio.timeout(limit_s):
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)  # read again below, from the start
        assigned = list(consumer.assignment())
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            await read_more(consumer, records)
    return records
