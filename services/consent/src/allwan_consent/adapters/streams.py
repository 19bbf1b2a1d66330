"""The consent ledgers and the policy as streams of the runtime's event store."""

from __future__ import annotations

from typing import Generic, TypeVar
from uuid import UUID

from allwan_runtime.aggregate import Aggregate
from allwan_runtime.eventstore import EventStore
from allwan_runtime.repository import AggregateRepository
from allwan_runtime.streams import caused_by, stream_ids

A = TypeVar("A", bound=Aggregate)


class EventSourced(Generic[A]):
    """``handlers.ports.Aggregates`` over the runtime's repository and event store."""

    def __init__(self, store: EventStore, aggregate: type[A], producer: str) -> None:
        self._store = store
        self._repository = AggregateRepository(store, aggregate, producer)
        self._type = aggregate.aggregate_type

    async def get(self, aggregate_id: str) -> A:
        return await self._repository.get(aggregate_id)

    async def save(
        self, aggregate: A, *, correlation_id: UUID, causation_id: UUID | None = None
    ) -> int:
        return await self._repository.save(
            aggregate, correlation_id=correlation_id, causation_id=causation_id
        )

    async def handled(self, aggregate_id: str, input_id: UUID) -> bool:
        return await caused_by(self._store, f"{self._type}:{aggregate_id}", input_id)

    async def ids(self) -> list[str]:
        return await stream_ids(self._store, self._type)
