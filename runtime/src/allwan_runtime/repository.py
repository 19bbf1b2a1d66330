"""Load and save aggregates through the event store, wrapping events in envelopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar
from uuid import UUID

from allwan_contracts import new_envelope, read_event

from allwan_runtime.aggregate import Aggregate
from allwan_runtime.eventstore import Streams, stream_id

A = TypeVar("A", bound=Aggregate)


class AggregateRepository(Generic[A]):
    """One aggregate type's repository; ``producer`` names the service in each envelope."""

    def __init__(self, store: Streams, factory: Callable[[str], A], producer: str) -> None:
        self._store = store
        self._factory = factory
        self._producer = producer
        self._type = factory("").aggregate_type

    def _stream(self, aggregate_id: str) -> str:
        return stream_id(self._type, aggregate_id)

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
        """Store the aggregate's new events; raises ``ConcurrencyConflict`` if it moved on.

        After a conflict the aggregate is untouched: reload it and decide again.
        """
        expected = aggregate.version
        envelopes = [
            new_envelope(
                event,
                aggregate_version=expected + offset,
                producer=self._producer,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            for offset, event in enumerate(aggregate.pending, start=1)
        ]
        version = await self._store.append(envelopes, expected_version=expected)
        aggregate.mark_stored()
        return version

    async def handled(self, aggregate_id: str, input_id: UUID) -> bool:
        """Whether any event of the aggregate names ``input_id`` as its cause.

        For commands that are not idempotent on their own: at-least-once delivery hands a
        handler the same record again when it crashed after storing and before acknowledging.
        """
        return any(
            envelope.causation_id == input_id
            for envelope in await self._store.load(self._stream(aggregate_id))
        )

    async def ids(self) -> list[str]:
        """Every aggregate of this type with at least one stored event, sorted."""
        return await self._store.stream_ids(self._type)
