"""Wiring shared by every service: Mongo, the event store, Kafka, the relay, health, telemetry.

A service builds one ``ServiceRuntime``, registers its consumers with ``consume``, and runs
``asgi_app()`` (FastStream services) or calls ``start``/``stop`` from its own lifespan (the
gateway). Handlers never see any of this: they receive their dependencies as arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.client import AIOKafkaClient
from allwan_contracts import event_class
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_contracts.topics import ALL_TOPICS, TopicSpec, dead_letter_spec, dead_letter_topic
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from allwan_runtime.asyncapi import describe_payloads
from allwan_runtime.consumer import Batching, Membership, subscribe
from allwan_runtime.dispatch import Dispatcher, RetryPolicy
from allwan_runtime.eventstore import EventStore
from allwan_runtime.handlers import Handlers
from allwan_runtime.health import Health, LagProbe
from allwan_runtime.holdings import Holdings
from allwan_runtime.kafka import ensure_topics, idempotent_producer, when_kafka_answers
from allwan_runtime.keystore import LazyKeyStore, Purpose
from allwan_runtime.keystore.lazy import configured as configured_keystore
from allwan_runtime.logs import FASTSTREAM_LOGGER, setup_logging
from allwan_runtime.mongo import connect
from allwan_runtime.outbox import OutboxRelay, RelayConfig
from allwan_runtime.settings import RuntimeSettings
from allwan_runtime.supervisor import ConsumerSupervisor, Supervision
from allwan_runtime.telemetry import setup_tracing

log = structlog.get_logger(__name__)


def topic_for(envelope: Envelope) -> str:
    """The topic of an event, as written down in ``allwan_contracts.topics``."""
    return event_class(envelope.event_type).topic


class ServiceRuntime:
    """The plumbing of one service process."""

    def __init__(self, settings: RuntimeSettings, *, relay: bool = True) -> None:
        setup_logging(settings.service_name)
        self.tracer_provider = setup_tracing(settings.service_name)
        self.settings = settings
        self.mongo = connect(settings)
        self.db = self.mongo[settings.database_name]
        self.store = EventStore(self.db)
        self.broker = KafkaBroker(
            settings.kafka_brokers,
            client_id=settings.service_name,
            acks="all",
            enable_idempotence=True,
            graceful_timeout=settings.graceful_timeout_s,
            middlewares=[KafkaTelemetryMiddleware(tracer_provider=self.tracer_provider)],
            logger=logging.getLogger(FASTSTREAM_LOGGER),  # warnings and errors: setup_logging
        )
        self.health = Health()
        self.health.add("mongodb", self._ping_mongo)
        self._with_relay = relay
        self._groups: list[str] = []
        self._producer: AIOKafkaProducer | None = None
        self._kafka: AIOKafkaClient | None = None
        self._relay: OutboxRelay | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.consumer_groups: dict[str, list[str]] = {}
        """Each registered group id and the actual topics it reads."""
        self.holdings: dict[str, Holdings] = {}
        """Each registered consumer's partitions, by its name."""
        self.supervision = Supervision(settings.consumer_check_interval_s, self._kafka_metadata)

    def consume(
        self,
        name: str,
        topics: Sequence[str],
        handlers: Handlers[Any],
        description: str = "",
        *,
        concurrent_partitions: bool = False,
    ) -> Dispatcher:
        """Register a consumer group whose records go to ``handlers`` by event class.

        The group id is ``<service name>.<name>``: a test run with its own service name never
        shares offsets with another. The AsyncAPI document lists the handled events' schemas.
        ``concurrent_partitions``: the handlers' state is keyed by what the topics are
        partitioned by, and concurrent writers of it settle their races (as replicas must),
        so up to ``consumer_partitions_at_once`` partitions of a batch are handled at once,
        each in order. Otherwise one record at a time.
        """
        settings = self.settings
        group = f"{settings.service_name}.{name}"
        dispatcher = Dispatcher(
            handlers=handlers.bound(),
            retry=RetryPolicy(
                max_attempts=settings.consumer_max_attempts,
                initial_s=settings.consumer_backoff_initial_s,
                max_s=settings.consumer_backoff_max_s,
            ),
        )
        known = set(self.broker.subscribers)
        subscribe(
            self.broker,
            group=group,
            topics=[self.topic(name) for name in topics],
            dispatcher=dispatcher,
            description=description,
            dead_letters=self.topic(dead_letter_topic(group)),
            membership=Membership(
                instance_id=settings.instance_id,
                session_timeout_s=settings.kafka_session_timeout_s,
                heartbeat_interval_s=settings.kafka_heartbeat_interval_s,
            ),
            batching=Batching(
                max_records=settings.consumer_batch_max_records,
                max_s=settings.consumer_batch_max_s,
                partitions_at_once=(
                    settings.consumer_partitions_at_once if concurrent_partitions else 1
                ),
            ),
        )
        # ``broker.subscribers`` comes from a WeakSet: its last one need not be the newest.
        (subscriber,) = set(self.broker.subscribers) - known
        describe_payloads(subscriber, handlers.event_classes)

        def consumer() -> AIOKafkaConsumer | None:
            return getattr(subscriber, "consumer", None)

        self.holdings[name] = Holdings(consumer)
        probe = LagProbe(consumer, settings.consumer_stuck_after_s)
        self.health.add(f"consumer:{group}", probe)

        async def not_stuck() -> None:
            if dispatcher.stuck_for() > settings.consumer_stuck_after_s:
                raise RuntimeError("a record has been failing for too long")

        self.health.add(f"handler:{group}", not_stuck)
        self.supervision.add(
            ConsumerSupervisor(
                group,
                subscriber,
                dispatcher.stuck_for,
                settings.consumer_restart_after_s,
                static_member=settings.instance_id is not None,
            )
        )
        self._groups.append(group)
        self.consumer_groups[group] = [self.topic(name) for name in topics]
        return dispatcher

    def publishes(self, topic: TopicSpec, events: Sequence[type[Event]]) -> None:
        """Document in ``/asyncapi`` that the outbox relay publishes ``events`` to ``topic``.

        The relay publishes, not FastStream: the entry only describes it.
        """
        publisher = self.broker.publisher(
            self.topic(topic.name),
            title=f"{self.settings.service_name}:publish:{topic.name}",
            description=f"{topic.description} Key: {topic.key}.",
        )
        describe_payloads(publisher, events)

    @property
    def replica(self) -> str:
        """Who this process is, as the owner of a lease.

        With ``instance_id`` a restarted process is the same owner, so it holds on to a lease
        its previous run held instead of waiting for that lease to run out.
        """
        where = self.settings.instance_id or f"{socket.gethostname()}:{os.getpid()}"
        return f"{self.settings.service_name}@{where}"

    def topic(self, name: str) -> str:
        """The actual name of a topic named in the contracts (``kafka_topic_prefix`` applied)."""
        return f"{self.settings.kafka_topic_prefix}{name}"

    def topics(self) -> list[TopicSpec]:
        """Every integration topic plus this service's dead-letter topics."""
        specs = [*ALL_TOPICS, *(dead_letter_spec(group) for group in self._groups)]
        return [dataclasses.replace(spec, name=self.topic(spec.name)) for spec in specs]

    def keystore(self, purposes: Collection[Purpose]) -> LazyKeyStore:
        """The shared data-key store, opening personal data only for ``purposes`` (C4).

        Made on first use, so commands that touch no personal data (printing the AsyncAPI
        document) need no master keys; ``LazyKeyStore.check`` fails fast at start.
        """
        return configured_keystore(self.settings, self.mongo, purposes)

    async def start(self) -> None:
        """Prepare storage and topics, connect to Kafka (its readiness check too), then start
        the relay. Idempotent at every start."""
        await asyncio.gather(
            self.store.ensure_indexes(),
            ensure_topics(
                self.settings.kafka_bootstrap, self.topics(), self.settings.kafka_replication_factor
            ),
        )
        if self._with_relay:
            self._producer = idempotent_producer(
                self.settings.kafka_bootstrap, self.settings.service_name
            )
            await self._producer.start()
            self._kafka = self._producer.client
        elif self._groups:
            # No producer to ask, but consumers that stop receiving when Kafka is gone: a
            # client of its own keeps readiness honest.
            self._kafka = AIOKafkaClient(
                bootstrap_servers=self.settings.kafka_bootstrap,
                client_id=f"{self.settings.service_name}-health",
            )
            await when_kafka_answers(self._kafka.bootstrap, "health client")
        if self._kafka is not None:
            self.health.add("kafka", self._kafka_metadata)
        if self._producer is not None:
            self._relay = OutboxRelay(
                self.store,
                self.db,
                self._producer,
                lambda envelope: self.topic(topic_for(envelope)),
                RelayConfig(
                    owner=self.replica,
                    poll_interval_s=self.settings.relay_poll_interval_s,
                    batch_size=self.settings.relay_batch_size,
                    lease_s=self.settings.relay_lease_s,
                ),
            )
            self._stop.clear()
            self._relay_task = asyncio.create_task(self._relay.run(self._stop), name="outbox-relay")
        await self.supervision.start()

    async def stop_supervision(self) -> None:
        """No more consumer restarts: the consumers are about to stop."""
        await self.supervision.stop()

    async def stop(self) -> None:
        """Stop the relay after its current batch, then close the clients."""
        await self.stop_supervision()
        self._stop.set()
        if self._relay_task is not None:
            await self._relay_task
            self._relay_task = None
        if self._relay is not None:
            with contextlib.suppress(Exception):
                await self._relay.release()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        elif self._kafka is not None:
            await self._kafka.close()
        self._kafka = None
        await self.mongo.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ServiceRuntime]:
        """Run relay and consumers in this process (tests, and services without ASGI)."""
        await self.start()
        await self.broker.start()
        try:
            yield self
        finally:
            await self.stop_supervision()
            await self.broker.stop()
            await self.stop()

    async def _ping_mongo(self) -> None:
        await self.db.command("ping")

    async def _kafka_metadata(self) -> None:
        if self._kafka is None:
            raise RuntimeError("not connected to Kafka")
        if not await self._kafka.fetch_all_metadata():
            raise RuntimeError("no metadata from Kafka")

    def asgi_app(
        self, extra_routes: Sequence[tuple[str, Callable[..., Awaitable[None]]]] = ()
    ) -> AsgiFastStream:
        """A FastStream ASGI app: consumers, the relay, health routes and ``/asyncapi``, plus
        ``extra_routes`` (``(exact path, ASGI app)`` pairs) of the service's own."""
        return AsgiFastStream(
            self.broker,
            asgi_routes=[*self.health.asgi_routes(), *extra_routes],
            on_startup=[self.start],
            on_shutdown=[self.stop_supervision],
            after_shutdown=[self.stop],
            asyncapi_path="/asyncapi",
        )
