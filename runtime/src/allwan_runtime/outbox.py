"""The outbox relay: every stored event reaches Kafka at least once, in per-aggregate order.

The relay follows the event store's outbox (written before the commits it names, in MongoDB,
so a process killed between the write and the publish loses nothing: the next relay publishes
it). A commit's key leaves the outbox only after Kafka acknowledged all of its events
(acks=all, idempotent producer). A crash after the publish and before that publishes again;
consumers are idempotent, so that duplicate changes nothing.

A batch costs two MongoDB commands whatever its size: one read of the oldest entries and one
delete of the entries published (plus an update when an entry still names a commit that may
not be published yet). A key is published only once its commit exists: the store says so
from memory for the commits it wrote itself, and reads any other commit by ``_id``
(``EventStore.commits_behind``).

Only one relay per service publishes at a time (a lease in MongoDB), so replicas do not race;
around a hand-over two relays may overlap for one batch, which at-least-once already allows.
A relay that dies holding the lease holds up publication until its slot (at worst the next
one too) ends, unless it comes back under the same owner name, which takes the lease back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from allwan_contracts.envelope import Envelope
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from allwan_runtime.eventstore import Commit, EventStore, OutboxEntry, stream_of
from allwan_runtime.lease import SlotLease
from allwan_runtime.mongo import Document
from allwan_runtime.wire import message_headers, message_value

LEASES = "relay_leases"
log = structlog.get_logger(__name__)
tracer = trace.get_tracer("allwan.outbox")


class Producer(Protocol):
    """What the relay needs of a Kafka producer (``AIOKafkaProducer`` has it)."""

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Awaitable[Any]: ...


TopicFor = Callable[[Envelope], str]


@dataclass(frozen=True)
class RelayConfig:
    """How eagerly the relay polls and how long its lease lasts."""

    owner: str
    poll_interval_s: float = 0.25
    batch_size: int = 500
    lease_s: float = 3.0
    orphan_after_s: float = 3600.0
    linger_s: float = 0.005


class OutboxRelay:
    """Publishes unpublished commits of one event store, oldest first, per stream in order."""

    def __init__(
        self,
        store: EventStore,
        db: AsyncDatabase[Document],
        producer: Producer,
        topic_for: TopicFor,
        config: RelayConfig,
    ) -> None:
        self._store = store
        self._lease = SlotLease(db, "relay", config.owner, config.lease_s, collection=LEASES)
        self._producer = producer
        self._topic_for = topic_for
        self._config = config
        self._wake = asyncio.Event()
        store.on_append(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; transient failures are logged and retried."""
        while not stop.is_set():
            published = 0
            try:
                if await self._lease.hold():
                    published = await self.publish_pending()
            except (PyMongoError, OSError, RuntimeError) as error:
                log.warning("outbox.relay_failed", error=type(error).__name__)
            if published < self._config.batch_size:
                await self._sleep_until_woken(stop)

    async def _sleep_until_woken(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        done, pending = await asyncio.wait(
            waiters, timeout=self._config.poll_interval_s, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in pending:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
        if done and not stop.is_set():
            # Woken by an append: linger a moment so a burst of appends goes out as one batch.
            await asyncio.sleep(self._config.linger_s)

    async def release(self) -> None:
        """Give the lease up at shutdown so another replica takes over at once."""
        await self._lease.release()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished commits; return how many events went out."""
        # The oldest entries, in the order they were written. A stream's key for version v is
        # written to the outbox before its commit, and that commit before any key for a later
        # version, so a batch holds each stream's earliest outstanding commit before its later
        # ones. Sorting the keys (stream, then zero-padded version) keeps per-aggregate order.
        entries = await self._store.outbox_head(self._config.batch_size)
        keys = sorted({key for entry in entries for key in entry.keys})
        if not keys:
            await self._store.mark_published(entries, ())
            return 0
        commits = await self._store.commits_behind(keys)
        batch, orphans = _publishable(
            keys, commits, _last_written_at(entries), self._config.orphan_after_s
        )
        sent = await self._send(batch)
        done = _acknowledged_prefixes(batch, sent)
        await self._store.mark_published(entries, {*done, *orphans})
        if len(done) < len(batch):
            raise RuntimeError("some events were not acknowledged by Kafka")
        return sum(len(commit.events) for commit in batch)

    async def _send(self, batch: Sequence[Commit]) -> dict[str, bool]:
        futures: list[tuple[str, Awaitable[Any]]] = []
        for commit in batch:
            token = otel_context.attach(propagate.extract(commit.trace))
            try:
                for envelope in commit.events:
                    futures.append((commit.key, await self._send_one(envelope)))
            finally:
                otel_context.detach(token)
        outcome: dict[str, bool] = {commit.key: True for commit in batch}
        results = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
        for (commit_id, _), result in zip(futures, results, strict=True):
            if isinstance(result, BaseException):
                outcome[commit_id] = False
        return outcome

    async def _send_one(self, envelope: Envelope) -> Awaitable[Any]:
        topic = self._topic_for(envelope)
        with tracer.start_as_current_span(
            f"{topic} publish",
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "messaging.operation.type": "publish",
                "messaging.message.id": str(envelope.event_id),
                "messaging.kafka.message.key": envelope.aggregate_id,
            },
        ):
            return await self._producer.send(
                topic,
                value=message_value(envelope),
                key=envelope.aggregate_id.encode(),
                headers=message_headers(envelope),
            )


def _last_written_at(entries: Sequence[OutboxEntry]) -> dict[str, datetime]:
    """When each key last entered the outbox. A dead writer's key may be named again by a
    writer retrying that version, which may be writing it now: only the newest entry says
    whether a key's writer had time enough to commit it."""
    at: dict[str, datetime] = {}
    for entry in entries:
        for key in entry.keys:
            at[key] = max(at.get(key, entry.at), entry.at)
    return at


def _publishable(
    keys: Sequence[str],
    commits: Sequence[Commit | None],
    last_written_at: dict[str, datetime],
    orphan_after_s: float,
) -> tuple[list[Commit], list[str]]:
    """Commits to publish in order, and keys whose writer died before committing.

    A stream stops at its first key without a commit: that writer may still be writing, and
    nothing later in the stream can exist before it does. A key still without a commit after
    ``orphan_after_s`` belonged to a writer that died; it is dropped.
    """
    now = datetime.now(UTC)
    batch: list[Commit] = []
    orphans: list[str] = []
    blocked: set[str] = set()
    for key, commit in zip(keys, commits, strict=True):
        stream = stream_of(key)
        if stream in blocked:
            continue
        if commit is None:
            blocked.add(stream)
            if (now - last_written_at[key]).total_seconds() > orphan_after_s:
                orphans.append(key)
            continue
        batch.append(commit)
    return batch, orphans


def _acknowledged_prefixes(batch: Sequence[Commit], sent: dict[str, bool]) -> list[str]:
    """Commits that may be marked published: within a stream, stop at the first failure."""
    done: list[str] = []
    failed_streams: set[str] = set()
    for commit in batch:
        if commit.stream_id in failed_streams or not sent[commit.key]:
            failed_streams.add(commit.stream_id)
            continue
        done.append(commit.key)
    return done
