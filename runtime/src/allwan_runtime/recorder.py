"""Record events that no aggregate decides: requests entering the system (the gateway's intake).

A request's stream is named by what identifies it (``stream_id``), so a retry of the same
request lands on the same stream:

- ``first`` records the first event of a stream once: a retry loses the race at version 0
  and is told so (``False``);
- ``next`` appends at the head of a stream whatever is there already (several requests about
  one consent ledger, one policy, one order's payments), retrying a lost race.
"""

from __future__ import annotations

from uuid import UUID

from allwan_contracts import Event, new_envelope

from allwan_runtime.eventstore import ConcurrencyConflict, Streams, stream_id


class EventRecorder:
    """Appends single events to an event store as ``producer``."""

    def __init__(self, store: Streams, producer: str, *, attempts: int = 5) -> None:
        self._store = store
        self._producer = producer
        self._attempts = attempts

    async def first(self, event: Event, correlation_id: UUID, *, surely_new: bool = False) -> bool:
        """Record ``event`` as its stream's first; False if the stream has one already (a retry).

        A retry is recognised by reading the stream first (unless the caller knows it is new):
        appending only to lose the race would re-create the outbox entry of a commit already
        published (the event store writes the entry before the commit), and the relay would
        publish it again.
        """
        stream = stream_id(event.aggregate_type, event.aggregate_id())
        if not surely_new and await self._store.load(stream):
            return False
        envelope = new_envelope(
            event, aggregate_version=1, producer=self._producer, correlation_id=correlation_id
        )
        try:
            await self._store.append([envelope], expected_version=0)
        except ConcurrencyConflict:
            return False
        return True

    async def next(self, event: Event, correlation_id: UUID) -> int:
        """Append ``event`` at the head of its stream; return the stream's new version.

        Raises ``ConcurrencyConflict`` when ``attempts`` appends in a row lost their race.
        """
        stream = stream_id(event.aggregate_type, event.aggregate_id())
        for attempt in range(1, self._attempts + 1):
            head = await self._store.load(stream)
            version = head[-1].aggregate_version if head else 0
            envelope = new_envelope(
                event,
                aggregate_version=version + 1,
                producer=self._producer,
                correlation_id=correlation_id,
            )
            try:
                return await self._store.append([envelope], expected_version=version)
            except ConcurrencyConflict:
                if attempt == self._attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
