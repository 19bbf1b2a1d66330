"""Kafka clients: the relay's idempotent producer and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import AIOKafkaConnection, CloseReason
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError
from allwan_contracts.topics import TopicSpec

from allwan_runtime.dispatch import RetryPolicy

T = TypeVar("T")
log = structlog.get_logger(__name__)
START_RETRY = RetryPolicy(max_attempts=10, initial_s=0.2, max_s=5.0)
"""About 30 s of retries: a broker restarting (or just unfrozen) answers again within that."""


def _closed_transport_is_a_broken_connection() -> None:
    """Make a request written to a connection whose socket is already gone fail as a Kafka
    connection error, on every event loop.

    aiokafka 0.14 catches only ``OSError`` when it writes a request. Under uvloop (what
    uvicorn runs the services on) a write to a transport closed under it raises
    ``RuntimeError`` (aio-libs/aiokafka#1038), which happens between a broker dropping the
    connection and aiokafka's reader noticing. The error escaped the client's own error
    handling: its metadata task ended for good, so every later metadata refresh, and each
    group coordinator lookup waiting for one, waited forever (seen after Kafka restarts:
    consumer groups without a coordinator until the supervisor restarted them, 5-8 s of no
    decisions), or a group's coordination ended on it. Checked before the write: the event
    loop runs nothing between the check and the write.
    """
    send = AIOKafkaConnection.send
    if getattr(send, "allwan_guarded", False):
        return

    @functools.wraps(send)
    def guarded(self: AIOKafkaConnection, request: Any, expect_response: bool = True) -> Any:
        writer = self._writer
        if writer is not None and writer.transport.is_closing():
            self.close(reason=CloseReason.CONNECTION_BROKEN)
            raise KafkaConnectionError(f"Connection at {self._host}:{self._port} closed")
        return send(self, request, expect_response)

    guarded.allwan_guarded = True  # type: ignore[attr-defined]
    AIOKafkaConnection.send = guarded


_closed_transport_is_a_broken_connection()


async def when_kafka_answers(
    operation: Callable[[], Awaitable[T]], what: str, retry: RetryPolicy = START_RETRY
) -> T:
    """Run ``operation``, again after a backoff while Kafka fails it with a retriable error.

    A service that starts while its broker is restarting waits for it rather than exiting
    (and being restarted later, with a back-off of the orchestrator's)."""
    attempt = 1
    while True:
        try:
            return await operation()
        except KafkaError as error:
            if not error.retriable or attempt >= retry.max_attempts:
                raise
            log.warning("kafka.not_answering", what=what, error=type(error).__name__)
            await asyncio.sleep(retry.delay(attempt))
            attempt += 1


def idempotent_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """acks=all and idempotence: a retried send is written once, in order, on every replica."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )


async def ensure_topics(
    bootstrap: str, topics: Iterable[TopicSpec], replication_factor: int = 1
) -> None:
    """Create missing topics with their partitions and retention; existing ones are kept.

    In production the topics are declared as Strimzi ``KafkaTopic`` resources; this keeps a
    laptop or a test broker usable, and changes nothing where they exist. Retried while the
    broker does not answer yet (``when_kafka_answers``).
    """
    specs = list(topics)
    await when_kafka_answers(
        lambda: _create_missing(bootstrap, specs, replication_factor), "ensure_topics"
    )


async def _create_missing(
    bootstrap: str, topics: Iterable[TopicSpec], replication_factor: int
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=spec.name,
                num_partitions=spec.partitions,
                replication_factor=replication_factor,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for spec in topics
            if spec.name not in existing
        ]
        if missing:
            # Another replica may create one between our list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
