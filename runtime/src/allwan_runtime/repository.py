"""Load and save aggregates through the event store, wrapping events in envelopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar
from uuid import UUID

from allwan_contracts import new_envelope, read_event

from allwan_runtime.aggregate import Aggregate
from allwan_runtime.eventstore import EventStore

A = TypeVar("A", bound=Aggregate)


class AggregateRepository(Generic[A]):
    """One aggregate type's repository; ``producer`` names the service in each envelope."""

    def __init__(self, store: EventStore, factory: Callable[[str], A], producer: str) -> None:
        self._store = store
        self._factory = factory
        self._producer = producer

    def _stream(self, aggregate_id: str) -> str:
        return f"{self._factory(aggregate_id).aggregate_type}:{aggregate_id}"

    async def get(self, aggregate_id: str) -> A:
        """The aggregate at its latest version (a fresh one, version 0, if it has no events)."""
        aggregate = self._factory(aggregate_id)
        for envelope in await self._store.load(self._stream(aggregate_id)):
            aggregate.apply(read_event(envelope))
            aggregate.version = envelope.aggregate_version
        return aggregate

    async def save(
        self, aggregate: A, *, correlation_id: UUID, causation_id: UUID | None = None
    ) -> int:
        """Store the aggregate's new events; raises ``ConcurrencyConflict`` if it moved on."""
        expected = aggregate.version
        events = aggregate.collect()
        envelopes = [
            new_envelope(
                event,
                aggregate_version=expected + offset,
                producer=self._producer,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            for offset, event in enumerate(events, start=1)
        ]
        return await self._store.append(envelopes, expected_version=expected)
