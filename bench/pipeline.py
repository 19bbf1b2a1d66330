"""Events per second through allwan's pipeline, against the limit of the same servers.

allwan: the path every event takes in a service, wired by ``ServiceRuntime`` as services
wire it. ``writers`` concurrent writers append each event as its own command to the event
store (one writer owns each customer, so a stream is appended in order), the outbox relay
publishes it, and a consumer group hands it to a handler registered by event class. Timed
from the first append until the handler has seen every event.

The limit, measured in the same run, on the same servers, with the same envelopes:

- Kafka: raw aiokafka with the relay's producer settings (acks=all, idempotent) produces
  every record, value and headers as the relay writes them, into a topic with as many
  partitions as the events' own, while a raw consumer reads them;
- the store: raw PyMongo ``insert_many`` of the same envelopes, one document each, into a
  fresh collection of the same MongoDB-protocol server.

An event-sourced pipeline must store and publish every event, so the limit is the slower of
the two. Each side is timed after a warm-up of its own (connections made, consumer group
joined, first partition fetches answered).

``grow``: the same pipeline on a store that already holds 1k, 10k and 50k events, to show
whether events/s falls as the store grows. The store is filled in bulk with the documents
the event store itself writes for such events (captured, then inserted with ``insert_many``),
not through the pipeline; those events count as published, so their outbox entries are left
out.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from allwan_contracts import ConsentEvidence, ConsentGranted, ConsentPurpose, new_envelope
from allwan_contracts.envelope import Envelope
from allwan_contracts.fields import Channel
from allwan_contracts.topics import CONSENT
from allwan_devstack import Endpoints
from allwan_runtime.eventstore import OUTBOX, EventStore
from allwan_runtime.handlers import Handlers
from allwan_runtime.kafka import idempotent_producer
from allwan_runtime.mongo import Document, connect
from allwan_runtime.service import ServiceRuntime
from allwan_runtime.settings import RuntimeSettings
from allwan_runtime.wire import message_headers, message_value
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from bench.cpu import CpuMeter, server_pids

PARTITIONS: Final = CONSENT.partitions
"""The partitions of the events' own topic (``ConsentGranted`` goes to ``allwan.consent``)."""
EVENTS_PER_CUSTOMER: Final = 20
WARMUP_EVENTS: Final = 200
INSERT_BATCH: Final = 1000
GROW_SIZES: Final = (1_000, 10_000, 50_000)
STALL_S: Final = 120.0
"""A side that moves no event forward for this long has stalled: the run fails."""


