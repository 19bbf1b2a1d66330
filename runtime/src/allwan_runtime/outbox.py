"""The outbox relay: every stored event reaches Kafka at least once, in per-aggregate order.

The relay follows the event store's outbox entries (written before each commit, in MongoDB, so
a process killed between the write and the publish loses nothing: the next relay publishes it).
An entry is deleted only after Kafka acknowledged all of its commit's events (acks=all,
idempotent producer). A crash after the publish and before the delete publishes again;
consumers are idempotent, so that duplicate changes nothing.

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

from allwan_runtime.eventstore import EventStore
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
        # The oldest entries, in insertion order (MongoDB's and FerretDB's natural order; no
        # sort, which would read the whole outbox). A stream's entry for version v is written
        # before its commit, and that commit before any entry for a later version, so a batch
        # holds each stream's earliest outstanding commit before its later ones. Sorting the
        # batch by _id (stream, then zero-padded version) keeps per-aggregate order.
        entries = sorted(
            await self._store.outbox.find({}).limit(self._config.batch_size).to_list(),
            key=lambda entry: str(entry["_id"]),
        )
        if not entries:
            return 0
        commits = await asyncio.gather(
            *(self._store.commits.find_one({"_id": entry["_id"]}) for entry in entries)
        )
        batch, orphans = _publishable(entries, commits, self._config.orphan_after_s)
        sent = await self._send(batch)
        done = _acknowledged_prefixes(batch, sent)
        if done or orphans:
            await self._store.outbox.delete_many({"_id": {"$in": done + orphans}})
        if len(done) < len(batch):
            raise RuntimeError("some events were not acknowledged by Kafka")
        return sum(len(c["events"]) for c in batch)

    async def _send(self, batch: Sequence[Document]) -> dict[str, bool]:
        futures: list[tuple[str, Awaitable[Any]]] = []
        for commit in batch:
            token = otel_context.attach(propagate.extract(commit.get("trace") or {}))
            try:
                for raw in commit["events"]:
                    envelope = Envelope.model_validate(raw)
                    futures.append((commit["_id"], await self._send_one(envelope)))
            finally:
                otel_context.detach(token)
        outcome: dict[str, bool] = {c["_id"]: True for c in batch}
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


def _publishable(
    entries: Sequence[Document], commits: Sequence[Document | None], orphan_after_s: float
) -> tuple[list[Document], list[str]]:
    """Commits to publish in order, and entries whose writer died before committing.

    A stream stops at its first entry without a commit: that writer may still be writing,
    and nothing later in the stream can exist before it does. An entry still without a commit
    after ``orphan_after_s`` belonged to a writer that died; it is dropped.
    """
    now = datetime.now(UTC)
    batch: list[Document] = []
    orphans: list[str] = []
    blocked: set[str] = set()
    for entry, commit in zip(entries, commits, strict=True):
        stream = entry["stream_id"]
        if stream in blocked:
            continue
        if commit is None:
            blocked.add(stream)
            written = entry["at"] if entry["at"].tzinfo else entry["at"].replace(tzinfo=UTC)
            if (now - written).total_seconds() > orphan_after_s:
                orphans.append(entry["_id"])
            continue
        batch.append(commit)
    return batch, orphans


def _acknowledged_prefixes(batch: Sequence[Document], sent: dict[str, bool]) -> list[str]:
    """Commits that may be marked published: within a stream, stop at the first failure."""
    done: list[str] = []
    failed_streams: set[str] = set()
    for commit in batch:
        stream = commit["stream_id"]
        if stream in failed_streams or not sent[commit["_id"]]:
            failed_streams.add(stream)
            continue
        done.append(commit["_id"])
    return done
