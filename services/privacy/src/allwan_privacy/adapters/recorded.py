"""The first event of a stream as the event store holds it (``accountability_ports.Recorded``):
what a retried legal disclosure or breach notice is compared with."""

from __future__ import annotations

from typing import TypeVar

from allwan_contracts import read_event
from allwan_contracts.base import Event
from allwan_runtime.eventstore import Streams, stream_id

E = TypeVar("E", bound=Event)


class StoredEvents:
    """Reads streams of the service's event store (one ``_id`` chain each)."""

    def __init__(self, store: Streams) -> None:
        self._store = store

    async def first_of(self, event_class: type[E], aggregate_id: str) -> E | None:
        stream = await self._store.load(stream_id(event_class.aggregate_type, aggregate_id))
        if not stream:
            return None
        event = read_event(stream[0])
        return event if isinstance(event, event_class) else None