def envelopes(count: int, label: str) -> list[Envelope]:
    """``count`` consent grants of customers ``<label>-<n>``, each stream in version order."""
    customers = max(1, count // EVENTS_PER_CUSTOMER)
    versions: dict[str, int] = {}
    out = []
    for n in range(count):
        customer = f"{label}-{n % customers}"
        versions[customer] = versions.get(customer, 0) + 1
        event = ConsentGranted(
            customer_id=customer,
            purpose=ConsentPurpose.MARKETING,
            channel=Channel.WEB,
            policy_version=1,
            recorded_by="customer",
            evidence=ConsentEvidence(user_agent_hmac="ab" * 32),
        )
        out.append(
            new_envelope(
                event,
                aggregate_version=versions[customer],
                producer="bench",
                correlation_id=uuid.uuid4(),
            )
        )
    return out


def per_s(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


# -- the limit ------------------------------------------------------------------------------


async def raw_kafka(bootstrap: str, topic: str, events: Sequence[Envelope]) -> float:
    """Seconds for raw aiokafka to produce every event and consume it back."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}.raw",
        auto_offset_reset="earliest",
    )
    producer = idempotent_producer(bootstrap, f"{topic}.raw")
    await consumer.start()
    await producer.start()
    try:

        def records(batch: Sequence[Envelope]) -> list[tuple[bytes, bytes, list[Any]]]:
            return [(message_value(e), e.aggregate_id.encode(), message_headers(e)) for e in batch]

        async def produce(batch: list[tuple[bytes, bytes, list[Any]]]) -> None:
            sent = [
                await producer.send(topic, value, key=key, headers=headers)
                for value, key, headers in batch
            ]
            await asyncio.gather(*sent)

        async def consume(count: int) -> None:
            seen, moved = 0, time.monotonic()
            while seen < count:
                fetched = await consumer.getmany(timeout_ms=200)
                got = sum(len(batch) for batch in fetched.values())
                if got:
                    seen, moved = seen + got, time.monotonic()
                elif time.monotonic() - moved > STALL_S:
                    raise RuntimeError(f"raw aiokafka stalled: {seen} of {count} consumed")

        warmup = records(envelopes(WARMUP_EVENTS, "rawwarm"))
        await asyncio.gather(produce(warmup), consume(len(warmup)))
        measured = records(events)
        started = time.perf_counter()
        await asyncio.gather(produce(measured), consume(len(measured)))
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()


async def raw_store(settings: RuntimeSettings, database: str, events: Sequence[Envelope]) -> float:
    """Seconds for raw PyMongo to ``insert_many`` every event, one document each."""
    client = connect(settings)
    collection = client[database]["envelopes"]

    def documents(batch: Sequence[Envelope]) -> list[Document]:
        # Keyed like the event store's commits: a string ``_id`` per stream and version.
        return [
            {"_id": f"{e.aggregate_id}@{e.aggregate_version:010d}", **e.model_dump(mode="json")}
            for e in batch
        ]

    try:
        await collection.insert_many(documents(envelopes(WARMUP_EVENTS, "rawwarm")))
        measured = documents(events)
        started = time.perf_counter()
        for start in range(0, len(measured), INSERT_BATCH):
            await collection.insert_many(measured[start : start + INSERT_BATCH], ordered=False)
        return time.perf_counter() - started
    finally:
        await client.drop_database(database)
        await client.close()


# -- allwan ---------------------------------------------------------------------------------


class Arrivals:
    """The events the handler has seen, and a wake-up once every expected one has arrived."""

    def __init__(self) -> None:
        self.waiting: set[str] = set()
        self.all_in = asyncio.Event()
        self.arrived = 0
        self.unexpected = 0
        """Events nobody appended in this run's measured or warm-up batches (none, unless
        the pre-filled store's events were published after all)."""
        self._known: set[str] = set()

    def expect(self, events: Sequence[Envelope]) -> None:
        ids = {str(e.event_id) for e in events}
        self._known |= ids
        self.waiting = ids
        self.arrived = 0
        self.all_in.clear()

    def note(self, event_id: str) -> None:
        if event_id in self.waiting:
            self.waiting.discard(event_id)
            self.arrived += 1
            if not self.waiting:
                self.all_in.set()
        elif event_id not in self._known:
            self.unexpected += 1


async def arrived(event: ConsentGranted, envelope: Envelope, deps: Arrivals) -> None:
    """Note that the event made it through append, relay and consumer (redeliveries once)."""
    deps.note(str(envelope.event_id))


class _CapturedCollection:
    """What the event store writes to one collection; reads find nothing (streams are new)."""

    def __init__(self) -> None:
        self.documents: list[Document] = []

    def with_options(self, *_: Any, **__: Any) -> _CapturedCollection:
        return self

    async def insert_one(self, document: Document, *_: Any, **__: Any) -> None:
        self.documents.append(dict(document))

    async def insert_many(self, documents: Sequence[Document], *_: Any, **__: Any) -> None:
        self.documents.extend(dict(document) for document in documents)

    async def find_one(self, *_: Any, **__: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(
            f"pre-filling the store captures inserts only, and the event store called {name}"
        )


class _CapturedDatabase:
    def __init__(self) -> None:
        self.collections: dict[str, _CapturedCollection] = {}

    def __getitem__(self, name: str) -> _CapturedCollection:
        return self.collections.setdefault(name, _CapturedCollection())

    def get_collection(self, name: str, *_: Any, **__: Any) -> _CapturedCollection:
        return self[name]


async def published_documents(events: Sequence[Envelope]) -> dict[str, list[Document]]:
    """The documents the event store writes for ``events``, appended one by one, by
    collection; the outbox's are left out, so that the events count as published."""
    captured = _CapturedDatabase()
    store = EventStore(cast(AsyncDatabase[Document], captured))
    for envelope in events:
        await store.append([envelope], expected_version=envelope.aggregate_version - 1)
    return {
        name: collection.documents
        for name, collection in captured.collections.items()
        if name != OUTBOX and collection.documents
    }


class Pipeline:
    """One service's pipeline (store, relay, consumer), on a database and topics of its own."""

    def __init__(self, servers: Endpoints, run_id: str, writers: int) -> None:
        self.settings = RuntimeSettings(
            service_name=f"bench-pipeline-{run_id}",
            kafka_bootstrap=servers.kafka_bootstrap,
            kafka_topic_prefix=f"bench{run_id}.",
            mongo_url=SecretStr(servers.mongo_url),
            mongo_db=f"bench_pipeline_{run_id}",
        )
        self.writers = writers
        self.runtime = ServiceRuntime(self.settings)
        self.arrivals = Arrivals()
        handlers = Handlers(self.arrivals)
        handlers.on(ConsentGranted, arrived)
        self.runtime.consume("pipeline", [CONSENT.name], handlers, "Every event, counted.")
        self.stored = 0
        """Events in the store: warm-up, pre-filled and measured."""
        self._batches = 0
        self._filled: set[str] = set()

    def label(self, kind: str) -> str:
        self._batches += 1
        return f"{kind}{self._batches}"

    async def measure(self, events: Sequence[Envelope]) -> float:
        """Seconds from the first append until the handler has seen every event."""
        self.arrivals.expect(events)
        streams: dict[str, list[Envelope]] = {}
        for envelope in events:
            streams.setdefault(envelope.aggregate_id, []).append(envelope)
        owned = list(streams.values())
        store = self.runtime.store

        async def write(mine: Sequence[list[Envelope]]) -> None:
            for stream in mine:
                for envelope in stream:
                    await store.append([envelope], expected_version=envelope.aggregate_version - 1)

        started = time.perf_counter()
        await asyncio.gather(*(write(owned[i :: self.writers]) for i in range(self.writers)))
        await self._all_arrived(len(events))
        elapsed = time.perf_counter() - started
        self.stored += len(events)
        return elapsed

    async def _all_arrived(self, count: int) -> None:
        last, moved = -1, time.monotonic()
        while not self.arrivals.all_in.is_set():
            if self.arrivals.arrived != last:
                last, moved = self.arrivals.arrived, time.monotonic()
            elif time.monotonic() - moved > STALL_S:
                raise RuntimeError(f"allwan stalled: {last} of {count} events arrived")
            try:
                await asyncio.wait_for(self.arrivals.all_in.wait(), 1.0)
            except TimeoutError:
                continue

    async def warm_up(self) -> None:
        await self.measure(envelopes(WARMUP_EVENTS, self.label("warm")))

    async def fill_to(self, size: int) -> int:
        """Bulk-insert what the event store would hold after ``size - stored`` more events;
        return how many were inserted."""
        missing = size - self.stored
        if missing <= 0:
            return 0
        written = await published_documents(envelopes(missing, self.label("fill")))
        for name, documents in written.items():
            for start in range(0, len(documents), INSERT_BATCH):
                await self.runtime.db[name].insert_many(
                    documents[start : start + INSERT_BATCH], ordered=False
                )
            self._filled.add(name)
        self.stored = size
        return missing

    async def documents(self) -> int:
        """Documents in the collections the pre-fill wrote to (the commits, as the store
        keeps them): proof that the store holds what a step claims."""
        counts = [await self.runtime.db[name].estimated_document_count() for name in self._filled]
        return sum(counts)


async def limit(servers: Endpoints, run_id: str, events: Sequence[Envelope]) -> dict[str, float]:
    """Events/s of raw Kafka and of raw ``insert_many``; the limit is the slower."""
    kafka_s = await raw_kafka(servers.kafka_bootstrap, f"bench{run_id}.raw", events)
    settings = RuntimeSettings(mongo_url=SecretStr(servers.mongo_url), service_name="bench-raw")
    store_s = await raw_store(settings, f"bench_raw_{run_id}", events)
    kafka, store = per_s(len(events), kafka_s), per_s(len(events), store_s)
    return {
        "kafka_events_per_s": kafka,
        "store_events_per_s": store,
        "events_per_s": min(kafka, store),
    }


async def _drop(servers: Endpoints, database: str) -> None:
    settings = RuntimeSettings(mongo_url=SecretStr(servers.mongo_url), service_name="bench-drop")
    client = connect(settings)
    try:
        await client.drop_database(database)
    finally:
        await client.close()


def against_limit(allwan: float, bound: Mapping[str, float]) -> dict[str, Any]:
    """The figures scripts read at the top of the pipeline's result."""
    return {
        "allwan_events_per_s": allwan,
        "limit_events_per_s": bound["events_per_s"],
        "ratio_to_limit": round(allwan / bound["events_per_s"], 4)
        if bound["events_per_s"]
        else None,
    }


async def run(servers: Endpoints, count: int, writers: int) -> dict[str, Any]:
    """allwan's events/s on an empty store, against the limit measured just before."""
    run_id = f"p{uuid.uuid4().hex[:8]}"
    events = envelopes(count, f"{run_id}m")
    bound = await limit(servers, run_id, events)
    pipeline = Pipeline(servers, run_id, writers)
    local = await asyncio.to_thread(server_pids, servers.mongo_url, servers.kafka_brokers)
    meter = CpuMeter({"allwan": [os.getpid()], **local})
    try:
        async with pipeline.runtime.running():
            await pipeline.warm_up()
            meter.start()
            seconds = await pipeline.measure(events)
            cpu = meter.per(count)
            unexpected = pipeline.arrivals.unexpected
    finally:
        await _drop(servers, pipeline.settings.database_name)
    return {
        "benchmark": "pipeline",
        **against_limit(per_s(count, seconds), bound),
        "events": count,
        "writers": writers,
        "partitions": PARTITIONS,
        "limit": bound,
        "allwan_s": round(seconds, 2),
        "cpu_ms_per_event": cpu,
        "unexpected_events": unexpected,
    }


async def grow(
    servers: Endpoints, count: int, writers: int, sizes: Sequence[int] = GROW_SIZES
) -> dict[str, Any]:
    """allwan's events/s with ``count`` events appended to a store already holding each of
    ``sizes`` events (one pipeline, topped up in bulk between the steps)."""
    run_id = f"g{uuid.uuid4().hex[:8]}"
    bound = await limit(servers, run_id, envelopes(count, f"{run_id}l"))
    pipeline = Pipeline(servers, run_id, writers)
    steps: list[dict[str, Any]] = []
    try:
        async with pipeline.runtime.running():
            await pipeline.warm_up()
            for size in sorted(sizes):
                filled = time.perf_counter()
                inserted = await pipeline.fill_to(size)
                fill_s = time.perf_counter() - filled
                stored = pipeline.stored
                documents = await pipeline.documents()
                seconds = await pipeline.measure(envelopes(count, pipeline.label("m")))
                steps.append(
                    {
                        "stored_events": stored,
                        "store_documents": documents,
                        "allwan_events_per_s": per_s(count, seconds),
                        "prefilled_events": inserted,
                        "prefill_s": round(fill_s, 2),
                    }
                )
            unexpected = pipeline.arrivals.unexpected
    finally:
        await _drop(servers, pipeline.settings.database_name)
    first, last = steps[0], steps[-1]
    return {
        "benchmark": "pipeline",
        "mode": "grow",
        # The largest store is the case the targets are about.
        **against_limit(last["allwan_events_per_s"], bound),
        "events_per_step": count,
        "writers": writers,
        "partitions": PARTITIONS,
        "limit": bound,
        "steps": steps,
        "ratio_largest_to_smallest": (
            round(last["allwan_events_per_s"] / first["allwan_events_per_s"], 4)
            if first["allwan_events_per_s"]
            else None
        ),
        "unexpected_events": unexpected,
    }


def _thousands(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def summary(result: Mapping[str, Any]) -> str:
    """The result in one line."""
    bound = result["limit"]
    limit_text = (
        f"limit {bound['events_per_s']:,.0f}/s (kafka {bound['kafka_events_per_s']:,.0f}/s, "
        f"store {bound['store_events_per_s']:,.0f}/s)"
    )
    warning = ""
    if result.get("unexpected_events"):
        warning = f"; WARNING: {result['unexpected_events']} events arrived that no one appended"
    if result.get("mode") == "grow":
        steps = ", ".join(
            f"{step['allwan_events_per_s']:,.0f}/s at {_thousands(step['stored_events'])}"
            for step in result["steps"]
        )
        first, last = result["steps"][0], result["steps"][-1]
        return (
            f"pipeline grow: allwan {steps} stored events "
            f"({_thousands(last['stored_events'])}/{_thousands(first['stored_events'])} ratio "
            f"{result['ratio_largest_to_smallest']}); {limit_text}: ratio to limit "
            f"{result['ratio_to_limit']} at {_thousands(last['stored_events'])} "
            f"({result['events_per_step']:,} events per step){warning}"
        )
    spent = result.get("cpu_ms_per_event") or {}
    cpu = ""
    if "total" in spent:
        mongodb = f", MongoDB server {spent['mongodb']:g}" if "mongodb" in spent else ""
        cpu = f", CPU {spent['total']:g} ms/event{mongodb}"
    return (
        f"pipeline: allwan {result['allwan_events_per_s']:,.0f} events/s, {limit_text}: "
        f"ratio to limit {result['ratio_to_limit']} ({result['events']:,} events, "
        f"{result['writers']} writers{cpu}){warning}"
    )
