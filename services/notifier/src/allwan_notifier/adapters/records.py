"""The notifier's event store records (``handlers.ports.Replies``): the runtime's
``EventRecorder``, and whether a stream holds an event already, so a message whose
disclosure an earlier attempt recorded is not sent again (P2, D3)."""

from __future__ import annotations

from allwan_runtime.eventstore import Streams, stream_id
from allwan_runtime.recorder import EventRecorder


class Records(EventRecorder):
    def __init__(self, store: Streams, producer: str) -> None:
        super().__init__(store, producer)
        self._streams = store

    async def recorded(self, aggregate_type: str, aggregate_id: str) -> bool:
        """Whether the stream of ``aggregate_type`` ``aggregate_id`` holds an event: one read."""
        return bool(await self._streams.load(stream_id(aggregate_type, aggregate_id)))
